"""A flaky lost update: two threads bump a shared counter around a loopback round trip.

Each worker reads the shared `counter`, asks a loopback "ledger" server (a thread of this very
script) to approve the new value, and writes `counter = seen + 1`. The read and the write are not
under one lock, and the round trip between them blocks in `recv`, so another worker can read the
same old value in the meantime: one update is lost and the final count is short.

The workers do not start their update at the same moment: worker-1 first does a short warm-up
round trip of its own, so in most runs it reads the counter after worker-0 has written it back.
Only when the scheduler lets worker-1 overtake (rr's chaos mode makes that happen now and then)
do the two windows overlap, and the script fails with exit status 1:

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


def ledger(listener, expected):
    """The loopback server: approves each proposed value by echoing it back."""
    truth.thread("ledger")
    conns = []
    for _ in range(expected):
        conn, peer = listener.accept()
        truth.add("accepts", {"tid": threading.get_native_id(),
                              "local": list(conn.getsockname()), "remote": list(peer)})
        conns.append(conn)
    threads = [threading.Thread(target=approve, args=(c,), name="ledger-%d" % i)
               for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listener.close()


def approve(conn):
    while True:
        data = conn.recv(64)
        if not data:
            break
        conn.sendall(b"ok " + data)
    conn.close()


def round_trip(s, message):
    s.sendall(message.encode())
    reply = s.recv(64).decode()
    if not reply.startswith("ok "):
        raise RuntimeError("ledger refused: %r" % reply)
    return reply


def worker(name, port, warmups):
    global counter
    truth.thread(name)
    s = socket.create_connection(("127.0.0.1", port))
    truth.add("connections", {"tid": threading.get_native_id(), "thread": name,
                              "local": list(s.getsockname()), "remote": list(s.getpeername())})
    for i in range(warmups):
        round_trip(s, "warmup %d" % i)
    seen = counter                                    # read the shared counter
    truth.add("reads", {"thread": name, "tid": threading.get_native_id(), "seen": seen})
    round_trip(s, "propose %d" % (seen + 1))          # the race window: blocks in recv
    counter = seen + 1                                # write back: may overwrite an update
    truth.add("writes", {"thread": name, "tid": threading.get_native_id(), "value": seen + 1})
    s.close()


def main():
    truth.thread("MainThread")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(WORKERS)
    port = listener.getsockname()[1]
    truth.data["listen"] = list(listener.getsockname())
    server = threading.Thread(target=ledger, args=(listener, WORKERS), name="ledger")
    server.start()
    workers = [threading.Thread(target=worker, args=("worker-%d" % i, port, i * WARMUPS),
                                name="worker-%d" % i) for i in range(WORKERS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    server.join()
    truth.data["final"] = counter
    truth.data["expected"] = WORKERS
    truth.data["lost_update"] = counter != WORKERS
    truth.write()
    if counter != WORKERS:
        print("race: lost update: counter = %d, expected %d" % (counter, WORKERS))
        return 1
    print("race: ok: counter = %d" % counter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
