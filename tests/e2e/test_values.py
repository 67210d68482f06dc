"""`pyr locals`, `pyr print`, `pyr up`/`down`/`frame` on a real replay, against the repr() that
the recorded program printed itself (tests/e2e/programs/values.py)."""

import json
import os
import re
import unittest

from harness import PYTHON, TempDirTestCase, pyreplay, record_program, replay_batch

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "values.py")
UTF8 = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class ValuesTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = record_program([PYTHON, PROGRAM], cls.workdir, "values", env=UTF8)
        assert cls.rec.truth, cls.rec.proc.stderr
        events = json.loads(pyreplay("events", cls.rec.trace_dir, "--json", "--kind", "socket",
                                     check=True).stdout)
        assert len(events) == 1, events
        cls.event = events[0]["event"]

    def replay(self, commands):
        out = replay_batch(self.rec.trace_dir, ["pyr goto %d" % self.event] + commands, env=UTF8)
        return out.stdout + out.stderr

    def test_locals_of_the_callers_frame(self):
        text = self.replay(["pyr frame", "pyr up", "pyr locals"])
        self.assertRegex(text, r"#1 \S*values\.py:\d+ in make_values\n\s+s = socket\.socket\(\)")
        block = text[text.index("Locals of #1"):]
        shown = dict(re.findall(r"^  (\w+) = (.*?)(?:  \((?:cell|free) variable\))?$", block,
                                re.M))
        truth = self.rec.truth["locals"]
        self.assertGreaterEqual(len(truth), 17)
        for name, expected in truth.items():
            self.assertEqual(shown.get(name), expected, name)
        self.assertEqual(shown["later"], "<unbound>")
        self.assertRegex(block, r"captured = 'in a cell'  \(cell variable\)")

    def test_print_names_attributes_and_subscripts(self):
        truth = self.rec.truth
        exprs = dict(truth["exprs"])
        exprs.update({name: truth["locals"][name] for name in ("text", "raw", "n_big", "client",
                                                                "cyclic", "table", "kinds")})
        commands = ["pyr up"] + ["pyr print %s" % e for e in exprs] + ["pyr p ratio",
                                                                       "pyr print --dict client.conn"]
        text = self.replay(commands)
        for expr, expected in exprs.items():
            self.assertIn("%s = %s\n" % (expr, expected), text, expr)
        self.assertIn("ratio = %s\n" % truth["locals"]["ratio"], text)
        self.assertIn("  addr = %s\n" % truth["exprs"]["client.conn.addr"], text)
        self.assertIn("  port = 8080\n", text)

    def test_bad_input_gets_one_clear_line(self):
        text = self.replay(["pyr up", "pyr print later", "pyr print items[0] + 1",
                            "pyr print nowhere", "pyr print items[7]", "pyr up 50",
                            "pyr down 5", "pyr frame 99"])
        self.assertIn("pyr print: name 'later' is not bound in frame #1", text)
        self.assertIn("pyr print: only names, attributes and constant subscripts", text)
        self.assertIn("pyr print: name 'nowhere' is not defined in frame #1", text)
        self.assertIn("pyr print: list index 7 out of range", text)
        self.assertRegex(text, r"pyr up: #\d+ is the outermost Python frame of thread \d+; "
                               r"cannot go up 50 from #1")
        self.assertIn("pyr down: #0 is the innermost Python frame", text)
        self.assertIn("there is no #99", text)
        self.assertNotIn("Traceback", text)

    def test_selection_resets_when_the_replay_moves_and_help(self):
        text = self.replay(["pyr up", "complete pyr print ite", "complete pyr p cli", "stepi",
                            "pyr frame", "help pyr locals", "help pyr print", "help pyr up"])
        # Selected #1, then the replay moved one instruction: #0 again.
        self.assertRegex(text, r"#1 \S*values\.py:\d+ in make_values\n(?s:.*)"
                               r"#0 \S*socket\.py:\d+ in socket\.__init__")
        # Completion offers the selected frame's locals.
        self.assertIn("pyr print items\n", text)
        self.assertIn("pyr p client\n", text)
        self.assertIn("Usage: pyr locals", text)
        self.assertIn("Usage: pyr print [--dict] EXPR", text)
        self.assertIn("Usage: pyr up [N]", text)


if __name__ == "__main__":
    unittest.main()
