"""gdb's own reverse commands in no-PMU mode: each refuses within 2 s, in one line saying why and
what to use instead, and the session stays usable (a real rr replay of a real recording; the
whole session also runs under a timeout, so a hang fails the test instead of blocking it)."""

import os
import re
import unittest

import harness

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "stepping.py")
CLOCK = "python import time; print('CLOCK %.3f' % time.monotonic())"


class ReverseSafetyTest(harness.TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = harness.record_program([harness.PYTHON, PROGRAM], cls.workdir, "safety")
        assert cls.rec.proc.returncode == 0, cls.rec.proc.stderr

    def _session(self, commands):
        proc = harness.replay_batch(self.rec.trace_dir, ["break os_getppid", "continue"] +
                                    commands, timeout=90)
        return proc.stdout + proc.stderr

    def test_each_reverse_command_refuses_at_once_and_the_session_goes_on(self):
        commands = ["reverse-step", "reverse-next", "reverse-stepi", "reverse-nexti",
                    "rs", "rn", "rsi", "rni"]
        script = []
        for c in commands:
            script += [CLOCK, c, CLOCK, "when", "pyr bt"]
        out = self._session(script)
        clocks = [float(x) for x in re.findall(r"^CLOCK (\S+)$", out, re.M)]
        self.assertEqual(len(clocks), 2 * len(commands), out)
        for i, c in enumerate(commands):
            self.assertLess(clocks[2 * i + 1] - clocks[2 * i], 2.0, c)
        refusals = re.findall(r"^pyr: (reverse-\w+) refused: it hangs rr without a PMU.*; use "
                              r"`pyr (?:rstep|rnext|goto)`.*$", out, re.M)
        self.assertEqual(refusals, ["reverse-step", "reverse-next", "reverse-stepi",
                                    "reverse-nexti"] * 2, out)
        # the session stayed where it was: every `when` and `pyr bt` after a refusal agree
        whens = harness.whens(out)
        self.assertEqual(len(whens), len(commands), out)
        self.assertEqual(len(set(whens)), 1, whens)
        tops = re.findall(r"^  #0 (\S+):(\d+) in section_lines$", out, re.M)
        self.assertEqual(len(tops), len(commands), out)
        self.assertNotIn("Traceback", out)

    def test_reverse_continue_with_a_watchpoint_refuses_and_without_one_works(self):
        out = self._session(["next", "watch -l *(long *)$rsp", CLOCK, "reverse-continue", CLOCK,
                             "when", "delete 2", "reverse-continue", "when", "info frame"])
        clocks = [float(x) for x in re.findall(r"^CLOCK (\S+)$", out, re.M)]
        self.assertEqual(len(clocks), 2, out)
        self.assertLess(clocks[1] - clocks[0], 2.0)
        self.assertRegex(out, r"(?m)^pyr: reverse-continue refused: with a watchpoint set \(#2\) "
                              r"it crashes rr without a PMU and ends the session; `disable 2` "
                              r"first")
        whens = harness.whens(out)
        self.assertEqual(len(whens), 2, out)
        # without the watchpoint, reverse-continue reached breakpoint 1 again, at or before here
        self.assertLessEqual(whens[1], whens[0])
        self.assertRegex(out, r"Breakpoint 1, os_getppid")
        self.assertIn("Stack level 0", out)

    def test_reverse_continue_without_any_breakpoint_refuses(self):
        out = self._session(["delete", CLOCK, "rc", CLOCK, "when"])
        clocks = [float(x) for x in re.findall(r"^CLOCK (\S+)$", out, re.M)]
        self.assertLess(clocks[1] - clocks[0], 2.0)
        self.assertRegex(out, r"(?m)^pyr: reverse-continue refused: with no breakpoint to stop at "
                              r"it hangs rr without a PMU")
        self.assertEqual(len(harness.whens(out)), 1, out)

    def test_with_a_pmu_nothing_is_hooked(self):
        out = self._session([
            "python import os, pyreplay_gdb.safety as s; os.environ['PYREPLAY_MODE'] = 'pmu'; "
            "print('MODE', s.mode(), 'HOOKED', s.install())",
            "python import os, pyreplay_gdb.safety as s; os.environ['PYREPLAY_MODE'] = 'nopmu'; "
            "print('MODE', s.mode())"])
        self.assertIn("MODE pmu HOOKED False", out)
        self.assertIn("MODE nopmu", out)


if __name__ == "__main__":
    unittest.main()
