#!/usr/bin/python3.11
"""Synthesizes a timeline model (the JSON `pyreplay timeline --json` writes) of any size, and the
page for it, by filling replay/timeline/timeline.html the way RenderTimelineHtml does.

Used to debug the page without a trace, and by bench_timeline.py as a page-only side of the
measurement (the recorded large trace is the other side).

  timeline_synth.py --threads 1000 --events 10000 -o /tmp/big.html
"""

import argparse
import json
import os
import random

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(REPO, "replay", "timeline", "timeline.html")
PLACEHOLDER = "/*PYREPLAY_TIMELINE_DATA*/"


def synth_model(threads, events, seed=1):
    rnd = random.Random(seed)
    count = events * 20
    pid = 1000
    model = {"format": 1, "traceName": "synthetic-%d-%d" % (threads, events), "eventCount": count,
             "duration": count * 1e-4, "deep": False,
             "processes": [{"pid": pid, "parent": 1, "exe": "/usr/bin/python3.11", "start": 0,
                            "end": count}],
             "threads": [], "events": [], "marks": []}
    lanes = []
    for i in range(threads):
        tid = pid + i
        start = 0 if i == 0 else rnd.randint(1, count * 3 // 4)
        end = count if i == 0 else min(count, start + rnd.randint(count // 100, count // 4))
        lanes.append((tid, start, end))
        model["threads"].append({"tid": tid, "pid": pid, "parent": pid if i else 0,
                                 "name": "main" if i == 0 else "worker-%d" % i, "start": start,
                                 "end": end, "ts": start * 1e-4, "te": end * 1e-4,
                                 "exited": i != 0})
    evs = []
    for tid, start, end in lanes[1:]:
        evs.append({"n": start, "kind": "thread", "tid": tid, "pid": pid})
        evs.append({"n": end, "kind": "thread-exit", "tid": tid, "pid": pid})
    kinds = ["socket", "bind", "listen", "connect", "accept"]
    while len(evs) < events:
        tid, start, end = lanes[rnd.randrange(len(lanes))]
        n = rnd.randint(start, end)
        kind = kinds[rnd.randrange(len(kinds))]
        e = {"n": n, "kind": kind, "tid": tid, "pid": pid, "syscall": 41, "fd": rnd.randint(3, 50),
             "result": 0}
        if kind in ("connect", "accept"):
            e["local"] = "127.0.0.1:%d" % rnd.randint(30000, 60000)
            e["remote"] = "127.0.0.1:8765"
        evs.append(e)
    evs.sort(key=lambda e: e["n"])
    for e in evs:
        e["t"] = e["n"] * 1e-4
        e["text"] = e["kind"]
    # Pair each connect with a later accept on another thread.
    accepts = [i for i, e in enumerate(evs) if e["kind"] == "accept"]
    for i, e in enumerate(evs):
        if e["kind"] == "connect" and accepts:
            j = accepts.pop()
            if evs[j].get("peer") is None and j != i:
                e["peer"], evs[j]["peer"] = j, i
    model["events"] = evs
    for k in range(5):
        n = count * (k + 1) // 6
        model["marks"].append({"id": "%032x" % k, "name": "mark-%d" % k, "note": "synthetic note %d" % k,
                               "author": "bench", "event": n, "tid": pid, "t": n * 1e-4, "py": ""})
    return model


def render_html(model):
    with open(TEMPLATE) as f:
        page = f.read()
    data = json.dumps(model, separators=(",", ":"), ensure_ascii=True).replace("<", "\\u003c")
    return page.replace(PLACEHOLDER, data, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    with open(args.output, "w") as f:
        f.write(render_html(synth_model(args.threads, args.events)))


if __name__ == "__main__":
    main()
