"""Chapter 9.2, "Python sockets", on Python 3.11, against a loopback server of our own.

The chapter creates `socket.socket(socket.AF_INET, socket.SOCK_STREAM)` (sock_initobj in
Modules/socketmodule.c) and connects to a public host (sock_connect). We start a TCP server on
127.0.0.1 with an ephemeral port in a server thread instead, connect to it from the main thread
exactly as the chapter does, then from several client threads, using the methods the chapter's
sock_methods table maps to C: connect, send/sendall, recv, getsockname, getpeername, setsockopt,
close.

Run: pyreplay record --session sockets
"""

import socket
import sys
import threading

from ground_truth import GroundTruth

truth = GroundTruth("sockets")
CLIENT_THREADS = 3


def serve(listener, expected):
    truth.thread("server")
    for _ in range(expected):
        conn, peer = listener.accept()
        truth.add("accepts", {
            "tid": threading.get_native_id(),
            "local": list(conn.getsockname()),
            "remote": list(peer),
        })
        data = conn.recv(1024)
        conn.sendall(data.upper())
        conn.close()
    listener.close()


def talk(name):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect(("127.0.0.1", PORT))
    local, remote = s.getsockname(), s.getpeername()
    s.sendall(b"hello from " + name.encode())
    reply = s.recv(1024)
    s.close()
    truth.add("connections", {
        "tid": threading.get_native_id(),
        "thread": name,
        "local": list(local),
        "remote": list(remote),
        "reply": reply.decode(),
    })
    return reply


def client(name):
    truth.thread(name)
    talk(name)


def main():
    global PORT
    truth.thread("MainThread")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    PORT = listener.getsockname()[1]
    truth.data["listen"] = list(listener.getsockname())
    server = threading.Thread(target=serve, args=(listener, 1 + CLIENT_THREADS), name="server")
    server.start()

    # The chapter's two statements, on loopback:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", PORT))
    truth.add("connections", {
        "tid": threading.get_native_id(),
        "thread": "MainThread",
        "local": list(s.getsockname()),
        "remote": list(s.getpeername()),
    })
    s.sendall(b"chapter 9.2")
    print(s.recv(1024).decode())
    s.close()

    clients = [threading.Thread(target=client, args=("client-%d" % i,), name="client-%d" % i)
               for i in range(CLIENT_THREADS)]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    server.join()
    print("sockets session done:", len(truth.data["connections"]), "connections")
    truth.write()


if __name__ == "__main__":
    sys.exit(main())
