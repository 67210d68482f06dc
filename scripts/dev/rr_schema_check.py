#!/usr/bin/env python3
"""Checks that replay/trace/rr_trace.capnp is wire-compatible with rr's own schema, per release.

Cap'n Proto places a field by its ordinal and type, so two schemas agree on the wire when every
field we declare has, under the same name, the same ordinal and bit (or pointer) position, and
every union the same tag position and member tags, as in rr's file. `capnp compile -ocapnp` prints those positions as comments;
this compares them, field by field, for every struct we declare.

Usage: rr_schema_check.py RR_GIT_DIR TAG [TAG...]     (e.g. a clone of rr-debugger/rr; 5.6.0)
Prints one line per release ("5.9.0: OK, 97 fields compared") and exits 1 on any difference.
"""
import os
import re
import subprocess
import sys
import tempfile

OURS = os.path.join(os.path.dirname(__file__), "..", "..", "replay", "trace", "rr_trace.capnp")


def layout(path):
    """{(struct, path-in-struct): position text} for every field, group and union of `path`."""
    text = subprocess.run(["capnp", "compile", "-ocapnp", "-I/usr/include", path], check=True,
                          capture_output=True, text=True).stdout
    out, stack = {}, []
    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"struct (\w+) @0x[0-9a-f]+ \{", s)
        if m:
            stack = [m.group(1)]
            continue
        if s.startswith("}"):
            if len(stack) > 1:
                stack.pop()
            continue
        m = re.match(r"union \{\s*# tag bits \[(\d+), (\d+)\)", s)
        if m and stack:
            stack.append("union")
            out[(stack[0], ".".join(stack[1:]))] = "tag[%s,%s)" % m.groups()
            continue
        m = re.match(r"(\w+) :group \{(?:\s*# union tag = (\d+))?", s)
        if m and stack:
            stack.append(m.group(1))
            if m.group(2) is not None:
                out[(stack[0], ".".join(stack[1:]))] = "tag=" + m.group(2)
            continue
        m = re.match(r"(\w+) @(\d+) :[^;]*;\s*# (.*)", s)
        if m and stack:
            out[(stack[0], ".".join(stack[1:] + [m.group(1)]))] = "@%s %s" % (m.group(2), m.group(3))
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-2])
        return 2
    git_dir, tags = sys.argv[1], sys.argv[2:]
    ours = layout(OURS)
    failed = False
    for tag in tags:
        schema = subprocess.run(["git", "--git-dir", git_dir, "show", tag + ":src/rr_trace.capnp"],
                                check=True, capture_output=True).stdout
        with tempfile.NamedTemporaryFile(suffix=".capnp") as f:
            f.write(schema)
            f.flush()
            theirs = layout(f.name)
        diffs = ["%s %s: ours %s, rr %s" % (k[0], k[1], v, theirs.get(k, "absent"))
                 for k, v in sorted(ours.items()) if theirs.get(k) != v]
        failed = failed or bool(diffs)
        print("%s: %s, %d fields compared" % (tag, "DIFFERS" if diffs else "OK", len(ours)))
        for d in diffs:
            print("  " + d)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
