"""Python-level stepping, both ways, on a real rr recording replayed in gdb.

Ground truth is independent of pyreplay: the same deterministic program (programs/stepping.py),
run again without rr under sys.settrace, writes its own line trace. Each `pyr step` must land on
the trace's next line event, each `pyr next-line` on the next one at the same depth or
shallower; backward steps must land on the previous ones, and back at a position already
visited they must reproduce it exactly: the same `when`, tid, pc and every general register.
"""

import json
import os
import re
import subprocess
import unittest

import harness

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "stepping.py")
POS = ("python import json; from pyreplay_gdb import motion as _m; print('POS ' + json.dumps("
       "{'when': _m.when(), 'tid': _m.current_tid(), 'pc': _m.pc(), 'regs': _m.registers()}))")
STEP_LINE = re.compile(r"^(\S+):(\d+) in (.+)\(\)  \[event (\d+), tid (\d+)\]$", re.M)


def tag_line(tag):
    with open(PROGRAM) as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith("# @" + tag):
                return number
    raise AssertionError("no tag @%s in %s" % (tag, PROGRAM))


class Truth:
    """The settrace line trace of one thread: [(file basename, line, function, depth)]."""

    def __init__(self, events):
        self.events = [tuple(e) for e in events]

    def index_of(self, line, nth=0):
        hits = [i for i, e in enumerate(self.events) if e[0] == "stepping.py" and e[1] == line]
        return hits[nth]

    def steps(self, i, n):
        return [self.events[j][:2] for j in range(i + 1, i + 1 + n)]

    def nexts(self, i, n):
        out = []
        for _ in range(n):
            depth = self.events[i][3]
            i = next(j for j in range(i + 1, len(self.events)) if self.events[j][3] <= depth)
            out.append(self.events[i][:2])
        return out

    def nexts_index(self, i, n):
        for _ in range(n):
            depth = self.events[i][3]
            i = next(j for j in range(i + 1, len(self.events)) if self.events[j][3] <= depth)
        return i

    def rnexts(self, i, n):
        out = []
        for _ in range(n):
            depth = self.events[i][3]
            i = next(j for j in range(i - 1, -1, -1) if self.events[j][3] <= depth)
            out.append(self.events[i][:2])
        return out

    def previous(self, i, pred):
        return next(j for j in range(i - 1, -1, -1) if pred(self.events[j]))


def landings(out):
    return [(os.path.basename(m.group(1)), int(m.group(2))) for m in STEP_LINE.finditer(out)]


def positions(out):
    return [json.loads(m) for m in re.findall(r"^POS (.*)$", out, re.M)]


