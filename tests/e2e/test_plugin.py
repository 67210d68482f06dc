"""The gdb plugin on real replays of the chapter sessions: pyr goto, next, prev, follow, where,
events, help and completion, and loading the plugin by hand in a plain `rr replay`.

Expected events come from `rr dump` (rr's own reading of the trace, independent of pyreplay) and
from the ground truth the recorded program printed about itself.
"""

import json
import os
import re
import subprocess
import unittest

import harness
from harness import TempDirTestCase, pyreplay, record_session, replay_batch, whens

DUMP_LINE = re.compile(r"global_time:(\d+), event:`SYSCALL: (\w+)' \(state:(\w+)\) tid:(\d+)")
FRAME_LINE = re.compile(r"global_time:(\d+), event:`([^']*)' (?:\(state:(\w+)\) )?tid:(\d+)")
REGS_PY = ("python import json, gdb; f = gdb.newest_frame(); "
           "print('STATE ' + json.dumps({'tid': gdb.selected_thread().ptid[1], "
           "'pc': int(f.pc()), 'rax': int(f.read_register('rax')), "
           "'insn': bytes(gdb.selected_inferior().read_memory(int(f.pc()), 2)).hex()}))")


SNAPSHOT_PY = ("python import json, gdb; from pyreplay_gdb import motion; "
               "print('SNAP ' + json.dumps({'when': motion.when(), 'tid': motion.current_tid(), "
               "'regs': motion.registers()}))")


def snapshots(output):
    return [json.loads(l[5:]) for l in output.splitlines() if l.startswith("SNAP ")]


