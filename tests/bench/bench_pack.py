#!/usr/bin/env python3
"""Packing and unpacking a trace: pyreplay pack/unpack vs tar --zstd of the very same files.

Target (issue 8): `pyreplay pack` <= 1.3x `tar --zstd -cf` of the same files (the rr-packed
trace, its sidecar and the bundled debug files), side by side, median of several runs. Also
reported: the pack's size beside tar --zstd's, and unpack's verification throughput (every file
SHA-256-checked against the manifest while it is written), beside `tar --zstd -xf`.

  /usr/bin/python3.11 tests/bench/bench_pack.py [--runs 15] [--session sockets]
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

from benchlib import PYREPLAY, report, side_by_side, timed

CPU = {}  # contender name -> CPU seconds (user + sys, children included) of each run


def measured(name, argv, setup=None):
    """timed(), also recording the run's CPU time: on a shared 2-core machine wall time depends
    on how many runnable threads each side has (tar | zstd is two processes); CPU time less so."""
    def run():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = timed(argv, setup=setup)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        CPU.setdefault(name, []).append(after.ru_utime - before.ru_utime +
                                        after.ru_stime - before.ru_stime)
        return seconds
    return run


def report_cpu(names, baseline):
    base = statistics.median(CPU[baseline])
    for name in names:
        value = statistics.median(CPU[name])
        print("  CPU %-30s %8.3f s   %6.2fx %s" % (name, value, value / base, baseline))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--session", default="sockets")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="pyreplay-bench-pack-")
    try:
        trace = os.path.join(work, "trace")
        subprocess.run([PYREPLAY, "record", "--session", args.session, "-o", trace], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first = os.path.join(work, "first.pyrtrace")
        # The first pack runs `rr pack`; later ones find the trace already self-contained.
        subprocess.run([PYREPLAY, "pack", trace, "-o", first], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        info = json.loads(subprocess.run([PYREPLAY, "info", first, "--json"], check=True,
                                         capture_output=True, text=True).stdout)
        trace_files = [f["path"] for f in info["files"] if f["kind"] != "debug"]
        debug_files = [f["path"][len("pyreplay/debug/"):] for f in info["files"]
                       if f["kind"] == "debug"]
        unpacked = info["unpacked_bytes"]
        pack_out = os.path.join(work, "out.pyrtrace")
        tar_out = os.path.join(work, "out.tar.zst")
        tar_list = os.path.join(work, "trace-files.txt")
        with open(tar_list, "w") as f:
            f.write("\n".join(trace_files) + "\n")
        tar_argv = ["tar", "--zstd", "-cf", tar_out, "-C", trace, "-T", tar_list]
        if debug_files:
            tar_argv += ["-C", "/usr/lib/debug"] + debug_files

        stamp = os.path.join(trace, "pyreplay", "rr-packed")

        def forget_rr_pack():
            if os.path.exists(stamp):
                os.remove(stamp)

        tar_name = "tar --zstd -cf (same files)"
        packing = {
            tar_name: measured(tar_name, tar_argv),
            # Packing again (rr's files unchanged since the last rr pack, which is skipped).
            "pyreplay pack": measured("pyreplay pack", [PYREPLAY, "pack", trace, "-o", pack_out]),
            # The first pack of a trace runs `rr pack` (here on a trace rr already packed).
            "pyreplay pack, running rr pack": measured(
                "pyreplay pack, running rr pack", [PYREPLAY, "pack", trace, "-o", pack_out],
                setup=forget_rr_pack),
        }
        medians, _ = side_by_side(packing, args.runs)
        print("%s session: %d files, %.1f MiB unpacked (%d debug files)" %
              (args.session, len(info["files"]), unpacked / 2**20, len(debug_files)))
        ok = report("pack time", medians, "tar --zstd -cf (same files)", args.runs,
                    targets={"pyreplay pack": 1.3})
        report_cpu(["pyreplay pack", "pyreplay pack, running rr pack"], tar_name)
        pack_size, tar_size = os.path.getsize(pack_out), os.path.getsize(tar_out)
        print("  sizes: pack %.2f MiB, tar --zstd %.2f MiB (%.3fx)" %
              (pack_size / 2**20, tar_size / 2**20, pack_size / tar_size))

        counter = [0]

        def fresh():
            counter[0] += 1
            path = os.path.join(work, "unpacked-%d" % counter[0])
            return path

        def tar_x():
            target = fresh()
            os.makedirs(target)
            seconds = timed(["tar", "--zstd", "-xf", tar_out, "-C", target])
            shutil.rmtree(target)
            return seconds

        def unpack():
            target = fresh()
            seconds = timed([PYREPLAY, "unpack", pack_out, "-o", target])
            shutil.rmtree(target)
            return seconds

        medians, _ = side_by_side({"tar --zstd -xf": tar_x, "pyreplay unpack (verified)": unpack},
                                  args.runs)
        report("unpack time", medians, "tar --zstd -xf", args.runs)
        print("  unpack verification throughput: %.0f MB/s of unpacked data (median)" %
              (unpacked / 1e6 / medians["pyreplay unpack (verified)"]))
        return 0 if ok else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
