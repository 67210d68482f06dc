"""A flaky lost update: two threads bump a shared counter around a loopback round trip.

Each worker reads the shared `counter`, asks a loopback "ledger" server to approve the new value
(one connection per request), writes `counter = seen + 1`, and tells the ledger it committed. The read and the write are not
under one lock, and the round trip between them blocks in `recv`, so the other worker can read
the same old value in the meantime: one update is lost and the final count is short.

The ledger is a child process that this script forks before it starts any thread, so the
program's own process holds just the main thread and the two workers. The workers wait for one
start signal; worker-1 then first does a warm-up round trip of its own, so in most runs it reads
the counter after worker-0 has written it back. Only when the scheduler lets worker-1 overtake
(rr's chaos mode makes that happen now and then) do the two windows overlap, and the script
fails with exit status 1. It prints its own ground truth, e.g.:

    race: worker-0 tid 4012 read 0 wrote 1
    race: worker-1 tid 4013 read 0 wrote 1
    race: lost update: counter = 1, expected 2

Run: pyreplay hunt -- /usr/bin/python3.11 scripts/sessions/race.py
     pyreplay record --session race
"""

import os
import socket
import sys
import threading

from ground_truth import GroundTruth

truth = GroundTruth("race")
WORKERS = 2
WARMUPS = int(os.environ.get("RACE_WARMUPS", "1"))  # worker-1's head start for worker-0

counter = 0
go = threading.Event()


def ledger(listener, requests):
    """The loopback server (a child process): approves each proposed value by echoing it back."""
    for _ in range(requests):
        conn, _ = listener.accept()
        data = conn.recv(64)
        conn.sendall(b"ok " + data)
        conn.close()
    listener.close()


def round_trip(address, message):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(address)
    truth.add("connections", {"tid": threading.get_native_id(), "message": message,
                              "local": list(s.getsockname()), "remote": list(s.getpeername())})
    s.sendall(message.encode())
    reply = s.recv(64).decode()
    s.close()
    if not reply.startswith("ok "):
        raise RuntimeError("ledger refused: %r" % reply)
    return reply


def worker(name, address, warmups):
    global counter
    truth.thread(name)
    go.wait()
    for i in range(warmups):
        round_trip(address, "warmup %d" % i)
    seen = counter                                    # read the shared counter
    truth.add("reads", {"thread": name, "tid": threading.get_native_id(), "seen": seen})
    round_trip(address, "propose %d" % (seen + 1))    # the race window: blocks in recv
    counter = seen + 1                                # write back: may overwrite an update
    truth.add("writes", {"thread": name, "tid": threading.get_native_id(), "value": seen + 1})
    round_trip(address, "commit %d" % (seen + 1))     # tell the ledger what was written


def main():
    truth.thread("MainThread")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(WORKERS + WARMUPS)
    address = listener.getsockname()
    truth.data["listen"] = list(address)
    requests = 2 * WORKERS + (WORKERS - 1) * WARMUPS  # propose + commit each, and the warm-ups
    server = os.fork()                                # before any thread: fork is safe here
    if server == 0:
        ledger(listener, requests)
        os._exit(0)
    listener.close()
    truth.data["ledger_pid"] = server
    workers = [threading.Thread(target=worker, args=("worker-%d" % i, address, i * WARMUPS),
                                name="worker-%d" % i) for i in range(WORKERS)]
    for t in workers:
        t.start()
    go.set()
    for t in workers:
        t.join()
    _, status = os.waitpid(server, 0)
    truth.data["final"] = counter
    truth.data["expected"] = WORKERS
    truth.data["lost_update"] = counter != WORKERS
    truth.write()
    reads = {r["thread"]: r for r in truth.data.get("reads", [])}
    for w in truth.data.get("writes", []):
        print("race: %s tid %d read %d wrote %d" % (w["thread"], w["tid"],
                                                     reads[w["thread"]]["seen"], w["value"]))
    if status != 0:
        print("race: the ledger failed (status %d)" % status)
        return 2
    if counter != WORKERS:
        print("race: lost update: counter = %d, expected %d" % (counter, WORKERS))
        return 1
    print("race: ok: counter = %d" % counter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
