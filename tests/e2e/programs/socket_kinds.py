"""Sockets whose addresses rr does not store: Unix stream sockets, a refused TCP connect, UDP.

    socket_kinds.py [--clients N] [--ground-truth FILE]

rr 5.6.0 stores socket addresses (socketAddrs) only for successful TCP connects and accepts. This
program makes the other kinds, each noted in the ground truth JSON as the kernel reported it to
the program (fds, paths, ports, getsockname/getpeername, errno, native tids):

- a Unix stream server on a named path in a fresh temporary folder, answered by an accepting
  thread, with N client threads connecting to it: the first from a socket bound to a path of its
  own (so the accept's peer is named), the others unnamed;
- a Unix stream server in the abstract namespace ("\\0name"), with one client;
- a TCP connect to a loopback port that was bound and closed again, so it is refused;
- a UDP socket connected to a UDP server socket (connect on a datagram socket sends nothing).
"""

import argparse
import errno
import os
import shutil
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "scripts", "sessions"))
from ground_truth import GroundTruth  # noqa: E402


def unix_name(name):
    """A Unix address as the program sees it: a str path, or bytes for the abstract namespace."""
    if isinstance(name, bytes):
        return "@" + name[1:].decode() if name[:1] == b"\0" else name.decode()
    return name


def serve_unix(truth, server, count, key):
    truth.thread("unix-server-" + key)
    for _ in range(count):
        conn, _ = server.accept()
        truth.add(key + "_accepts", {
            "tid": threading.get_native_id(), "listen_fd": server.fileno(), "fd": conn.fileno(),
            "local": unix_name(conn.getsockname()), "peer": unix_name(conn.getpeername())})
        conn.sendall(conn.recv(64).upper())
        conn.close()


def unix_client(truth, index, path, own_path, key):
    truth.thread("unix-client-%s-%d" % (key, index))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if own_path:
        s.bind(own_path)
        truth.add("unix_binds", {"tid": threading.get_native_id(), "fd": s.fileno(),
                                 "path": unix_name(s.getsockname())})
    s.connect(path)
    truth.add(key + "_connects", {"tid": threading.get_native_id(), "fd": s.fileno(),
                                  "path": unix_name(s.getpeername()),
                                  "local": unix_name(s.getsockname())})
    s.sendall(b"ping")
    s.recv(64)
    s.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--ground-truth")
    args = parser.parse_args()
    truth = GroundTruth("socket_kinds")
    truth.thread("MainThread")
    folder = tempfile.mkdtemp(prefix="pyreplay-sk-")
    try:
        # A named Unix stream server.
        path = os.path.join(folder, "server.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(16)
        truth.add("unix_binds", {"tid": threading.get_native_id(), "fd": server.fileno(),
                                 "path": unix_name(server.getsockname()), "server": True})
        acceptor = threading.Thread(target=serve_unix, args=(truth, server, args.clients, "unix"))
        acceptor.start()
        clients = [threading.Thread(target=unix_client, args=(
            truth, i, path, os.path.join(folder, "client-%d.sock" % i) if i == 0 else None,
            "unix")) for i in range(args.clients)]
        for t in clients:
            t.start()
        for t in clients + [acceptor]:
            t.join()
        server.close()

        # An abstract-namespace Unix stream server with one client.
        abstract = b"\0pyreplay-sk-%d" % os.getpid()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(abstract)
        server.listen(4)
        truth.add("abstract_binds", {"tid": threading.get_native_id(), "fd": server.fileno(),
                                     "path": unix_name(server.getsockname())})
        acceptor = threading.Thread(target=serve_unix, args=(truth, server, 1, "abstract"))
        acceptor.start()
        client = threading.Thread(target=unix_client, args=(truth, 0, abstract, None, "abstract"))
        client.start()
        client.join()
        acceptor.join()
        server.close()

        # A refused TCP connect: a loopback port that was bound, then closed without listening.
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
        probe.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect(("127.0.0.1", closed_port))
            refused = 0
        except OSError as e:
            refused = e.errno
        truth.add("refused", {"tid": threading.get_native_id(), "fd": s.fileno(),
                              "target": ["127.0.0.1", closed_port], "errno": refused,
                              "errno_name": errno.errorcode.get(refused, "")})
        s.close()

        # A UDP socket connected to a UDP server.
        udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp_server.bind(("127.0.0.1", 0))
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.connect(udp_server.getsockname())
        truth.add("udp", {"tid": threading.get_native_id(), "fd": udp.fileno(),
                          "server_fd": udp_server.fileno(),
                          "server": list(udp_server.getsockname()),
                          "local": list(udp.getsockname()), "remote": list(udp.getpeername())})
        udp.send(b"datagram")
        udp_server.recv(64)
        udp.close()
        udp_server.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    truth.write()
    print("socket_kinds done")


if __name__ == "__main__":
    main()
