"""The chapter's C functions (tests/e2e/chapter.py) against the interpreter the tests record.

gdb resolves each name on the real interpreter, with its debug info when it has some: a name that
a version does not have (3.13's `do_start_joinable_thread`, inlined away) fails here first, not as
a replay that never stops. Where breakpoints are really hit is tested by test_foundation,
test_sources and test_marks on recordings.
"""

import re
import unittest

import chapter
import harness


def gdb_breaks(python, names):
    """gdb's answer to `break NAME` for each name, on the interpreter file (no process)."""
    args = ["gdb", "-nx", "-batch"]
    for name in names:
        args += ["-ex", "break " + name]
    return harness.run(args + [python], timeout=120, check=True).stdout


class ChapterFunctionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.python = chapter.recorded_python()
        cls.funcs = chapter.recorded_functions()

    def test_version_is_what_the_interpreter_says(self):
        out = harness.run([self.python.path, "-c", "import sys; print(sys.version)"],
                          check=True).stdout
        self.assertTrue(out.startswith("%d.%d." % self.python.version), out)

    def test_thread_start_resolves_in_thread_pthread_h(self):
        out = gdb_breaks(self.python.path, [self.funcs.thread_start])
        if self.python.debug_info:
            self.assertRegex(out, r"Breakpoint 1 at 0x[0-9a-f]+: file \.\./%s, line \d+\."
                             % re.escape(self.funcs.thread_start_file))
        else:
            self.assertRegex(out, r"Breakpoint 1 at 0x[0-9a-f]+\n")

    def test_socket_functions_resolve(self):
        names = [self.funcs.socket_init, self.funcs.socket_connect,
                 self.funcs.socket_connect_inner]
        out = gdb_breaks(self.python.path, names)
        self.assertNotIn("not defined", out)
        if self.python.debug_info:
            for number, name in enumerate(names, 1):
                # One location with its file and line, or several ("internal_connect. (2 locations)").
                self.assertRegex(out, r"Breakpoint %d at 0x[0-9a-f]+: (file \.\./Modules/\S+, "
                                      r"line \d+|%s\. \(\d+ locations\))" % (number, name))

    def test_names_per_version(self):
        self.assertEqual(chapter.chapter_functions((3, 11)).thread_start, "PyThread_start_new_thread")
        self.assertEqual(chapter.chapter_functions((3, 12)).thread_start, "PyThread_start_new_thread")
        for version in ((3, 13), (3, 14), (3, 15)):
            self.assertEqual(chapter.chapter_functions(version).thread_start,
                             "PyThread_start_joinable_thread")
        self.assertEqual(chapter.chapter_functions((3, 14), debug_info=False).socket_connect,
                         "connect")
        with self.assertRaises(ValueError):
            chapter.chapter_functions((3, 10))


if __name__ == "__main__":
    unittest.main()
