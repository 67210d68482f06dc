"""A program for the values tests (`pyr locals`, `pyr print`, `pyr up`).

`make_values` sets locals of every type `pyr print` reads natively, writes their repr() (its
own ground truth) to $PYREPLAY_GROUND_TRUTH as JSON, then calls socket.socket(): an indexed
event the test goes to. `later` is assigned only after that call, so it is unbound there.
"""

import json
import math
import os
import socket

LIMIT = 42  # a global of the module


class Conn:
    def __init__(self, addr):
        self.addr = addr
        self.port = 8080


class Client:
    def __init__(self):
        self.conn = Conn(("127.0.0.1", 8080))


def make_values():
    n_zero = 0
    n_big = -(2 ** 100)
    flag = True
    nothing = None
    ratio = 0.1
    tiny = -0.0
    infinite = math.inf
    text = "it's \u20ac \U0001F600 caf\xe9"
    raw = b"\x00'\xff\n"
    pair = (1, "two")
    items = [10, 20, [30]]
    table = {"k": "v", 3: [4]}
    kinds = {1, 2, 3}
    frozen = frozenset({"a"})
    cyclic = [1]
    cyclic.append(cyclic)
    client = Client()
    captured = "in a cell"

    def inner():
        return captured

    truth = {"locals": {name: repr(value) for name, value in locals().items()},
             "exprs": {"client.conn.addr": repr(client.conn.addr),
                       "client.conn.port": repr(client.conn.port),
                       "items[0]": repr(items[0]), "items[-1]": repr(items[-1]),
                       'table["k"]': repr(table["k"]), "table[3]": repr(table[3]),
                       "LIMIT": repr(LIMIT), "pair[1]": repr(pair[1])}}
    with open(os.environ["PYREPLAY_GROUND_TRUTH"], "w") as f:
        json.dump(truth, f)
    s = socket.socket()  # the indexed event the test stops at
    s.close()
    later = 1
    return inner, later


make_values()
