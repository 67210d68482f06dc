"""Benchmark for issue 5's fast jumps: medians of several rounds, contenders side by side.

Each contender runs in its own fresh gdb session and is timed inside it (time.perf_counter around
the jump), so gdb's and rr's start-up are not counted; the contenders take turns, round after
round, so the machine's drifting load hits them alike. Fresh sessions, because a jump with no
checkpoint of ours is much faster in a session that has replayed before, even after deleting
every checkpoint `info checkpoints` shows (rr keeps state of its own; measured on the 14k-event
trace: 1.1 s to the end in a fresh session, 0.3 s in a used one), so only the first is cold.

1. Cold `pyr goto N` against rr's raw `run N-1`, which lands on event N (target <= 1.2x). N is the
   trace's last connect. "As typed" includes the printout (C location, which needs gdb to unwind
   the stack, and Python location); "jump alone" is the motion.
2. A backward jump to a nearby event with a checkpoint behind it: land at the connect before the
   last (a checkpoint is made there), jump past to the last connect, then back to the first
   indexed event after the former. Against the same jump with no checkpoint, i.e. replaying from
   the start (target <= 0.3x). Every backward landing is compared with the cold one: same
   `when`, tid and every general register. "checkpoint restore alone" is the floor: restoring
   the checkpoint with no replay after it.

Run: PYREPLAY_BIN=build/bin/pyreplay /usr/bin/python3.11 tests/bench/bench_goto.py [RUNS]
     [--many THREADS PER_THREAD]   (a longer many_conns.py trace instead of the sockets session)
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import PYREPLAY, report

_TIMER = r'''
import json, time, gdb
from pyreplay_gdb import events, motion
def _t(fn, *args):
    t = time.perf_counter(); fn(*args); return time.perf_counter() - t
def _typed(target):  # what a person types: the jump and its printout (C and Python location)
    return _t(gdb.execute, "pyr goto %%d" %% target, False, True)
def _quiet(target):  # the jump alone
    return _t(events.goto_event, target, True)
def _state():
    return {"when": motion.when(), "tid": motion.current_tid(), "regs": motion.registers()}
MODE, HOW = "%(mode)s", "%(how)s"
jump = _typed if HOW == "typed" else _quiet
out = {}
if MODE == "raw":
    out["t"] = _t(gdb.execute, "run %(raw_arg)d", False, True)
    out["state"] = {"when": motion.when()}
elif MODE == "cold":
    out["t"] = jump(%(target)d)
    out["state"] = {"when": motion.when()}
elif MODE == "back":
    jump(%(behind)d)
    jump(%(past)d)
    out["t"] = jump(%(near)d)
    out["state"] = _state()
elif MODE == "start":
    out["t"] = jump(%(near)d)
    out["state"] = _state()
elif MODE == "restore":  # the floor: restoring the checkpoint behind, with no replay after it
    jump(%(behind)d)
    jump(%(past)d)
    out["t"] = _t(motion.CHECKPOINTS.restart, ("event", %(behind)d))
    out["state"] = {"when": motion.when()}
print("BENCH " + json.dumps(out))
'''

CONTENDERS = [  # (name, mode, how); each one in a fresh gdb session
    ("raw run N", "raw", "typed"),
    ("cold pyr goto N", "cold", "typed"),
    ("cold jump alone", "cold", "quiet"),
    ("from the start", "start", "typed"),
    ("back, checkpoint behind", "back", "typed"),
    ("from the start, jump alone", "start", "quiet"),
    ("back, jump alone", "back", "quiet"),
    ("checkpoint restore alone", "restore", "quiet"),
]


def in_gdb(trace, work, mode, how, **targets):
    script = os.path.join(work, "timer-%s-%s.py" % (mode, how))
    with open(script, "w") as f:
        f.write(_TIMER % dict(targets, mode=mode, how=how))
    proc = subprocess.run([PYREPLAY, "replay", trace, "--batch", "-ex", "source " + script],
                          capture_output=True, text=True, timeout=600)
    m = re.search(r"^BENCH (.*)$", proc.stdout, re.M)
    if not m:
        raise SystemExit("gdb timing (%s, %s) failed:\n%s\n%s" % (
            mode, how, proc.stdout[-3000:], proc.stderr[-3000:]))
    return json.loads(m.group(1))


def record(work, many, deep):
    """The chapter's sockets session, or (--many T P) a longer many_conns.py trace."""
    trace = os.path.join(work, "trace")
    if many:
        from make_index_trace import make
        trace = make(trace, many[0], many[1])
        if deep:
            subprocess.run([PYREPLAY, "index", "--deep", trace], check=True, capture_output=True)
        return trace
    subprocess.run([PYREPLAY, "record", "--session", "sockets", "-o", trace], check=True,
                   capture_output=True)
    if deep:
        # What the README's workflow does next; `pyr goto` then prints the Python location from
        # it instead of loading CPython's debug types into a fresh gdb.
        subprocess.run([PYREPLAY, "index", "--deep", trace], check=True, capture_output=True)
    return trace


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="?", type=int, default=5)
    parser.add_argument("--many", nargs=2, type=int, metavar=("THREADS", "PER_THREAD"),
                        help="bench a many_conns.py trace instead of the sockets session")
    parser.add_argument("--no-deep", action="store_true",
                        help="do not build the deep index (pyr goto then decodes the Python "
                             "location in gdb)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pyreplay-bench-goto-")
    trace = record(work, args.many, not args.no_deep)
    print("trace %s, deep index: %s" % (trace, "no" if args.no_deep else "yes"))
    events = json.loads(subprocess.run([PYREPLAY, "events", trace, "--json"], check=True,
                                       capture_output=True, text=True).stdout)
    connects = [e["event"] for e in events if e["kind"] == "connect"]
    indexed = sorted({e["event"] for e in events})
    target = connects[-1]
    # The nearby backward jump: from the last connect back to the indexed event just after the
    # one before it, with a checkpoint at that one (visited first) behind the target.
    behind = connects[-2]
    near = next(e for e in indexed if e > behind)
    # rr users land on event N by hand with `run N-1`; checked below.
    targets = {"target": target, "raw_arg": target - 1, "behind": behind, "near": near,
               "past": target}
    total = int(subprocess.run([PYREPLAY, "info", trace, "--json"], check=True,
                               capture_output=True, text=True).stdout and
                json.loads(subprocess.run([PYREPLAY, "info", trace, "--json"], check=True,
                                          capture_output=True, text=True).stdout)["events"])
    print("trace: %s, %d events; cold target %d; backward %d -> %d (checkpoint at %d)" %
          (trace, total, target, target, near, behind))

    samples = {name: [] for name, _, _ in CONTENDERS}
    for i in range(args.runs):  # round-robin: the machine's load drifts alike for all
        got = {name: in_gdb(trace, work, mode, how, **targets)
               for name, mode, how in CONTENDERS}
        for name in ("raw run N", "cold pyr goto N", "cold jump alone"):
            if got[name]["state"]["when"] != target:
                raise SystemExit("%s landed at event %d, not %d" %
                                 (name, got[name]["state"]["when"], target))
        # Exact landings: a checkpointed backward jump equals a cold one, every register.
        for name in ("back, checkpoint behind", "back, jump alone", "from the start, jump alone"):
            if got[name]["state"] != got["from the start"]["state"]:
                raise SystemExit("%s landed elsewhere than a cold jump:\n%s\n%s" %
                                 (name, got[name]["state"], got["from the start"]["state"]))
        if got["checkpoint restore alone"]["state"]["when"] != behind:
            raise SystemExit("restoring the checkpoint landed at %d" %
                             got["checkpoint restore alone"]["state"]["when"])
        for name in got:
            samples[name].append(got[name]["t"])
        print("run %d: " % (i + 1) + "  ".join("%s %.3f" % (n, got[n]["t"]) for n in got),
              flush=True)
    medians = {k: statistics.median(v) for k, v in samples.items()}
    ok1 = report("cold pyr goto %d vs rr's raw run to the same event" % target,
                 {k: medians[k] for k in ("raw run N", "cold pyr goto N", "cold jump alone")},
                 "raw run N", args.runs, {"cold pyr goto N": 1.2, "cold jump alone": 1.2})
    ok2 = report("backward pyr goto %d (checkpoint at %d) vs replaying from the start, as typed"
                 % (near, behind),
                 {k: medians[k] for k in ("from the start", "back, checkpoint behind")},
                 "from the start", args.runs, {"back, checkpoint behind": 0.3})
    ok3 = report("the same, the jump alone (no location printout)",
                 {k: medians[k] for k in ("from the start, jump alone", "back, jump alone",
                                          "checkpoint restore alone")},
                 "from the start, jump alone", args.runs, {"back, jump alone": 0.3})
    shutil.rmtree(work, ignore_errors=True)  # kept only when a check above failed
    sys.exit(0 if ok1 and ok2 and ok3 else 1)


if __name__ == "__main__":
    main()