class SteppingTest(harness.TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = harness.record_program([harness.PYTHON, PROGRAM], cls.workdir, "stepping")
        assert cls.rec.proc.returncode == 0, cls.rec.proc.stderr
        trace_file = os.path.join(cls.workdir, "settrace.json")
        subprocess.run([harness.PYTHON, PROGRAM, "--trace", trace_file], check=True,
                       capture_output=True, timeout=60)
        with open(trace_file) as f:
            raw = json.load(f)
        cls.main = Truth(raw["MainThread"])
        cls.worker = Truth(raw["worker"])

    def session(self, start, commands, timeout=150):
        """Replays: stops at C function `start` (reached from a tagged line), then runs commands."""
        proc = harness.replay_batch(self.rec.trace_dir, ["break " + start, "continue", "delete"] +
                                    commands, timeout=timeout)
        out = proc.stdout + proc.stderr
        self.assertNotIn("Traceback", out)
        return out

    # --- Lines, calls, returns ---------------------------------------------------------------

    def test_next_line_five_times_then_rnext_five_times_returns_exactly(self):
        start = self.main.index_of(tag_line("lines_start"))
        out = self.session("os_getppid", ["pyr next-line", POS] + ["pyr next-line"] * 5 +
                           [POS, "pyr where", "pyr mark stepped5"] + ["pyr rnext"] * 5 +
                           [POS, "pyr where"])
        # `pyr where` after a step shows the position the mark then stores
        where = re.search(r"^Position: (event \d+, ticks \d+, tid \d+, pc 0x[0-9a-f]+)$", out,
                          re.M).group(1)
        self.assertRegex(out, r"(?m)^Marked stepped5: %s " % re.escape(where))
        expected = self.main.nexts(start, 6)
        got = landings(out)
        self.assertEqual(got[:6], expected, out)
        # rnext x5 walks the same lines backward
        self.assertEqual(got[6:], expected[:5][::-1], out)
        p0, p5, back = positions(out)
        self.assertEqual(back, p0)  # same when, tid, pc and every register
        self.assertNotEqual(p5, p0)
        line0 = expected[0][1]
        self.assertRegex(out, r"Python: \S+stepping.py:%d, in section_lines" % line0)

        # In a new session, the mark returns to the 5th line exactly, and rnext x5 (now by
        # scanning forward from checkpoints, no walked path) lands on p0 again.
        proc = harness.replay_batch(self.rec.trace_dir, ["pyr goto @stepped5", POS] +
                                    ["pyr rnext"] * 5 + [POS], timeout=150)
        out2 = proc.stdout + proc.stderr
        self.assertNotIn("Traceback", out2)
        marked, scanned = positions(out2)
        self.assertEqual(marked, p5)
        self.assertEqual(landings(out2), expected[:5][::-1], out2)
        self.assertEqual(scanned, p0)

    def test_step_into_a_call_and_rstep_back_out(self):
        start = self.main.index_of(tag_line("lines_start"))
        call = self.main.index_of(tag_line("lines_call"))
        out = self.session("os_getppid", ["pyr next-line", POS, "pyr step", "pyr rstep", POS])
        got = landings(out)
        self.assertEqual(got[0], self.main.events[call][:2])
        self.assertEqual(got[1], self.main.steps(call, 1)[0])
        self.assertEqual(got[1], ("stepping.py", tag_line("helper_first")))
        self.assertEqual(got[2], self.main.events[call][:2])
        before, after = positions(out)
        self.assertEqual(before, after)
        del start

    def test_rstep_into_the_function_just_returned_from_and_rfinish_to_the_call_site(self):
        call = self.main.index_of(tag_line("lines_call"))
        after_call = self.main.nexts(call, 1)[0]
        out = self.session("os_getppid", ["pyr next-line 2", "pyr rstep", "pyr rnext",
                                          "pyr rfinish", POS, "pyr next-line", POS])
        got = landings(out)
        self.assertEqual(got[0], after_call)
        i = self.main.index_of(after_call[1])
        last = self.main.events[i - 1][:2]  # the line event just before: helper's last line
        self.assertEqual(last, ("stepping.py", tag_line("helper_last")))
        self.assertEqual(got[1], last)
        self.assertEqual(got[2], self.main.events[i - 2][:2])  # rnext: helper's previous line
        self.assertEqual(got[3], self.main.events[call][:2])   # rfinish: the call site
        self.assertEqual(got[4], after_call)
        at_call, _ = positions(out)
        # the call site reached backward is the same instant a forward step lands on
        out2 = self.session("os_getppid", ["pyr next-line", POS])
        self.assertEqual(positions(out2)[0], at_call)

    def test_finish_returns_to_the_caller(self):
        out = self.session("os_getppid", ["pyr next-line", "pyr step", "pyr finish", "pyr bt"])
        got = landings(out)
        self.assertEqual(got[2], ("stepping.py", tag_line("lines_call")))
        self.assertRegex(out, r"#0 \S+stepping.py:%d in section_lines" % tag_line("lines_call"))

    # --- Threads and blocking syscalls -----------------------------------------------------------

    def test_worker_rnext_across_a_blocking_sleep_while_other_threads_ran(self):
        sleep, after = tag_line("worker_sleep"), tag_line("worker_after")
        out = self.session("os_getresuid", ["pyr next-line 2", POS, "pyr next-line", POS,
                                          "pyr mark after_sleep"])
        got = landings(out)
        self.assertEqual(got, [("stepping.py", sleep), ("stepping.py", after)], out)
        at_sleep, at_after = positions(out)
        self.assertEqual(at_sleep["tid"], at_after["tid"])
        self.assertGreater(at_after["when"], at_sleep["when"] + 2)  # other threads' events ran
        # a new session: from the mark after the sleep, rnext lands on the sleep line exactly
        proc = harness.replay_batch(self.rec.trace_dir, ["pyr goto @after_sleep", "pyr rnext",
                                                         POS, "info threads"], timeout=150)
        out2 = proc.stdout + proc.stderr
        self.assertNotIn("Traceback", out2)
        self.assertEqual(landings(out2), [("stepping.py", sleep)], out2)
        self.assertEqual(positions(out2)[0], at_sleep)

    # --- Generators, coroutines, exceptions ------------------------------------------------------

    def _both_ways(self, start_fn, tag, n):
        i = self.main.index_of(tag_line(tag))
        i = self.main.index_of(self.main.nexts(i, 1)[0][1])  # the line after the tagged one
        out = self.session(start_fn, ["pyr next-line", POS] + ["pyr step"] * n + [POS] +
                           ["pyr rstep"] * n + [POS])
        got = landings(out)
        expected = [self.main.events[i][:2]] + self.main.steps(i, n)
        self.assertEqual(got[:n + 1], expected, out)
        self.assertEqual(got[n + 1:], expected[:-1][::-1], out)
        first, last, back = positions(out)
        self.assertEqual(back, first)
        return out, last

    def test_generator_both_ways(self):
        out, _ = self._both_ways("os_getpgid", "gen_start", 9)
        got = landings(out)
        self.assertIn(("stepping.py", tag_line("gen_yield")), got)
        self.assertIn(("stepping.py", tag_line("gen_body")), got)
        # backward by scanning: from the generator's body, rstep lands in the generator
        start = self.main.index_of(tag_line("gen_start"))
        target = self.main.nexts(start, 5)[-1]
        i = self.main.index_of(target[1], 1)
        self.assertEqual(target, ("stepping.py", tag_line("gen_body")))
        out2 = self.session("os_getpgid", ["pyr next-line 5", "pyr rstep", "pyr rstep"])
        got2 = landings(out2)
        self.assertEqual(got2[0], self.main.events[i][:2])
        self.assertEqual(got2[1:], [self.main.events[i - 1][:2], self.main.events[i - 2][:2]])

    def test_coroutine_both_ways(self):
        i = self.main.index_of(tag_line("coro_first"))
        out, _ = self._both_ways("os_getpgrp", "coro_first", 6)
        got = landings(out)
        self.assertIn(("stepping.py", tag_line("coro_await")), got)
        # next-line over an `await` that suspends follows settrace's events at this depth or
        # shallower; rnext comes back to the same line
        out2 = self.session("os_getpgrp", ["pyr next-line 3", "pyr rnext", "pyr rnext"])
        expected = self.main.nexts(i, 3)
        got2 = landings(out2)
        self.assertEqual(got2[0], expected[2], out2)  # a COUNT prints the last landing only
        self.assertEqual(got2[1:], self.main.rnexts(self.main.nexts_index(i, 3), 2), out2)

    def test_exception_unwinding_several_frames_both_ways(self):
        call, handler = tag_line("exc_call"), tag_line("exc_handler") - 1  # the `except` line
        raise_line = tag_line("raise")
        i = self.main.index_of(call)
        self.assertEqual(self.main.nexts(self.main.index_of(tag_line("exc_start")), 2)[-1],
                         ("stepping.py", call))
        out = self.session("os_getsid", ["pyr next-line 2", POS, "pyr next-line", POS,
                                          "pyr rnext", POS] + ["pyr step"] * 4 +
                           ["pyr rstep", "pyr rfinish"])
        got = landings(out)
        self.assertEqual(got[0], ("stepping.py", call))
        self.assertEqual(got[1], self.main.nexts(i, 1)[0])
        self.assertEqual(got[1], ("stepping.py", handler))
        self.assertEqual(got[2], ("stepping.py", call))
        at_call, _, back = positions(out)
        self.assertEqual(back, at_call)
        self.assertEqual(got[3:7], self.main.steps(i, 4))  # level1, level2, raise, handler
        self.assertEqual(got[5], ("stepping.py", raise_line))
        self.assertEqual(got[7], ("stepping.py", raise_line))  # rstep from the handler
        self.assertEqual(got[8], ("stepping.py", tag_line("level2_call")))  # rfinish

    # --- Limits -----------------------------------------------------------------------------------

    def test_limits_have_clear_messages(self):
        out = self.session("os_getresuid", [
            "pyr next-line 50", "pyr where", "pyr step 0", "pyr step x",
            "pyr goto 1", "pyr step", "pyr rnext"])
        self.assertRegex(out, r"(?m)^pyr next-line: the trace ends before thread \d+ runs "
                              r"another Python line; stayed at \S+:\d+ in ")
        self.assertIn("Python: ", out)  # the session is still usable, still in Python
        self.assertIn("pyr step: COUNT must be at least 1", out)
        self.assertIn("pyr step: COUNT must be a whole number, not 'x'", out)
        self.assertRegex(out, r"(?m)^pyr: the Python interpreter is not initialised at this "
                              r"point; there is no Python line to step to yet$")

    def test_no_python_frame_and_the_start_of_a_thread(self):
        # thread_run is the new thread's C entry, before its first Python frame exists
        out = self.session("thread_run", ["pyr step", "pyr rnext", "pyr where"])
        refusal = (r"(?m)^pyr: thread \d+ has no Python frame here \(it is not a Python "
                   r"thread, or not yet\); select another thread")
        self.assertEqual(len(re.findall(refusal, out)), 2, out)
        self.assertRegex(out, r"(?m)^Position: event \d+, ticks 0, tid \d+")
        # back from the worker's first line of its own to the first line the thread ever ran,
        # the first statement of threading.Thread._bootstrap (from threading.py's own text),
        # and no further
        import ast
        import threading
        with open(threading.__file__) as f:
            tree = ast.parse(f.read())
        thread_class = next(n for n in tree.body
                            if isinstance(n, ast.ClassDef) and n.name == "Thread")
        bootstrap = next(n for n in thread_class.body
                         if isinstance(n, ast.FunctionDef) and n.name == "_bootstrap")
        out = self.session("os_getresuid", ["pyr rnext 40", "pyr where"])
        self.assertRegex(out, r"(?m)^pyr rnext: no earlier Python line in thread \d+ in this "
                              r"trace \(this is the first line it ran at this depth or above\); "
                              r"stayed here$")
        self.assertRegex(out, r"(?m)^Python: \S+/threading\.py:%d, in Thread\._bootstrap$"
                         % bootstrap.body[0].lineno)

    def test_rfinish_at_the_outermost_frame_and_help(self):
        out = self.session("os_getppid", ["pyr rfinish 2", "pyr rfinish", "help pyr rstep",
                                          "help pyr next-line"])
        self.assertRegex(out, r"(?m)^pyr rfinish: <module>\(\) is the outermost Python frame of "
                              r"thread \d+; nothing called it from Python$")
        self.assertIn("Usage: pyr rstep [COUNT]", out)
        self.assertIn("Usage: pyr next-line [COUNT]", out)


class UnreadableCodeTest(harness.TempDirTestCase):
    """A real recorded frame whose code object cannot be decoded: its co_filename holds an int
    (programs/unreadable_code.py breaks it with ctypes, and the program still runs)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = os.path.join(os.path.dirname(PROGRAM), "unreadable_code.py")
        cls.rec = harness.record_program([harness.PYTHON, cls.program], cls.workdir, "unreadable")

    def test_steps_refuse_with_a_clear_message_and_the_session_goes_on(self):
        self.assertEqual(self.rec.proc.returncode, 0, self.rec.proc.stderr)
        self.assertIn("unreadable_code: victim returned 2", self.rec.proc.stdout)
        proc = harness.replay_batch(self.rec.trace_dir, [
            "break os_getppid", "continue", "delete", "pyr step", "pyr rnext", "pyr finish",
            "pyr where", "pyr bt", "finish", "pyr bt"], timeout=120)
        out = proc.stdout + proc.stderr
        self.assertNotIn("Traceback", out)
        refusal = (r"(?m)^pyr: the current Python frame \(0x[0-9a-f]+\) of thread \d+ is "
                   r"unreadable \(its code object cannot be decoded\); cannot tell its lines$")
        self.assertEqual(len(re.findall(refusal, out)), 3, out)
        # where and bt name the frame as unreadable and say why, instead of printing the int
        self.assertRegex(out, r"(?m)^Python: <unreadable frame at 0x[0-9a-f]+>: object "
                              r"0x[0-9a-f]+ is not a str$")
        self.assertRegex(out, r"(?m)^  #0 <unreadable frame at 0x[0-9a-f]+>: ")
        self.assertNotIn("12345678901234", out)
        # the caller is still decoded, and gdb's own commands still work
        self.assertRegex(out, r"(?m)^  #1 \S+unreadable_code.py:\d+ in <module>$")


if __name__ == "__main__":
    unittest.main()
