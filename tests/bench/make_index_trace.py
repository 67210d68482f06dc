#!/usr/bin/python3.11
"""Records a large trace for the index benchmark: many threads, thousands of loopback connections.

    make_index_trace.py OUT_DIR [--threads 48] [--per-thread 90]

Uses tests/e2e/programs/many_conns.py (IPv4 and IPv6 servers, client threads, a forked child).
48 threads x 90 connections gives about 100k+ events.
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

PROGRAM = os.path.join(benchlib.REPO, "tests", "e2e", "programs", "many_conns.py")


def make(out, threads, per_thread):
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([benchlib.PYREPLAY, "record", "-o", out, "--", benchlib.PYTHON, PROGRAM,
                    "--threads", str(threads), "--per-thread", str(per_thread)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=48)
    parser.add_argument("--per-thread", type=int, default=90)
    args = parser.parse_args()
    make(args.out, args.threads, args.per_thread)


if __name__ == "__main__":
    main()
