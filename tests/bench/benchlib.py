"""Shared helpers for pyreplay's benchmark scripts.

The machine is shared and noisy, so every benchmark runs its contenders side by side, round-robin,
several times, and reports medians and *ratios* against a baseline measured in the same run.
"""

import os
import statistics
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("PYREPLAY_BUILD_DIR", os.path.join(REPO, "build"))
PYREPLAY = os.environ.get("PYREPLAY_BIN") or os.path.join(BUILD, "bin", "pyreplay")
PRELOAD = os.path.join(os.path.dirname(os.path.dirname(PYREPLAY)), "lib", "pyreplay",
                       "libpyreplay_nopmu.so")
PYTHON = "/usr/bin/python3.11"


def cpu_vendor_microarch():
    with open("/proc/cpuinfo") as f:
        return "AMD Zen" if "AuthenticAMD" in f.read() else "Intel Skylake"


def bare_rr_env():
    """The environment for running rr by hand in no-PMU mode: the preload library alone."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = PRELOAD
    return env


def bare_rr(*args):
    return ["rr", "--microarch", cpu_vendor_microarch()] + list(args)


def timed(argv, env=None, setup=None):
    """Runs argv once (after `setup()`, untimed) and returns wall seconds; fails loudly."""
    if setup:
        setup()
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("benchmark command failed (%d): %s\n%s" %
                         (proc.returncode, " ".join(argv), proc.stderr.decode(errors="replace")))
    return elapsed


def side_by_side(contenders, runs):
    """contenders: {name: callable returning seconds}. Runs them round-robin; returns medians."""
    samples = {name: [] for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            samples[name].append(fn())
    return {name: statistics.median(s) for name, s in samples.items()}, samples


def report(title, medians, baseline, runs, targets=None):
    """Prints medians and ratios against `baseline`; returns False when a target is missed."""
    print("%s (median of %d runs, side by side)" % (title, runs))
    ok = True
    for name, value in medians.items():
        ratio = value / medians[baseline]
        line = "  %-34s %8.3f s   %6.2fx %s" % (name, value, ratio, baseline)
        if targets and name in targets:
            limit = targets[name]
            met = ratio <= limit
            ok = ok and met
            line += "   target <= %.2fx: %s" % (limit, "met" if met else "MISSED")
        print(line)
    return ok
