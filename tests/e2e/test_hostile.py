"""Damaged and hostile traces (issue 21), on a real rr recording and a real pack.

For each file of a recorded trace (rr's files, the mapped files, every sidecar) and for the pack,
bytes are flipped and the file is truncated, at chosen offsets (first byte, middle, last byte; to
0 bytes, to half, one byte short) and at random offsets (seeded: HOSTILE_SEED, default 21). After
each damage, `events`, `events --json`, `info`, `marks list` and `timeline` (for the trace) or
`unpack` and `info` (for the pack) must end in one of two ways:

  - the original output (same stdout, same exit status): the damage is in bytes the command
    does not use, or in a cache it rebuilds (the event index);
  - one clear line on stderr ("pyreplay: error: ...") and a non-zero exit, nothing on stdout.

Never an abort (a signal, "terminate called"), never a hang (60 s per command), never a different
output with exit status 0. `info` is compared without its `index:` line (a damaged index is
rebuilt and says so) and its `size:` line (a truncation changes the folder's size).

Each case starts from the pristine trace, hard-linked into the same folder (so paths in outputs do
not change); the damaged file is replaced by a damaged copy, so the pristine one is untouched.

The trace carries a mark whose note holds terminal escape sequences (OSC 0 title, CSI 2J clear):
they must never reach the output raw. HOSTILE_RANDOM_OFFSETS (default 2 per file) sets the count.
"""

import json
import os
import random
import re
import shutil
import subprocess
import unittest

from harness import PYREPLAY, TempDirTestCase, pyreplay, record_session

SEED = int(os.environ.get("HOSTILE_SEED", "21"))
RANDOM_OFFSETS = int(os.environ.get("HOSTILE_RANDOM_OFFSETS", "2"))
TIMEOUT = 60
EVIL_NOTE = "title\x1b]0;pwned\x07 clear\x1b[2J csi\u009b31m end"
RAW_ESCAPES = re.compile("[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]")


