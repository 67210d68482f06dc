#!/usr/bin/env python3
"""Whole-process time of recording the threads session: pyreplay record vs bare rr vs plain python.

Target (issue 3): pyreplay record <= 1.10x rr with the preload library alone, i.e. our wrapper
(mode detection, metadata, index) adds almost nothing to rr itself.

  /usr/bin/python3.11 tests/bench/bench_record.py [--runs 7]
"""

import argparse
import os
import shutil
import sys
import tempfile

from benchlib import (PYREPLAY, PYTHON, REPO, bare_rr, bare_rr_env, report, side_by_side, timed)

SESSION = os.path.join(REPO, "scripts", "sessions", "threads.py")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pyreplay-bench-record-")
    counter = [0]

    def fresh(name):
        counter[0] += 1
        path = os.path.join(work, "%s-%d" % (name, counter[0]))
        return path

    def pyreplay_record():
        return timed([PYREPLAY, "record", "--session", "threads", "-o", fresh("pyreplay")])

    def rr_record():
        return timed(bare_rr("record", "-o", fresh("rr"), PYTHON, SESSION), env=bare_rr_env())

    def plain():
        return timed([PYTHON, SESSION])

    try:
        medians, _ = side_by_side({
            "pyreplay record --session threads": pyreplay_record,
            "rr record (preload only)": rr_record,
            "python3.11 threads.py": plain,
        }, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ok = report("record the threads session", medians, "rr record (preload only)", args.runs,
                targets={"pyreplay record --session threads": 1.10})
    print("  rr's own overhead: %.2fx plain python3.11" %
          (medians["rr record (preload only)"] / medians["python3.11 threads.py"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
