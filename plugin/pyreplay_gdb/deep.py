"""The deep index's replay pass, run inside gdb by `pyreplay index --deep`.

One forward pass: breakpoints on the libc functions that make the indexed syscalls (rr has no
`catch syscall`), and at each stop the stopped thread's `when`, tid and Python stack, plus the
Python names of all threads. The result goes to a JSON file that the C++ side
(replay/deep_index/deep_builder.cc) matches to the index and stores. It writes that file only
when the replay reached the end: an interrupted pass leaves nothing to store.
"""

import json
import os
import re
import time

import gdb

from . import stacks
from .core import PyrError


def _when():
    out = gdb.execute("when", to_string=True)
    m = re.search(r"Current event: (\d+)", out)
    return int(m.group(1)) if m else 0


def _fail(message):
    gdb.write("pyreplay-deep: error: %s\n" % message)
    gdb.execute("kill", to_string=True)
    gdb.execute("quit 3")


def run(request_path):
    """Runs the pass; exits gdb with 130 when interrupted (Ctrl-C), writing nothing."""
    try:
        _run(request_path)
    except KeyboardInterrupt:
        gdb.write("pyreplay-deep: interrupted\n")
        gdb.execute("quit 130")


def _run(request_path):
    with open(request_path) as f:
        request = json.load(f)
    state = {"hit": None, "exited": False, "interrupted": False}

    def on_stop(event):
        if isinstance(event, gdb.BreakpointEvent):
            state["hit"] = event.breakpoints
        elif isinstance(event, gdb.SignalEvent) and event.stop_signal == "SIGINT":
            state["interrupted"] = True

    def on_exit(event):
        state["exited"] = True

    gdb.events.stop.connect(on_stop)
    gdb.events.exited.connect(on_exit)
    gdb.execute("set breakpoint pending on", to_string=True)
    kinds = {}
    for function, kind in request["functions"].items():
        bp = gdb.Breakpoint(function, internal=True)
        kinds[bp.number] = kind
    progress = open(request["progress"], "a")
    stall = float(os.environ.get("PYREPLAY_DEEP_TEST_STALL", "0") or 0)  # tests: a slow pass
    stops, names, checked = [], {}, False
    while True:
        state["hit"] = None
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error as e:
            if not state["exited"]:
                _fail("the replay stopped unexpectedly: %s" % e)
            break
        if state["interrupted"]:
            gdb.execute("quit 130")
        if state["exited"] or not gdb.selected_inferior().pid:
            break
        hits = [kinds[b.number] for b in (state["hit"] or []) if b.number in kinds]
        if not hits:
            continue
        when = _when()
        tid = gdb.selected_thread().ptid[1]
        progress.write("%d\n" % when)
        progress.flush()
        if not checked:
            try:
                stacks.decoder()  # debug info and version: fail once, clearly
            except PyrError as e:
                _fail(str(e).replace("pyr bt: ", "", 1))
            checked = True
        stack, child = [], None
        try:
            t = stacks.thread_stack(tid)
            stack = [[f["file"], f["line"], f["function"]] for f in t["frames"] if f["readable"]]
            child = t.get("starting_name")  # the threading.Thread this stop is starting
        except PyrError:
            pass  # a thread with no Python state yet: an empty stack
        try:
            for t in stacks.all_threads():
                if t["name"]:
                    names[str(t["tid"])] = t["name"]
        except PyrError:
            pass
        stop = {"when": when, "tid": tid, "kind": hits[0], "stack": stack}
        if child and hits[0] == "thread":
            stop["child_name"] = child
        stops.append(stop)
        if stall:
            time.sleep(stall)
            stall = 0
    progress.write("%d\n" % request.get("events", 0))
    progress.close()
    tmp = request["output"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"complete": True, "stops": stops, "names": names}, f)
    os.rename(tmp, request["output"])
