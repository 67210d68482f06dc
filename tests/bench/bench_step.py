#!/usr/bin/python3.11
"""Python-level stepping vs one rr checkpoint `restart`, side by side in one gdb session.

On the chapter's sockets session (recorded fresh), stopped where the client connects
(`sock_connect`, in Python at `s.connect(...)`), each round measures, round-robin:
  - restart:  one `restart N` of an rr checkpoint planted there (the baseline);
  - restore as pyr does it: the same checkpoint restored by rr's vRun sent from the plugin,
              without gdb's re-run (motion.restart_checkpoint; shown, not a target);
  - forward:  one `pyr next-line`;
  - backward: one `pyr rnext` with no walked path (scan from a checkpoint, then a counted run),
              and the three steps back after it, per step (they reuse that scan);
  - undo:     one `pyr rnext` back along a path just walked with `pyr next-line` (one restore
              plus one rr-side conditional watch to the line's first write, or a counted walker
              run; the stepper plants no rr checkpoints of its own).
Prints medians and ratios to the restart median. Targets: forward <= 0.1x, backward <= 2x,
undo <= 1.2x. Not part of ctest.

Usage: tests/bench/bench_step.py [--runs N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import benchlib

GDB_SIDE = r'''
import json, re, time, statistics
import gdb
from pyreplay_gdb import motion, stepping

RUNS = %(runs)d
def q(cmd):
    return gdb.execute(cmd, to_string=True)

def timed(cmd):
    t = time.perf_counter()
    q(cmd)
    return time.perf_counter() - t

def forget():
    stepping.WALK.current = None
    stepping.WALK.nodes = []

# a position in Python where rr can clone (the baseline needs a real checkpoint)
q("pyr next-line")
while not motion.checkpointable_here():
    q("pyr next-line")
ckpt = int(re.search(r"Checkpoint (\d+)", q("checkpoint")).group(1))
samples = {"restart": [], "restore as pyr does it": [], "forward": [], "backward": [],
           "backward x3, per step": [], "undo": []}
for _ in range(RUNS):
    samples["restart"].append(timed("restart %%d" %% ckpt))
    t = time.perf_counter()
    motion.restart_checkpoint(ckpt)
    samples["restore as pyr does it"].append(time.perf_counter() - t)
    forget()
    samples["forward"].append(timed("pyr next-line"))
    # backward with nothing walked: the position reached from the base, then forgotten; the
    # first step back scans, the next ones reuse that scan (reported per step)
    q("pyr next-line 3")
    forget()
    samples["backward"].append(timed("pyr rnext"))
    samples["backward x3, per step"].append(timed("pyr rnext 3") / 3)
    # undo along a walked path: walk three lines, back one (this finds a way back to where the
    # walk began, once), then time the next step back
    q("restart %%d" %% ckpt)
    forget()
    q("pyr next-line 3")
    q("pyr rnext")
    samples["undo"].append(timed("pyr rnext"))
    q("restart %%d" %% ckpt)
    forget()
print("BENCH " + json.dumps(samples))
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-step-")
    trace = os.path.join(work, "sockets")
    subprocess.run([benchlib.PYREPLAY, "record", "--session", "sockets", "-o", trace],
                   check=True, capture_output=True)
    script = os.path.join(work, "bench.py")
    with open(script, "w") as f:
        f.write(GDB_SIDE % {"runs": args.runs})
    proc = subprocess.run([benchlib.PYREPLAY, "replay", trace, "--batch",
                           "-ex", "break sock_connect", "-ex", "continue", "-ex", "delete",
                           "-ex", "source " + script], capture_output=True, text=True,
                          timeout=1800)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        sys.exit("bench_step: the gdb side failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    samples = json.loads(line[6:])
    import statistics
    medians = {k: statistics.median(v) for k, v in samples.items()}
    ok = benchlib.report("Python stepping vs one rr checkpoint restart (sockets session, %d runs)"
                         % args.runs, medians, "restart", args.runs,
                         {"forward": 0.1, "backward": 2.0, "backward x3, per step": 2.0, "undo": 1.2})
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
