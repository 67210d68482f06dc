#!/usr/bin/python3.11
"""Index speed against `rr dump` and a decode-only floor, per-event time 10k -> 100k+, peak RSS.

    PYREPLAY_BIN=build-index/bin/pyreplay tests/bench/bench_index.py [--runs 5] [--keep DIR]

Makes two traces with make_index_trace.py (about 10k and 120k events), then on each runs, side
by side and round-robin: `rr dump TRACE` (output to /dev/null), `pyreplay index --force TRACE`
and `pyreplay index --decode-only TRACE` (Brotli + reading every frame, no indexing). Prints
medians, the ratios, the per-event times and the peak RSS of each contender (GNU time's %M; the
few ms of /usr/bin/time's own fork+exec are in every contender's time alike).
Exit status 1 when a target is missed.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import subprocess

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import make_index_trace  # noqa: E402


def run_measured(argv):
    """(wall seconds, CPU seconds, peak RSS in KiB) of one run of argv.

    The peak RSS comes from /usr/bin/time (GNU time, %M), which forks the command from its own
    small process: a child forked from this Python would report Python's own RSS as its peak.
    CPU time (user + system, from wait4, microsecond resolution) is reported beside the wall
    time: on a shared 2-core machine a run often waits for a core, which wall time counts and
    CPU time does not.
    """
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + argv,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit("failed (%d): %s\n%s" % (proc.returncode, " ".join(argv),
                                                       stderr.decode(errors="replace")))
        return elapsed, usage.ru_utime + usage.ru_stime, int(rss_file.read().split()[-1])


def events_of(trace):
    out = subprocess.run([benchlib.PYREPLAY, "index", "--decode-only", trace], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[0])


def measure(trace, runs):
    contenders = {
        "rr dump": ["rr", "dump", trace],
        "pyreplay index": [benchlib.PYREPLAY, "index", "--force", trace],
        "decode-only floor": [benchlib.PYREPLAY, "index", "--decode-only", trace],
    }
    times = {k: [] for k in contenders}
    cpu = {k: [] for k in contenders}
    rss = {k: 0 for k in contenders}
    for _ in range(runs):
        for name, argv in contenders.items():
            t, c, r = run_measured(argv)
            times[name].append(t)
            cpu[name].append(c)
            rss[name] = max(rss[name], r)
    median = lambda d: {k: statistics.median(v) for k, v in d.items()}  # noqa: E731
    return median(times), median(cpu), rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="make/reuse the traces in this folder")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="bench-index-")
    os.makedirs(root, exist_ok=True)
    traces = {}
    for label, threads, per in (("small", 4, 40), ("large", 48, 90)):
        path = os.path.join(root, label)
        if not os.path.exists(os.path.join(path, "version")):
            make_index_trace.make(path, threads, per)
        traces[label] = path

    ok = True
    per_event = {}
    for label, trace in traces.items():
        events = events_of(trace)
        medians, cpu, rss = measure(trace, args.runs)
        targets = {"pyreplay index": 0.25} if label == "large" else None
        print("\n%s trace: %d events, events stream %.1f MiB" % (
            label, events, os.path.getsize(os.path.join(trace, "events")) / 1048576))
        ok &= benchlib.report("index vs rr dump, wall time", medians, "rr dump", args.runs,
                              targets)
        ok &= benchlib.report("index vs rr dump, CPU time", cpu, "rr dump", args.runs, targets)
        for kind, values in (("wall", medians), ("CPU", cpu)):
            floor = values["pyreplay index"] / values["decode-only floor"]
            met = floor <= 2.0
            ok &= met or label != "large"
            print("  pyreplay index / decode-only floor, %s time: %.2fx   target <= 2.00x: %s" %
                  (kind, floor, "met" if met else "MISSED"))
        per_event[label] = (medians["pyreplay index"] / events, events)
        print("  peak RSS: " + ", ".join("%s %.1f MiB" % (k, v / 1024) for k, v in rss.items()))
    (small, n_small), (large, n_large) = per_event["small"], per_event["large"]
    ratio = large / small
    met = ratio <= 1.5
    ok &= met
    print("\nper-event index time: %.2f us at %d events, %.2f us at %d events: %.2fx   "
          "target <= 1.50x: %s" % (small * 1e6, n_small, large * 1e6, n_large, ratio,
                                   "met" if met else "MISSED"))
    print("(process start-up is included in every time)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
