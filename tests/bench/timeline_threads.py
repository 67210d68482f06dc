#!/usr/bin/python3.11
"""A program for the timeline's scale test: many short-lived threads, each opening TCP
connections to a loopback server, so its trace has ~1,000 threads and ~10,000 indexed events.

  pyreplay record -o traces/timeline-large -- /usr/bin/python3.11 tests/bench/timeline_threads.py 1000 2

argv: THREADS (default 1000) and CONNECTIONS per thread (default 2). At most 16 client threads
run at once. Writes its own ground truth ($PYREPLAY_GROUND_TRUTH): the native tids of every
thread it started, and how many connections the server accepted.
"""

import json
import os
import socket
import sys
import threading

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
CONNECTIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 2

tids = []
tids_lock = threading.Lock()
accepted = 0


def serve(listener, expected):
    global accepted
    for _ in range(expected):
        conn, _ = listener.accept()
        conn.recv(16)
        conn.sendall(b"ok")
        conn.close()
        accepted += 1
    listener.close()


def client(port, gate):
    with tids_lock:
        tids.append(threading.get_native_id())
    try:
        for _ in range(CONNECTIONS):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(("127.0.0.1", port))
            s.sendall(b"hi")
            s.recv(16)
            s.close()
    finally:
        gate.release()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    server = threading.Thread(target=serve, args=(listener, THREADS * CONNECTIONS), name="server")
    server.start()
    gate = threading.BoundedSemaphore(16)
    workers = []
    for i in range(THREADS):
        gate.acquire()
        t = threading.Thread(target=client, args=(port, gate), name="client-%d" % i)
        t.start()
        workers.append(t)
    for t in workers:
        t.join()
    server.join()
    truth = {"pid": os.getpid(), "main_tid": threading.get_native_id(),
             "server_tid": server.native_id, "client_tids": sorted(tids), "accepted": accepted}
    path = os.environ.get("PYREPLAY_GROUND_TRUTH")
    if path:
        with open(path, "w") as f:
            json.dump(truth, f)
    print("threads=%d connections=%d" % (THREADS + 2, accepted))


if __name__ == "__main__":
    main()
