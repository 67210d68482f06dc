"""Marks on real replays: made mid-event in one gdb session, resolved exactly in a new one; the
store under concurrent writers and SIGKILL; a corrupt marks file; a trace moved elsewhere; the
`pyreplay marks` CLI."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

import chapter
import harness
from harness import TempDirTestCase, pyreplay, record_session, replay_batch, whens

REGS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
        "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs", "fs_base",
        "gs_base", "orig_rax")
SNAPSHOT_PY = ("python import json, gdb; f = gdb.newest_frame(); "
               "print('SNAP ' + json.dumps({'when': int(gdb.execute('when', to_string=True).split()[-1]), "
               "'tid': gdb.selected_thread().ptid[1], 'pc': int(f.pc()), "
               "'regs': {r: int(f.read_register(r)) for r in %r}}))" % (REGS,))
LIB_DIR = os.path.join(os.path.dirname(os.path.dirname(harness.PYREPLAY)), "lib", "pyreplay")


def snapshots(output):
    return [json.loads(l[5:]) for l in output.splitlines() if l.startswith("SNAP ")]


def connect_events(trace_dir):
    out = subprocess.run(["rr", "dump", trace_dir], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    return [int(m) for m in re.findall(
        r"global_time:(\d+), event:`SYSCALL: connect' \(state:ENTERING_SYSCALL\)", out)]


WRITER = r"""
import sys
sys.path.insert(0, %(lib)r)
import _pyreplay
store = _pyreplay.MarkStore(%(trace)r)
for i in range(%(count)d):
    store.add({"name": "%(prefix)s-%%d" %% i, "note": "n", "position": {"event": 5, "tid": 1}})
    print(i, flush=True)
