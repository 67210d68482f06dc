#!/usr/bin/python3.11
"""The timeline page's load and pan time on a large trace, as a ratio to a small one.

Small: the sockets chapter session (5 threads, ~26 indexed events). Large: timeline_threads.py
recorded for real with `pyreplay record` (1,002 threads, ~11,000 indexed events: 1,000 client
threads with 3 connections each, and the server's accepts). Both pages come from
`pyreplay timeline`, and are opened side by side, round-robin, in Debian's headless Chromium
(tests/e2e/timeline/drive.js; run tests/e2e/test_timeline.py once, or `npm install` there).

Measured, median of --runs:
  - first render: from navigation start to the end of the first canvas frame (page clock);
  - load: page.goto until the page says it is ready (driver's clock, includes Chromium's work);
  - pan: one drag step with its redraw, averaged over a batch, whole view and zoomed in 20x.
Also a synthetic pair (timeline_synth.py: 100 vs 10,000 events, 10 vs 1,000 threads), page only.

Target (issue 9): first render on the large trace < 10x the small one, for ~100x+ the events.

  /usr/bin/python3.11 tests/bench/bench_timeline.py [--runs 5] [--large-trace DIR]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import PYREPLAY, PYTHON, REPO

DRIVER_DIR = os.path.join(REPO, "tests", "e2e", "timeline")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import timeline_synth  # noqa: E402


def run(argv, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise SystemExit("bench: %s failed (%d)\n%s%s" % (" ".join(argv), proc.returncode,
                                                          proc.stdout, proc.stderr))
    return proc


def drive(page, pans=60):
    proc = run(["node", os.path.join(DRIVER_DIR, "drive.js"),
                json.dumps({"page": page, "bench": {"pans": pans}})], cwd=DRIVER_DIR, timeout=300)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["consoleErrors"] or out["pageErrors"]:
        raise SystemExit("bench: %s logged errors: %s" % (page, out["consoleErrors"] + out["pageErrors"]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--large-trace", help="reuse a recorded timeline_threads.py trace")
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=3)
    args = parser.parse_args()
    if not os.path.exists(os.path.join(DRIVER_DIR, "node_modules", "playwright-core")):
        run(["npm", "install", "--no-audit", "--no-fund"], cwd=DRIVER_DIR, timeout=600)
    work = tempfile.mkdtemp(prefix="pyreplay-bench-timeline-")
    try:
        small_trace = os.path.join(work, "sockets")
        run([PYREPLAY, "record", "--session", "sockets", "-o", small_trace], timeout=300)
        large_trace = args.large_trace
        if not large_trace:
            large_trace = os.path.join(work, "large")
            print("recording %d threads x %d connections ..." % (args.threads, args.connections),
                  flush=True)
            run([PYREPLAY, "record", "-o", large_trace, "--", PYTHON,
                 os.path.join(REPO, "tests", "bench", "timeline_threads.py"),
                 str(args.threads), str(args.connections)], timeout=1800)
        pages, sizes = {}, {}
        for name, trace in (("small", small_trace), ("large", large_trace)):
            pages[name] = os.path.join(work, name + ".html")
            model = os.path.join(work, name + ".json")
            run([PYREPLAY, "timeline", trace, "-o", pages[name], "--json", model], timeout=600)
            with open(model) as f:
                m = json.load(f)
            sizes[name] = (len(m["threads"]), len(m["events"]), os.path.getsize(pages[name]))
        for name, (threads, events) in (("synth-small", (10, 100)), ("synth-large", (1000, 10000))):
            pages[name] = os.path.join(work, name + ".html")
            with open(pages[name], "w") as f:
                f.write(timeline_synth.render_html(timeline_synth.synth_model(threads, events)))
            sizes[name] = (threads, events, os.path.getsize(pages[name]))

        samples = {name: [] for name in pages}
        for _ in range(args.runs):
            for name, page in pages.items():
                samples[name].append(drive(page))

        def med(name, key):
            return statistics.median(key(s) for s in samples[name])

        print("timeline page in headless Chromium (median of %d runs, side by side)" % args.runs)
        print("  %-12s %7s %7s %9s %14s %10s %12s %12s" % (
            "page", "threads", "events", "html KiB", "first render", "load", "pan (whole)",
            "pan (20x in)"))
        metrics = {}
        for name in pages:
            t, e, size = sizes[name]
            metrics[name] = {
                "first": med(name, lambda s: s["firstRenderMs"]),
                "load": med(name, lambda s: s["loadMs"]),
                "pan_whole": med(name, lambda s: s["panMs"]["whole"]),
                "pan_zoomed": med(name, lambda s: s["panMs"]["zoomed"]),
            }
            m = metrics[name]
            print("  %-12s %7d %7d %9.0f %11.1f ms %7.0f ms %9.3f ms %9.3f ms" % (
                name, t, e, size / 1024, m["first"], m["load"], m["pan_whole"], m["pan_zoomed"]))
        ok = True
        for small, large in (("small", "large"), ("synth-small", "synth-large")):
            ev = sizes[large][1] / max(1, sizes[small][1])
            th = sizes[large][0] / max(1, sizes[small][0])
            print("%s vs %s: %.0fx the events, %.0fx the threads" % (large, small, ev, th))
            for key, label in (("first", "first render"), ("load", "load"),
                               ("pan_whole", "pan, whole view"), ("pan_zoomed", "pan, zoomed in")):
                ratio = metrics[large][key] / max(1e-9, metrics[small][key])
                line = "  %-16s %6.2fx" % (label, ratio)
                if key == "first":
                    met = ratio < 10
                    ok = ok and met
                    line += "   target < 10x: %s" % ("met" if met else "MISSED")
                print(line)
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
