"""Many threads and loopback connections, IPv4 and IPv6, and a forked child: for the event index.

    many_conns.py [--threads N] [--per-thread K] [--ground-truth FILE]

Client threads each open K connections to one of two servers (127.0.0.1 and ::1), each served by
an accepting thread; a forked child process connects once too. Every side notes what the kernel
told it (getsockname/getpeername, native tids) in the ground truth JSON.
"""

import argparse
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "scripts", "sessions"))
from ground_truth import GroundTruth  # noqa: E402


def addr(sockaddr):
    return [sockaddr[0], sockaddr[1]]


def serve(truth, server, count, name):
    truth.thread(name)
    for _ in range(count):
        conn, _ = server.accept()
        truth.add("accepts", {"tid": threading.get_native_id(), "local": addr(conn.getsockname()),
                              "remote": addr(conn.getpeername())})
        conn.sendall(conn.recv(64).upper())
        conn.close()


def client(truth, index, target, family, per_thread):
    name = "client-%d" % index
    truth.thread(name)
    for _ in range(per_thread):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.connect(target)
        truth.add("connections", {"tid": threading.get_native_id(), "thread": name,
                                  "local": addr(s.getsockname()), "remote": addr(s.getpeername())})
        s.sendall(b"ping")
        s.recv(64)
        s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--per-thread", type=int, default=4)
    parser.add_argument("--no-fork", action="store_true")
    parser.add_argument("--ground-truth")
    args = parser.parse_args()
    truth = GroundTruth("many_conns")
    truth.thread("MainThread")

    servers = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        s.listen(128)
        truth.add("listen", addr(s.getsockname()))
        servers.append((family, s))

    clients_per = [0, 0]
    for i in range(args.threads):
        clients_per[i % 2] += args.per_thread
    forked = 0 if args.no_fork else 1
    clients_per[0] += forked

    acceptors = [threading.Thread(target=serve, name="server-%d" % n,
                                  args=(truth, s, clients_per[n], "server-%d" % n))
                 for n, (_, s) in enumerate(servers)]
    for t in acceptors:
        t.start()

    if forked:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(servers[0][1].getsockname())
            line = "%d %s %d %s %d\n" % ((threading.get_native_id(),) + tuple(s.getsockname()) +
                                         tuple(s.getpeername()))
            s.sendall(b"fork")
            s.recv(64)
            s.close()
            os.write(w, line.encode())
            os._exit(0)
        os.close(w)
        data = b""
        while True:
            chunk = os.read(r, 256)
            if not chunk:
                break
            data += chunk
        os.waitpid(pid, 0)
        tid, lhost, lport, rhost, rport = data.decode().split()
        truth.add("connections", {"tid": int(tid), "thread": "forked-child", "pid": pid,
                                  "local": [lhost, int(lport)], "remote": [rhost, int(rport)]})
        truth.add("processes", {"pid": pid})

    clients = []
    for i in range(args.threads):
        family, server = servers[i % 2]
        target = server.getsockname()[:2]
        clients.append(threading.Thread(target=client, name="client-%d" % i,
                                        args=(truth, i, target, family, args.per_thread)))
    for t in clients:
        t.start()
    for t in clients + acceptors:
        t.join()
    for _, s in servers:
        s.close()
    truth.write()
    print("many_conns done: %d connections" % len(truth.data["connections"]))


if __name__ == "__main__":
    main()