"""


class MarksTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = record_session("sockets", cls.workdir)
        cls.trace = cls.rec.trace_dir
        cls.connects = connect_events(cls.trace)

    def setUp(self):
        # Each test starts with an empty store.
        for name in os.listdir(os.path.join(self.trace, "pyreplay")):
            if name.startswith("marks"):
                os.remove(os.path.join(self.trace, "pyreplay", name))

    def writer(self, prefix, count, trace=None):
        code = WRITER % {"lib": LIB_DIR, "trace": trace or self.trace, "count": count,
                         "prefix": prefix}
        return subprocess.Popen([harness.PYTHON, "-c", code], stdout=subprocess.PIPE, text=True)

    def test_mark_mid_event_resolves_exactly_in_a_new_session(self):
        event = self.connects[1]
        # Into the middle of an event: from the connect's syscall, step into the rr-recorded
        # call and on a few instructions (forward only).
        first = replay_batch(self.trace, ["pyr goto %d" % event, "stepi", "stepi", "stepi",
                                          "pyr mark mid-connect the client is mid-connect",
                                          SNAPSHOT_PY, "pyr marks"])
        self.assertIn("Marked mid-connect", first.stdout, first.stdout[-3000:] + first.stderr)
        self.assertIn("the client is mid-connect", first.stdout)
        marked = snapshots(first.stdout)[0]
        second = pyreplay("replay", self.trace, "--batch", "--goto", "@mid-connect", "-ex",
                          SNAPSHOT_PY, timeout=180)
        again = snapshots(second.stdout)
        self.assertEqual(len(again), 1, second.stdout[-3000:] + second.stderr)
        self.assertEqual(again[0], marked)  # when, tid, pc and every general register
        self.assertEqual(marked["when"], int(re.search(r"Marked mid-connect: event (\d+)",
                                                       first.stdout).group(1)))

        # The same mark resolves in a trace moved to another folder.
        moved = os.path.join(self.workdir, "moved", "elsewhere")
        os.makedirs(os.path.dirname(moved))
        os.rename(self.trace, moved)
        try:
            listed = pyreplay("marks", moved, "--json", check=True)
            self.assertEqual([m["name"] for m in json.loads(listed.stdout)], ["mid-connect"])
            third = pyreplay("replay", moved, "--batch", "--goto", "@mid-connect", "-ex",
                             SNAPSHOT_PY, timeout=180)
            self.assertEqual(snapshots(third.stdout), [marked], third.stdout[-2000:])
        finally:
            os.rename(moved, self.trace)

    def test_mark_at_a_breakpoint_inside_an_event_resolves_exactly(self):
        # A user breakpoint stops between two recorded events, in the middle of one (`when`
        # already names the next): the client's sock_connect, before its connect syscall.
        connect = chapter.recorded_functions().socket_connect
        first = replay_batch(self.trace, ["break " + connect, "continue", "continue",
                                          "pyr mark at-bp", SNAPSHOT_PY])
        marked = snapshots(first.stdout)
        self.assertEqual(len(marked), 1, first.stdout[-3000:] + first.stderr[-2000:])
        self.assertIn(connect, first.stdout)
        # Two hits in: the second client's connect, strictly before its connect event.
        self.assertLess(marked[0]["when"], self.connects[1] + 1)
        self.assertGreater(marked[0]["when"], self.connects[0])
        second = pyreplay("replay", self.trace, "--batch", "--goto", "@at-bp", "-ex",
                          SNAPSHOT_PY, "-ex", "bt 1", timeout=180)
        self.assertEqual(snapshots(second.stdout), marked, second.stdout[-3000:])
        self.assertIn(connect, second.stdout)

    def test_mark_unmark_and_goto_within_one_session(self):
        a, b = self.connects[0], self.connects[-1]
        proc = replay_batch(self.trace, [
            "pyr goto %d" % a, "pyr mark first", "pyr goto %d" % b, "pyr mark last note here",
            "pyr goto @first", "when", "pyr where", "pyr goto @last", "when", "pyr marks",
            "pyr unmark first", "pyr marks", "pyr goto @first", "pyr mark last", "pyr mark 123"])
        out = proc.stdout + proc.stderr
        self.assertEqual(whens(proc.stdout), [a, b], out[-3000:])
        self.assertIn("first (exactly here)", out)
        self.assertIn("Removed mark first", out)
        self.assertIn("pyr: no mark named 'first' (marks here: last)", out)
        self.assertIn("a mark named 'last' already exists", out)
        self.assertIn("would read as an event number", out)
        self.assertNotIn("Traceback", out)

    def test_concurrent_writers_lose_nothing(self):
        writers = [self.writer("w%d" % i, 500) for i in range(2)]
        cli = []
        for i in range(10):  # and the CLI, at the same time
            cli.append(pyreplay("marks", self.trace, "add", "cli-%d" % i, "--event",
                                str(self.connects[0])))
        for w in writers:
            w.communicate(timeout=300)
            self.assertEqual(w.returncode, 0)
        for c in cli:
            self.assertEqual(c.returncode, 0, c.stderr)
        marks = json.loads(pyreplay("marks", self.trace, "--json", check=True).stdout)
        names = {m["name"] for m in marks}
        self.assertEqual(len(marks), 1010)
        self.assertEqual(names, {"w%d-%d" % (w, i) for w in range(2) for i in range(500)} |
                         {"cli-%d" % i for i in range(10)})

    def test_sigkill_mid_write_keeps_every_earlier_mark(self):
        for round_ in range(3):
            w = self.writer("k%d" % round_, 100000)
            acked = -1
            deadline = time.time() + 60
            while acked < 40 + 13 * round_ and time.time() < deadline:
                acked = int(w.stdout.readline())
            w.send_signal(signal.SIGKILL)
            w.wait()
            w.stdout.close()
            marks = json.loads(pyreplay("marks", self.trace, "--json", check=True).stdout)
            names = {m["name"] for m in marks}
            missing = [i for i in range(acked + 1) if "k%d-%d" % (round_, i) not in names]
            self.assertEqual(missing, [])

    def test_corrupt_marks_file_is_reported_and_kept(self):
        pyreplay("marks", self.trace, "add", "one", "--event", str(self.connects[0]), check=True)
        pyreplay("marks", self.trace, "add", "two", "--event", str(self.connects[1]), check=True)
        path = os.path.join(self.trace, "pyreplay", "marks")
        garbage = b"\x00garbage!" * 7 + b"\x01"
        with open(path, "wb") as f:
            f.write(garbage)
        listed = pyreplay("marks", self.trace)
        self.assertNotEqual(listed.returncode, 0)
        lines = listed.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, listed.stderr)
        self.assertRegex(lines[0], r"^pyreplay: error: .*marks is corrupt.*marks\.bak")
        added = pyreplay("marks", self.trace, "add", "three", "--event", str(self.connects[0]))
        self.assertNotEqual(added.returncode, 0)
        in_gdb = replay_batch(self.trace, ["pyr marks", "pyr mark four"])
        self.assertIn("is corrupt", in_gdb.stdout + in_gdb.stderr)
        self.assertNotIn("Traceback", in_gdb.stdout + in_gdb.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), garbage)  # never overwritten
        recovered = pyreplay("marks", self.trace, "recover", check=True)
        self.assertIn("restored the last good state", recovered.stdout)
        marks = json.loads(pyreplay("marks", self.trace, "--json", check=True).stdout)
        self.assertEqual([m["name"] for m in marks], ["one", "two"])
        aside = [n for n in os.listdir(os.path.dirname(path)) if n.startswith("marks.corrupt-")]
        self.assertEqual(len(aside), 1)

    def test_cli_add_list_rm_and_bad_input(self):
        event = self.connects[0]
        env = {"PYREPLAY_AUTHOR": "grace"}
        added = pyreplay("marks", self.trace, "add", "cli-mark", "--event", str(event), "--note",
                         "from the CLI", "--json", env=env, check=True)
        mark = json.loads(added.stdout)
        self.assertEqual(mark["author"], "grace")
        self.assertEqual(mark["position"]["event"], event)
        self.assertEqual(len(mark["id"]), 32)
        listed = pyreplay("marks", self.trace, check=True).stdout
        self.assertIn("cli-mark", listed)
        self.assertIn("from the CLI", listed)
        # A CLI mark is the start of its event: gdb goes there.
        proc = replay_batch(self.trace, ["pyr goto @cli-mark", "when"])
        self.assertEqual(whens(proc.stdout), [event], proc.stdout[-2000:] + proc.stderr)
        out_of_range = pyreplay("marks", self.trace, "add", "far", "--event", "99999999")
        self.assertIn("event 99999999 is out of range", out_of_range.stderr)
        no_position = pyreplay("marks", self.trace, "add", "nowhere")
        self.assertIn("needs a position: --event N", no_position.stderr)
        missing = pyreplay("marks", self.trace, "rm", "nope")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no mark named 'nope' (marks here: cli-mark)", missing.stderr)
        pyreplay("marks", self.trace, "rm", "cli-mark", check=True)
        self.assertIn("No marks", pyreplay("marks", self.trace, check=True).stdout)
        not_a_trace = pyreplay("marks", self.workdir)
        self.assertNotEqual(not_a_trace.returncode, 0)
        self.assertEqual(len(not_a_trace.stderr.strip().splitlines()), 1, not_a_trace.stderr)


if __name__ == "__main__":
    unittest.main()
