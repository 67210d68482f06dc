"""Do two CPU-bound Python threads really run at once?

Two measures:
- handoffs: two threads pass a token back and forth by spinning on a plain Python list, with no
  lock and no blocking call, and a switch interval of 100 s. With a GIL the spinning thread
  never lets the other one run before the deadline, so there are 0 (or 1) handoffs, however the
  machine is loaded; without one, every moment both threads are on a core moves the token (on an
  idle machine millions of times a second, on one loaded 15x still some each second).
- work: loop iterations that 1 thread, then 2 threads, complete in the same wall time, rounds in
  turn: about 1.0x with a GIL, up to 2.0x without one when 2 cores are free (a loaded machine
  blurs this one; the handoff count does not).

Run: PYTHON scripts/testbed/parallel_check.py [ROUNDS [SECONDS]]
"""

import sys
import threading
import time


def spin(deadline, counts, index):
    n = 0
    while time.perf_counter() < deadline:
        for _ in range(10000):
            n += 1
    counts[index] = n


def pass_token(me, token, deadline, counts, index):
    n = 0
    while time.perf_counter() < deadline:
        if token[0] == me:
            token[0] = 1 - me
            n += 1
    counts[index] = n


def handoffs_per_second(seconds):
    token, counts = [0], [0, 0]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=pass_token, args=(me, token, deadline, counts, me))
               for me in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.setswitchinterval(interval)
    return sum(counts) / seconds


def work_done(thread_count, seconds):
    counts = [0] * thread_count
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=spin, args=(deadline, counts, i))
               for i in range(thread_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    gil = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    one = two = 0
    for _ in range(rounds):
        one += work_done(1, seconds)
        two += work_done(2, seconds)
    handoffs = handoffs_per_second(2 * seconds)
    print("python %s gil_enabled=%s: %.0f handoffs/s; 2 threads did %.2fx the work of 1 "
          "(%d vs %d loops, %d x %.1fs)"
          % (sys.version.split()[0], gil, handoffs, two / one, two, one, rounds, seconds))


if __name__ == "__main__":
    main()
