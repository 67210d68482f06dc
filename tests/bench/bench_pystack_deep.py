"""Benchmarks for issue 6, side by side in one run, medians of several runs:

1. `pyr bt --all` against `thread apply all py-bt` (python-gdb.py), in the same gdb session at the
   same stop, so both see the same threads. The decoder is rebuilt (layout from the debug info,
   empty code cache) before every `pyr bt --all` run: a cold call, not a cached one.
2. `pyreplay index --deep` against one `pyreplay replay --autopilot` of the same trace.

Run: PYREPLAY_BIN=build-x/bin/pyreplay /usr/bin/python3.11 tests/bench/bench_pystack_deep.py [RUNS]
"""

import json
import os
import re
import subprocess
import sys
import tempfile

from benchlib import PYREPLAY, report, side_by_side, timed

_GDB_TIMER = r'''
import time, statistics, gdb
from pyreplay_gdb import stacks
def _pyr():
    stacks._session["decoder"] = None
    t = time.perf_counter(); out = gdb.execute("pyr bt --all", to_string=True)
    return time.perf_counter() - t, out
def _pybt():
    t = time.perf_counter(); out = gdb.execute("thread apply all py-bt", to_string=True)
    return time.perf_counter() - t, out
a, b = [], []
for _ in range(RUNS):
    x, out_a = _pyr(); a.append(x)
    y, out_b = _pybt(); b.append(y)
threads = len([l for l in out_a.splitlines() if l.startswith("Thread ")])
print("BENCH threads=%d pyr=%.6f pybt=%.6f" % (threads, statistics.median(a), statistics.median(b)))
'''


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    work = tempfile.mkdtemp(prefix="pyreplay-bench-pystack-")
    trace = os.path.join(work, "sockets")
    subprocess.run([PYREPLAY, "record", "--session", "sockets", "-o", trace, "--ground-truth",
                    os.path.join(work, "truth.json")], check=True, capture_output=True)
    truth = json.load(open(os.path.join(work, "truth.json")))
    events = json.loads(subprocess.run([PYREPLAY, "events", trace, "--json", "--kind", "connect"],
                                       check=True, capture_output=True, text=True).stdout)
    # The last client's connect: the most live threads.
    last = [c["tid"] for c in truth["connections"] if c["thread"] == "client-2"][0]
    event = [e["event"] for e in events if e["tid"] == last][0]
    script = os.path.join(work, "timer.py")
    with open(script, "w") as f:
        f.write(_GDB_TIMER.replace("RUNS", str(runs)))
    out = subprocess.run([PYREPLAY, "replay", trace, "--batch", "-ex", "pyr goto %d" % event,
                          "-ex", "source " + script], capture_output=True, text=True, timeout=600)
    m = re.search(r"BENCH threads=(\d+) pyr=([\d.]+) pybt=([\d.]+)", out.stdout)
    if not m:
        raise SystemExit("gdb timing failed:\n" + out.stdout + out.stderr)
    threads, pyr, pybt = int(m.group(1)), float(m.group(2)), float(m.group(3))
    ok1 = report("pyr bt --all vs thread apply all py-bt (%d threads, gdb-internal, median of %d)"
                 % (threads, runs), {"thread apply all py-bt": pybt, "pyr bt --all": pyr},
                 "thread apply all py-bt", runs, targets={"pyr bt --all": 0.5})

    # The pass asks gdb for CPython's layout once per Python build and caches it by build-id
    # (replay/deep_index/python_layout.h): time it both with that cache and with an empty one.
    cold_cache = os.path.join(work, "cold-cache")

    def empty_cache():
        subprocess.run(["rm", "-rf", cold_cache])
        os.makedirs(cold_cache)

    cold_env = dict(os.environ, XDG_CACHE_HOME=cold_cache)
    medians, _ = side_by_side({
        "replay --autopilot": lambda: timed([PYREPLAY, "replay", trace, "--autopilot"]),
        "index --deep": lambda: timed([PYREPLAY, "index", "--deep", trace]),
        "index --deep (empty layout cache)": lambda: timed(
            [PYREPLAY, "index", "--deep", trace], env=cold_env, setup=empty_cache),
    }, runs)
    ok2 = report("pyreplay index --deep vs one pyreplay replay --autopilot (sockets session)",
                 medians, "replay --autopilot", runs, targets={"index --deep": 3.0})
    print("  (the empty-cache run is the first deep index for a Python build on a machine; "
          "every later one is the warm case)")
    subprocess.run(["rm", "-rf", work])
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
