"""`pyr bt` and `pyr bt --all` on real replays: the C++ decoder of CPython 3.11's frames.

Expected lines come from the session scripts' text (harness.session_line), never from the tool.
"""

import json
import os
import re
import unittest

from harness import (PYTHON, TempDirTestCase, pyreplay, record_program, record_session,
                     replay_batch, session_line)


def blocks(output):
    """{thread name: [frame lines]} from `pyr bt --all` output."""
    out, name = {}, None
    for line in output.splitlines():
        m = re.match(r'^Thread (\d+) (?:"([^"]*)"|\(not a threading\.Thread\))', line)
        if m:
            name = m.group(2) or "tid-" + m.group(1)
            out[name] = []
        elif name and line.startswith("  #"):
            out[name].append(line.strip())
    return out


class PyStackTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.threads = record_session("threads", cls.workdir)
        cls.sockets = record_session("sockets", cls.workdir)

    def test_bt_at_thread_create_and_in_the_new_thread(self):
        create = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        hello = session_line("threads", 'print("hello")')
        out = replay_batch(self.threads.trace_dir, [
            "break pthread_create", "continue", "pyr bt",
            "delete", "break builtin_print", "continue", "pyr bt", "py-bt"])
        text = out.stdout + out.stderr
        self.assertRegex(text, r"#0 \S*threads\.py:%d in main\n\s+_thread\.start_new_thread"
                         % create, text)
        self.assertIn("#1 ", text)
        self.assertRegex(text, r"#0 \S*threads\.py:%d in threadFunc\n\s+print\(\"hello\"\)" % hello)
        # The new thread is a thread of its own, not the main one.
        tids = re.findall(r"^Thread (\d+) .*\(gdb thread \d+\):$", text, re.M)
        self.assertEqual(len(tids), 2, text)
        self.assertNotEqual(tids[0], tids[1])
        # python-gdb.py is loaded too: py-bt works and agrees.
        self.assertRegex(text, r'File "\S*threads\.py", line %d, in threadFunc' % hello)

    def _connect_event(self, thread_name):
        conns = [c for c in self.sockets.truth["connections"] if c["thread"] == thread_name]
        tid = conns[0]["tid"]
        events = json.loads(pyreplay("events", self.sockets.trace_dir, "--json", "--kind",
                                     "connect", check=True).stdout)
        return [e["event"] for e in events if e["tid"] == tid][0], tid

    def test_bt_all_at_a_client_connect(self):
        event, tid = self._connect_event("client-0")
        out = replay_batch(self.sockets.trace_dir, ["pyr goto %d" % event, "pyr bt --all",
                                                    "pyr bt"])
        text = out.stdout + out.stderr
        threads = blocks(text)
        connect = session_line("sockets", 's.connect(("127.0.0.1", PORT))')
        accept = session_line("sockets", "listener.accept()")
        self.assertIn("client-0", threads, text)
        self.assertRegex(threads["client-0"][0], r"sockets\.py:%d in talk$" % connect)
        self.assertTrue(any(re.search(r"sockets\.py:%d in client$" % session_line(
            "sockets", "talk(name)", after="def client"), f) for f in threads["client-0"]))
        self.assertIn("server", threads, text)
        self.assertTrue(any(re.search(r"sockets\.py:%d in serve$" % accept, f)
                            for f in threads["server"]), threads["server"])
        self.assertIn("MainThread", threads, text)
        # Every live thread is named: MainThread, server, client-0 (the others start later).
        self.assertEqual(set(threads), {"MainThread", "server", "client-0"}, text)
        self.assertIn('Thread %d "client-0"' % tid, text)
        # Source lines are shown under frames.
        self.assertIn('s.connect(("127.0.0.1", PORT))', text)

    def test_bt_where_python_has_not_started(self):
        out = replay_batch(self.threads.trace_dir, ["pyr bt", "pyr bt --all", "pyr bt --bogus"])
        text = out.stdout + out.stderr
        self.assertIn("pyr bt: the Python interpreter is not initialised yet at this point", text)
        self.assertIn("has no threads yet", text)
        self.assertIn("unknown argument '--bogus'", text)
        self.assertNotIn("Traceback", text)

    _DROP_DEBUG_SYMBOLS = (
        'python f=gdb.current_progspace().filename; '
        'gdb.execute("set debug-file-directory /nonexistent"); gdb.execute("symbol-file"); '
        'gdb.execute("symbol-file " + f)')

    def test_missing_debug_symbols_uses_the_known_311_table(self):
        # An empty layout cache and no debug info: the interpreter's Py_Version says 3.11, and
        # pyreplay's table of 3.11 offsets (checked against python3.11-dbg) reads the frames.
        cache = os.path.join(self.workdir, "empty-cache")
        create = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        out = replay_batch(self.threads.trace_dir, [
            "break pthread_create", "continue", self._DROP_DEBUG_SYMBOLS, "pyr bt"],
            env={"XDG_CACHE_HOME": cache})
        text = out.stdout + out.stderr
        self.assertIn("using pyreplay's table of CPython 3.11 offsets", text)
        self.assertIn("threads.py:%d in main" % create, out.stdout, text)
        self.assertFalse(os.path.exists(os.path.join(cache, "pyreplay", "layouts")))

    def test_layout_read_once_is_cached_for_the_build(self):
        # One session reads CPython's offsets from the debug info and caches them by build-id;
        # a later session uses them without loading the debug types, here without any symbols.
        cache = os.path.join(self.workdir, "layout-cache")
        create = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        first = replay_batch(self.threads.trace_dir, ["break pthread_create", "continue",
                                                      "pyr bt"], env={"XDG_CACHE_HOME": cache})
        self.assertIn("threads.py:%d in main" % create, first.stdout, first.stderr)
        cached = os.listdir(os.path.join(cache, "pyreplay", "layouts"))
        self.assertEqual(len(cached), 1, cached)
        later = replay_batch(self.threads.trace_dir, [
            "break pthread_create", "continue", self._DROP_DEBUG_SYMBOLS, "pyr bt"],
            env={"XDG_CACHE_HOME": cache})
        self.assertIn("threads.py:%d in main" % create, later.stdout, later.stderr)
        # A damaged cache file is only a cache: the debug info is read again and it is replaced.
        path = os.path.join(cache, "pyreplay", "layouts", cached[0])
        with open(path, "w") as f:
            f.write("{not json")
        again = replay_batch(self.threads.trace_dir, ["break pthread_create", "continue",
                                                      "pyr bt"], env={"XDG_CACHE_HOME": cache})
        self.assertIn("threads.py:%d in main" % create, again.stdout, again.stderr)
        with open(path) as f:
            self.assertIn("interpreters_head", json.load(f))

    def test_not_python_and_other_python_versions(self):
        rec = record_program(["/bin/sleep", "0"], self.workdir, "sleep")
        out = replay_batch(rec.trace_dir, ["break nanosleep", "continue", "pyr bt"])
        self.assertRegex(out.stdout + out.stderr,
                         r"pyr bt: this process has no CPython runtime symbols.*python3\.11-dbg")
        other = "/root/.pyenv/versions/3.12.1/bin/python3.12"
        if os.path.exists(other):  # a second interpreter, when this machine has one
            rec = record_program([other, "-c", "import socket; socket.socket().close()"],
                                 self.workdir, "py312")
            out = replay_batch(rec.trace_dir, ["break socket", "continue", "pyr bt"])
            self.assertIn("this process runs Python 3.12; pyr bt decodes CPython 3.11 and 3.13 "
                          "or later", out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