def rr_syscalls(trace_dir):
    """[(event, name, state, tid)] of the syscall frames, as `rr dump` prints them."""
    out = subprocess.run(["rr", "dump", trace_dir], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    return [(int(m.group(1)), m.group(2), m.group(3), int(m.group(4)))
            for m in DUMP_LINE.finditer(out)]


def rr_frames(trace_dir):
    """[(event, what, state or None, tid)] of every frame, as `rr dump` prints them."""
    out = subprocess.run(["rr", "dump", trace_dir], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    return [(int(m.group(1)), m.group(2), m.group(3), int(m.group(4)))
            for m in FRAME_LINE.finditer(out)]


def listed(output):
    """[(event, kind, tid)] of the rows `pyr events` printed."""
    return [(int(m.group(1)), m.group(2), int(m.group(3))) for m in
            re.finditer(r"^(?:=>|  )\s+(\d+)  ([\w-]+)\s+tid (\d+)", output, re.M)]


def microarch():
    """The CPU model no-PMU mode names to rr (replay/record/pmu_mode.cc does the same)."""
    with open("/proc/cpuinfo") as f:
        return "AMD Zen" if "AuthenticAMD" in f.read() else "Intel Skylake"


def states(output):
    return [json.loads(line[len("STATE "):]) for line in output.splitlines()
            if line.startswith("STATE ")]


class PluginOnSocketsTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = record_session("sockets", cls.workdir)
        cls.trace = cls.rec.trace_dir
        cls.calls = calls = rr_syscalls(cls.trace)
        cls.connects = [(e, tid) for e, name, state, tid in calls
                        if name == "connect" and state == "ENTERING_SYSCALL"]
        cls.accepts = [(e, tid) for e, name, state, tid in calls
                       if name in ("accept", "accept4") and state == "ENTERING_SYSCALL"]
        cls.clones = [(e, tid) for e, name, state, tid in calls
                      if name == "clone" and state == "ENTERING_SYSCALL"]

    def replay(self, commands, **kwargs):
        proc = replay_batch(self.trace, commands, **kwargs)
        self.assertNotIn("Traceback", proc.stdout + proc.stderr)
        return proc

    def test_reference_matches_ground_truth(self):
        truth = self.rec.truth
        self.assertEqual(len(self.connects), len(truth["connections"]))
        self.assertEqual(sorted(t for _, t in self.connects),
                         sorted(c["tid"] for c in truth["connections"]))
        self.assertEqual(len(self.clones), len(truth["threads"]) - 1)

    def test_goto_each_thread_create_and_connect(self):
        targets = self.clones + self.connects
        commands = []
        for event, _ in targets:
            commands += ["pyr goto %d" % event, "when", REGS_PY]
        proc = self.replay(commands)
        got_whens, got = whens(proc.stdout), states(proc.stdout)
        self.assertEqual(got_whens, [e for e, _ in targets], proc.stdout[-3000:])
        self.assertEqual(len(got), len(targets))
        for (event, tid), state in zip(targets, got):
            self.assertEqual(state["tid"], tid, "event %d" % event)
            self.assertEqual(state["insn"], "0f05", "event %d: not at a syscall instruction" % event)
        for (event, _), state in zip(targets, got):
            wanted = 42 if (event, state["tid"]) in self.connects else 56
            self.assertEqual(state["rax"], wanted, "event %d: rax is not the syscall" % event)
        truth_main = self.rec.truth["main_tid"]
        self.assertTrue(all(s["tid"] == truth_main for s in got[:len(self.clones)]))

    def test_next_and_prev_connect_visit_the_connects_in_order(self):
        n = len(self.connects)
        commands = ["pyr next connect", "when"] * n + ["pyr next connect"]
        commands += ["pyr prev connect", "when"] * (n - 1) + ["pyr prev connect"]
        proc = self.replay(commands)
        events = [e for e, _ in self.connects]
        self.assertEqual(whens(proc.stdout), events + events[-2::-1], proc.stdout[-3000:])
        errors = proc.stdout + proc.stderr
        self.assertIn("no further indexed event after event %d" % events[-1], errors)
        self.assertIn("no matching indexed event before event %d" % events[0], errors)

    def test_follow_connect_lands_on_the_accept_with_matching_addresses(self):
        truth = self.rec.truth
        commands = []
        for event, _ in self.connects:
            commands += ["pyr goto %d" % event, "pyr follow", "when", REGS_PY, "pyr follow",
                         "when"]
        proc = self.replay(commands)
        got_whens, got = whens(proc.stdout), states(proc.stdout)
        accept_events = [e for e, _ in self.accepts]
        server_tid = truth["accepts"][0]["tid"]
        for i, (event, tid) in enumerate(self.connects):
            accept_event, back = got_whens[2 * i], got_whens[2 * i + 1]
            self.assertIn(accept_event, accept_events)
            self.assertEqual(back, event)
            self.assertEqual(got[i]["tid"], server_tid)
            self.assertEqual(got[i]["rax"], 288)  # accept4
            k = accept_events.index(accept_event)
            connection = next(c for c in truth["connections"] if c["tid"] == tid)
            self.assertEqual(truth["accepts"][k]["remote"], connection["local"])
            self.assertEqual(truth["accepts"][k]["local"], connection["remote"])

    def test_events_where_and_relative_goto(self):
        first, second = self.connects[0][0], self.connects[1][0]
        proc = self.replay(["pyr goto %d" % first, "pyr events connect", "pyr where",
                            "pyr goto +1", "when", "pyr goto -1", "when"])
        out = proc.stdout
        self.assertRegex(out, r"=>\s+%d  connect" % first)
        for event, _ in self.connects:
            self.assertRegex(out, r"\s%d  connect" % event)
        self.assertRegex(out, r"Position: event %d, ticks 0, tid %d" % (first, self.connects[0][1]))
        self.assertRegex(out, r"Before: event \d+")
        self.assertRegex(out, r"After:  event \d+")
        self.assertIn("socketmodule.c", out)  # the C location of a connect
        w = whens(out)
        self.assertGreater(w[0], first)
        self.assertLessEqual(w[0], second)
        self.assertEqual(w[1], first)

    def test_backward_jump_from_a_checkpoint_lands_exactly(self):
        # Visit a connect (a checkpoint is made there), go past the target, then jump back to
        # the next syscall after that connect: rr starts from the checkpoint, not from the start.
        behind, past = self.connects[-2][0], self.connects[-1][0]
        near = min(e for e, _, state, _ in self.calls if state == "ENTERING_SYSCALL" and
                   behind < e < past)
        warm = self.replay(["pyr goto %d" % behind, "pyr goto %d" % past, "pyr goto %d" % near,
                            SNAPSHOT_PY, "info checkpoints"])
        cold = self.replay(["pyr goto %d" % near, SNAPSHOT_PY])
        got, want = snapshots(warm.stdout), snapshots(cold.stdout)
        self.assertEqual(len(want), 1, cold.stdout[-2000:] + cold.stderr[-2000:])
        self.assertEqual(want[0]["when"], near)
        self.assertEqual(got, want, warm.stdout[-3000:])  # when, tid and every general register
        self.assertGreaterEqual(len(want[0]["regs"]), 20)
        # rr holds the checkpoints of the three landings.
        self.assertEqual(len(re.findall(r"^\d+\s", warm.stdout, re.M)), 3, warm.stdout[-2000:])

    def test_every_index_kind_lists_and_lands(self):
        """Thread exits, the process exit and the exec are indexed events too: listed, reachable
        with `pyr next KIND`, and landed where rr can stop, in the event's own thread."""
        frames = rr_frames(self.trace)
        exits = [(e, tid) for e, what, _, tid in frames if what == "EXIT"]
        exec_event, exec_tid = next((e, tid) for e, what, state, tid in frames
                                    if what == "SYSCALL: execve" and state == "EXITING_SYSCALL")
        exec_land = next(e for e, what, _, tid in frames if e > exec_event and tid == exec_tid)
        # rr cannot stop at a thread's EXIT frame: pyr lands at the thread's last syscall.
        last_syscall = {tid: max(e for e, _, state, t in frames
                                 if t == tid and state == "ENTERING_SYSCALL" and e < event)
                        for event, tid in exits}
        truth_tids = sorted(t["tid"] for t in self.rec.truth["threads"])
        self.assertEqual(sorted(tid for _, tid in exits), truth_tids)
        commands = ["pyr events thread-exit", "pyr events exit", "pyr events exec",
                    "complete pyr next thr", "complete pyr events ex", "pyr next exec", "when"]
        for _ in exits:
            commands += ["pyr next thread-exit", "when", REGS_PY]
        proc = self.replay(commands)
        out = proc.stdout
        rows = listed(out)
        self.assertEqual([(e, t) for e, kind, t in rows if kind == "thread-exit"], exits, out[-4000:])
        self.assertEqual([(e, t) for e, kind, t in rows if kind == "exit"],
                         [max(exits)])  # the last thread's exit ends the process
        self.assertEqual([(e, t) for e, kind, t in rows if kind == "exec"],
                         [(exec_event, exec_tid)])
        self.assertRegex(out, r"%d  exec\s+tid %d\s+%s" % (exec_event, exec_tid,
                                                            re.escape(harness.PYTHON)))
        lines = set(out.splitlines())
        for want in ("pyr next thread", "pyr next thread-exit", "pyr events exec",
                     "pyr events exit"):
            self.assertIn(want, lines)
        got_whens, got = whens(out), states(out)
        self.assertEqual(got_whens, [exec_land] + [last_syscall[tid] for _, tid in exits],
                         out[-4000:])
        for (event, tid), state in zip(exits, got):
            self.assertEqual(state["tid"], tid, "thread exit at event %d" % event)
            self.assertEqual(state["insn"], "0f05")
            self.assertIn(state["rax"], (60, 231))  # exit, or exit_group for the last thread

    def test_events_by_thread(self):
        tid = self.connects[1][1]
        proc = self.replay(["pyr events --thread %d" % tid])
        listed = [int(m) for m in re.findall(r"^(?:=>|  )\s+(\d+)\s", proc.stdout, re.M)]
        self.assertIn(self.connects[1][0], listed)
        self.assertNotIn(self.connects[0][0], listed)

    def test_help_and_completion(self):
        usages = {
            "goto": "Usage: pyr goto N | @MARK | +K | -K",
            "next": "Usage: pyr next [KIND] [--thread TID]",
            "prev": "Usage: pyr prev [KIND] [--thread TID]",
            "follow": "Usage: pyr follow",
            "where": "Usage: pyr where",
            "events": "Usage: pyr events [KIND] [--thread TID]",
            "mark": "Usage: pyr mark NAME [NOTE...]",
            "marks": "Usage: pyr marks",
            "unmark": "Usage: pyr unmark NAME",
            "index": "Usage: pyr index",
            "bt": "Usage: pyr bt [--all]",
            "list": "Usage: pyr list [CONTEXT]",
        }
        # Mark names may hold the `-`, `.` and `:` at which gdb splits completion words.
        marks = ("completion-mark", "dotted.name:v-2")
        for name in marks:
            pyreplay("marks", self.trace, "add", name, "--event", str(self.connects[0][0]),
                     check=True)
        try:
            proc = self.replay(["help pyr %s" % name for name in usages] + [
                "complete pyr next con", "complete pyr prev th", "complete pyr events --thread ",
                "complete pyr g", "complete pyr goto @compl", "complete pyr unmark comp",
                "complete pyr bt -", "complete pyr bt --a", "complete pyr next -",
                "complete pyr events connect --th", "complete pyr unmark completion-m",
                "complete pyr goto @completion-m", "complete pyr goto @dotted.name:v-",
                "complete pyr unmark dotted.name:"])
        finally:
            for name in marks:
                pyreplay("marks", self.trace, "rm", name, check=True)
        out = proc.stdout
        for name, usage in usages.items():
            self.assertIn(usage, out, "help pyr %s" % name)
        self.assertNotIn("Undefined", out + proc.stderr)
        lines = set(out.splitlines())
        self.assertIn("pyr next connect", lines)
        self.assertIn("pyr prev thread", lines)
        self.assertIn("pyr goto", lines)
        for tid in {t for _, t in self.connects} | {self.rec.truth["main_tid"]}:
            self.assertIn("pyr events --thread %d" % tid, lines)
        self.assertIn("pyr goto @completion-mark", lines)
        self.assertIn("pyr unmark completion-mark", lines)
        # After a `-`, `@` or `:` gdb's word is only the end of the argument: the whole
        # argument still completes, once, and not glued to what was typed.
        for want in ("pyr bt --all", "pyr next --thread", "pyr events connect --thread",
                     "pyr goto @dotted.name:v-2", "pyr unmark dotted.name:v-2"):
            self.assertIn(want, lines)
        self.assertEqual(out.count("pyr bt --all\n"), 2, out)             # `-` and `--a`
        self.assertEqual(out.count("pyr unmark completion-mark\n"), 2, out)
        self.assertEqual(out.count("pyr goto @completion-mark\n"), 2, out)
        self.assertNotRegex(out, r"(?m)^pyr (bt|next) ---")

    def test_no_index_offers_to_build_it(self):
        index = os.path.join(self.trace, "pyreplay", "index")
        saved = index + ".saved-by-test"
        os.rename(index, saved)
        try:
            proc = self.replay(["pyr next connect", "when", "pyr index", "pyr events connect"])
            out = proc.stdout + proc.stderr
            self.assertIn("has no event index yet (pyreplay/index); build it now with `pyr index`",
                          out)
            self.assertEqual(out.count("no event index yet"), 1, out)  # said once, not per command
            self.assertEqual(whens(proc.stdout), [self.connects[0][0]])
            self.assertRegex(out, r"Indexed .*: \d+ events in .*pyreplay/index")
            self.assertTrue(os.path.exists(index))
            again = self.replay(["pyr events connect"])
            self.assertNotIn("event index", again.stdout + again.stderr)
        finally:
            os.replace(saved, index)

    def test_bad_input_is_one_clear_line(self):
        proc = self.replay(["pyr goto 99999999", "pyr goto @no-such-mark", "pyr events bogus",
                            "pyr goto abc", "pyr follow"])
        out = proc.stdout + proc.stderr
        self.assertRegex(out, r"pyr: event 99999999 is out of range: this trace has events 1 to \d+")
        self.assertIn("pyr: no mark named 'no-such-mark'", out)
        self.assertIn("pyr: unknown event kind 'bogus'", out)
        self.assertIn("'abc' is not a target", out)
        self.assertIn("not on a connect or an accept", out)

    def test_replay_goto_option(self):
        event = self.connects[-1][0]
        proc = harness.pyreplay("replay", self.trace, "--batch", "--goto", str(event),
                                "-ex", "when", timeout=180)
        self.assertEqual(whens(proc.stdout), [event], proc.stdout + proc.stderr)

    def test_replay_goto_refuses_a_target_that_is_not_there(self):
        out = subprocess.run(["rr", "dump", self.trace], capture_output=True, text=True,
                             timeout=120, check=True).stdout
        last = max(int(m) for m in re.findall(r"global_time:(\d+),", out))
        pyreplay("marks", self.trace, "add", "goto-check-mark", "--event",
                 str(self.connects[0][0]), check=True)
        try:
            cases = {"@nope": r"no mark named 'nope' \(marks here: [^)]*goto-check-mark",
                     str(last + 1): r"event %d is out of range: .* has events 1 to %d$" %
                                    (last + 1, last),
                     "0": r"has events 1 to %d$" % last,
                     "abc": r"abc is not a target"}
            for target, message in cases.items():
                proc = harness.pyreplay("replay", self.trace, "--batch", "--goto", target, "-ex",
                                        "when", timeout=180)
                self.assertNotEqual(proc.returncode, 0, target)
                self.assertEqual(whens(proc.stdout), [], target)  # rr never started
                lines = proc.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, proc.stderr)
                self.assertRegex(lines[0], r"^pyreplay: error: --goto %s: .*" % re.escape(target)
                                 if target != "abc" else r"^pyreplay: error: ")
                self.assertRegex(lines[0], message)
        finally:
            pyreplay("marks", self.trace, "rm", "goto-check-mark", check=True)

    def test_plugin_loads_by_hand_in_plain_rr_replay(self):
        event = self.connects[0][0]
        layout = os.path.join(os.path.dirname(os.path.dirname(harness.PYREPLAY)), "lib",
                              "pyreplay")
        env = dict(os.environ)
        env.pop("PYREPLAY_TRACE", None)
        env["LD_PRELOAD"] = os.path.join(layout, "libpyreplay_nopmu.so")
        proc = subprocess.run(
            ["timeout", "180", "rr", "--microarch", microarch(), "replay", self.trace, "--",
             "-iex", "set confirm off", "-ex", "", "-ex", "source " + os.path.join(layout, "load.py"),
             "-ex", "pyr goto %d" % event, "-ex", "when", "-batch"],
            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(whens(proc.stdout), [event], proc.stdout[-2000:] + proc.stderr[-2000:])


if __name__ == "__main__":
    unittest.main()