def run(args, cwd=None):
    env = dict(os.environ, NO_COLOR="1")
    try:
        proc = subprocess.run([PYREPLAY] + args, capture_output=True, timeout=TIMEOUT, env=env,
                              stdin=subprocess.DEVNULL, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None
    return proc


def normalise(command, stdout):
    if command[0] == "info":
        lines = [l for l in stdout.split(b"\n")
                 if not l.startswith(b"index:") and not l.startswith(b"size:")]
        return b"\n".join(lines)
    return stdout


class Outcome:
    def __init__(self):
        self.original = 0
        self.refused = 0
        self.failures = []


class HostileTest(TempDirTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        work = cls.workdir
        rec = record_session("sockets", work, name="pristine")
        cls.pristine = rec.trace_dir
        events = json.loads(pyreplay("events", cls.pristine, "--json", check=True).stdout)
        cls.first_event = events[0]["event"]
        pyreplay("marks", cls.pristine, "add", "evil", "--event", str(cls.first_event),
                 "--note", EVIL_NOTE, "--author", "mallory\x1b[31m", check=True)
        pyreplay("marks", cls.pristine, "add", "second", "--event", str(events[-1]["event"]),
                 check=True)
        cls.deep = pyreplay("index", "--deep", cls.pristine, timeout=600)
        cls.case = os.path.join(work, "case")
        cls.html = os.path.join(work, "t.html")
        cls.commands = [
            ["events", cls.case],
            ["events", cls.case, "--json"],
            ["info", cls.case],
            ["marks", cls.case, "list"],
            ["timeline", cls.case, "-o", cls.html],
        ]
        cls.reset()
        cls.baseline = {}
        for command in cls.commands:
            proc = run(command)
            assert proc is not None and proc.returncode == 0, (command, proc)
            cls.baseline[tuple(command)] = cls.result(command, proc)
        # The pack, and its own baseline.
        cls.pack = os.path.join(work, "bug.pyrtrace")
        pyreplay("pack", cls.pristine, "-o", cls.pack, check=True)
        cls.pack_case = os.path.join(work, "case.pyrtrace")
        cls.unpacked = os.path.join(work, "unpacked")
        shutil.copyfile(cls.pack, cls.pack_case)
        cls.pack_commands = [["info", cls.pack_case], ["unpack", cls.pack_case, "-o", cls.unpacked]]
        cls.pack_baseline = {}
        for command in cls.pack_commands:
            shutil.rmtree(cls.unpacked, ignore_errors=True)
            proc = run(command)
            assert proc is not None and proc.returncode == 0, (command, proc)
            cls.pack_baseline[tuple(command)] = cls.result(command, proc)
        cls.unpacked_listing = cls.listing(cls.unpacked)

    @classmethod
    def result(cls, command, proc):
        extra = b""
        if command[0] == "timeline" and os.path.exists(cls.html):
            with open(cls.html, "rb") as f:
                extra = f.read()
        return (proc.returncode, normalise(command, proc.stdout), extra)

    @staticmethod
    def listing(root):
        out = {}
        for dirpath, _, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, root)] = f.read()
        return out

    @classmethod
    def reset(cls):
        """The case folder: a hard-linked copy of the pristine trace."""
        shutil.rmtree(cls.case, ignore_errors=True)
        if os.path.exists(cls.html):
            os.unlink(cls.html)
        subprocess.run(["cp", "-al", cls.pristine, cls.case], check=True)

    @staticmethod
    def damage(path, how, offset, value=None):
        with open(path, "rb") as f:
            data = bytearray(f.read())
        os.unlink(path)  # the pristine file is a hard link: never written through
        if how == "flip" and data:
            offset = min(offset, len(data) - 1)
            if value is None or value == data[offset]:
                value = 0xFF if data[offset] != 0xFF else 0x00
            data[offset] = value
        elif how == "truncate":
            data = data[:offset]
        with open(path, "wb") as f:
            f.write(data)

    @staticmethod
    def cases_for(size, rng):
        cases = [("flip", 0, None), ("flip", size // 2, None), ("flip", max(0, size - 1), None),
                 ("truncate", 0, None), ("truncate", size // 2, None),
                 ("truncate", max(0, size - 1), None)]
        for _ in range(RANDOM_OFFSETS):
            if size > 0:
                cases.append(("flip", rng.randrange(size), rng.randrange(256)))
        return [c for c in cases if not (c[0] == "truncate" and c[1] >= size)]

    def judge(self, outcome, label, command, proc, baseline, same_files=None):
        if proc is None:
            outcome.failures.append("%s: %s: hung (over %d s)" % (label, command[0], TIMEOUT))
            return
        err = proc.stderr.decode("utf-8", "replace")
        if proc.returncode < 0 or "terminate called" in err or "Assertion" in err:
            outcome.failures.append("%s: %s: aborted (%d): %s" % (label, command, proc.returncode,
                                                                   err[-300:]))
            return
        got = self.result(command, proc)
        if got == baseline and (same_files is None or same_files()):
            outcome.original += 1
            return
        lines = [l for l in err.splitlines() if l.strip()]
        if proc.returncode != 0 and len(lines) == 1 and lines[0].startswith("pyreplay: ") \
                and not proc.stdout.strip():
            outcome.refused += 1
            return
        outcome.failures.append("%s: %s: exit %d, %d stderr lines, stdout %s: %s" % (
            label, " ".join(command[:1] + command[2:]), proc.returncode, len(lines),
            "same" if got[1] == baseline[1] else "DIFFERENT", err[-400:]))

    def test_every_file_of_the_trace(self):
        rng = random.Random(SEED)
        outcome = Outcome()
        files = sorted(os.path.relpath(os.path.join(d, f), self.pristine)
                       for d, _, fs in os.walk(self.pristine) for f in fs)
        self.assertIn("pyreplay/digests", files)
        if self.deep.returncode == 0:
            self.assertIn("pyreplay/deep", files)
        cases = 0
        for rel in files:
            if rel.endswith("marks.lock"):
                continue  # empty: there is nothing to damage
            size = os.path.getsize(os.path.join(self.pristine, rel))
            for how, offset, value in self.cases_for(size, rng):
                cases += 1
                label = "%s %s@%d" % (rel, how, offset)
                for command in self.commands:
                    self.reset()
                    self.damage(os.path.join(self.case, rel), how, offset, value)
                    self.judge(outcome, label, command, run(command),
                               self.baseline[tuple(command)])
        print("\nhostile trace: %d files, %d damaged copies, %d runs: %d original output, "
              "%d refused in one line, %d failures" % (
                  len(files), cases, cases * len(self.commands), outcome.original,
                  outcome.refused, len(outcome.failures)))
        self.assertEqual(outcome.failures, [], "\n".join(outcome.failures[:40]))

    def test_every_part_of_the_pack(self):
        rng = random.Random(SEED + 1)
        outcome = Outcome()
        size = os.path.getsize(self.pack)
        cases = self.cases_for(size, rng)
        for _ in range(4 * RANDOM_OFFSETS):
            cases.append(("flip", rng.randrange(size), rng.randrange(256)))
            cases.append(("truncate", rng.randrange(size), None))
        for how, offset, value in cases:
            label = "pack %s@%d" % (how, offset)
            for command in self.pack_commands:
                shutil.copyfile(self.pack, self.pack_case)
                self.damage(self.pack_case, how, offset, value)
                shutil.rmtree(self.unpacked, ignore_errors=True)
                proc = run(command)
                same = None
                if command[0] == "unpack":
                    same = lambda: self.listing(self.unpacked) == self.unpacked_listing
                self.judge(outcome, label, command, proc, self.pack_baseline[tuple(command)], same)
        print("\nhostile pack: %d damaged copies, %d runs: %d original output, %d refused in one "
              "line, %d failures" % (len(cases), len(cases) * len(self.pack_commands),
                                     outcome.original, outcome.refused, len(outcome.failures)))
        self.assertEqual(outcome.failures, [], "\n".join(outcome.failures[:40]))

    def test_escape_sequences_never_reach_the_output(self):
        self.reset()
        for command in (["marks", self.case, "list"], ["marks", self.case, "list", "--json"],
                        ["info", self.pack], ["info", self.pack, "--json"]):
            proc = run(command)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out = proc.stdout.decode("utf-8")  # valid UTF-8, or this raises
            self.assertIsNone(RAW_ESCAPES.search(out), (command, out))
        listed = run(["marks", self.case, "list"]).stdout.decode()
        self.assertIn("\\x1b]0;pwned\\x07", listed)
        self.assertIn("\\x1b[2J", listed)
        self.assertIn("\\u{009b}31m", listed)
        # A recorded command with escapes, as `info` shows it.
        weird = os.path.join(self.workdir, "weird\x1b[2Jname.py")
        with open(weird, "w") as f:
            f.write("print('hi')\n")
        target = os.path.join(self.workdir, "weird-trace")
        pyreplay("record", "-o", target, "--", "/usr/bin/python3.11", weird, check=True)
        for command in (["info", target], ["info", target, "--json"], ["events", target],
                        ["ls", self.workdir]):
            proc = run(command)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            out = proc.stdout.decode("utf-8")
            self.assertIsNone(RAW_ESCAPES.search(out), (command, out))
            self.assertTrue("\\x1b[2J" in out or command[0] == "events", (command, out))

    def test_planted_links_are_refused(self):
        self.reset()
        victim = os.path.join(self.workdir, "victim")
        lock = os.path.join(self.case, "pyreplay", "marks.lock")
        if os.path.exists(lock):
            os.unlink(lock)
        os.symlink(victim, lock)
        proc = run(["marks", self.case, "add", "x", "--event", str(self.first_event)])
        self.assertNotEqual(proc.returncode, 0)
        self.assertFalse(os.path.lexists(victim))
        err = proc.stderr.decode().strip().splitlines()
        self.assertEqual(len(err), 1, err)
        self.assertIn("symbolic link", err[0])
        # A temp file name planted as a link is never written through.
        self.reset()
        marks = os.path.join(self.case, "pyreplay", "marks")
        os.unlink(marks)
        os.symlink(victim, marks)
        proc = run(["marks", self.case, "list"])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("symbolic link", proc.stderr.decode())
        self.assertFalse(os.path.lexists(victim))

    def test_verify(self):
        self.reset()
        proc = run(["verify", self.case])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(b"verified", proc.stdout)
        report = json.loads(run(["verify", self.case, "--json"]).stdout)
        self.assertEqual(report["state"], "verified")
        # One flipped byte in the middle of `data`: no reader of events notices, verify does.
        self.damage(os.path.join(self.case, "data"), "flip",
                    os.path.getsize(os.path.join(self.case, "data")) // 2)
        proc = run(["verify", self.case])
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"damaged    data", proc.stdout)
        # A truncated `data` is caught by every command (issue 21, item 4).
        self.reset()
        data = os.path.join(self.case, "data")
        self.damage(data, "truncate", os.path.getsize(data) // 2)
        for command in (["info", self.case], ["events", self.case]):
            proc = run(command)
            self.assertEqual(proc.returncode, 1)
            self.assertIn(b"the trace was changed after it was recorded: data differs",
                          proc.stderr)
        # A trace without digests (as plain rr leaves it) is unverified, never healthy.
        self.reset()
        os.unlink(os.path.join(self.case, "pyreplay", "digests"))
        proc = run(["verify", self.case])
        self.assertEqual(proc.returncode, 3)
        self.assertIn(b"unverified", proc.stdout)
        self.assertIn(b"unverified", run(["info", self.case]).stdout)


if __name__ == "__main__":
    unittest.main()
