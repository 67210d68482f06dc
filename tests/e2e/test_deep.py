"""`pyreplay index --deep`: Python locations at every connect and thread creation, checked
against the session scripts' own line numbers; thread names; Ctrl-C; staleness; and the socket
addresses only the calls' arguments hold (tests/e2e/programs/socket_kinds.py's Unix sockets,
refused TCP connect and UDP connect), checked against what that program printed."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import (PYREPLAY, TempDirTestCase, only_event, pyreplay, record_program,
                     record_session, session_line)


PYTHON_312 = "/root/.pyenv/versions/3.12.1/bin/python3.12"


def frames_in(entry, script):
    return [(f["line"], f["function"]) for f in entry["python_stack"]
            if os.path.basename(f["file"]) == script]


class DeepIndexTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sockets = record_session("sockets", cls.workdir)
        cls.threads = record_session("threads", cls.workdir)
        cls.deep_run = pyreplay("index", "--deep", cls.sockets.trace_dir, timeout=600)

    def events(self, rec, *args):
        return json.loads(pyreplay("events", rec.trace_dir, "--json", *args, check=True).stdout)

    def test_a_interrupted_deep_index_leaves_nothing(self):
        # The threads trace has no deep index yet. The test hook makes the pass pause at its
        # first stop, so the Ctrl-C surely lands mid-pass.
        pyreplay("index", self.threads.trace_dir, check=True)
        # A private TMPDIR: other tests running in parallel make their own pyreplay-deep-*
        # folders in /tmp, so only this one tells whether *this* pass left one behind.
        own_tmp = tempfile.mkdtemp(prefix="test-deep-tmp-")
        self.addCleanup(shutil.rmtree, own_tmp, True)
        env = dict(os.environ, PYREPLAY_DEEP_TEST_STALL="60", NO_COLOR="1", TMPDIR=own_tmp)
        proc = subprocess.Popen([PYREPLAY, "index", "--deep", self.threads.trace_dir], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        time.sleep(6)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, err = proc.communicate(timeout=120)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("interrupted; nothing was written", err)
        side = os.path.join(self.threads.trace_dir, "pyreplay")
        self.assertFalse(os.path.exists(os.path.join(side, "deep")))
        self.assertEqual([f for f in os.listdir(side) if "deep" in f or "tmp" in f], [])
        self.assertEqual(glob.glob(os.path.join(own_tmp, "pyreplay-deep-*")), [])
        # Without the deep index, events have no Python column.
        self.assertNotIn("python", self.events(self.threads)[0])

    def test_b_connects_carry_their_script_lines(self):
        self.assertEqual(self.deep_run.returncode, 0, self.deep_run.stderr)
        self.assertIn("deep index", self.deep_run.stdout)
        talk = session_line("sockets", 's.connect(("127.0.0.1", PORT))')
        main = session_line("sockets", 's.connect(("127.0.0.1", PORT))', after="def main")
        truth = {c["tid"]: c["thread"] for c in self.sockets.truth["connections"]}
        connects = self.events(self.sockets, "--kind", "connect")
        self.assertEqual(len(connects), len(self.sockets.truth["connections"]))
        for e in connects:
            name = truth[e["tid"]]
            self.assertEqual(e["thread_name"], name)
            want = (main, "main") if name == "MainThread" else (talk, "talk")
            self.assertEqual(frames_in(e, "sockets.py")[0], want, e)
            self.assertEqual(e["python"], "sockets.py:%d in %s()" % want)
        accepts = self.events(self.sockets, "--kind", "accept")
        accept = session_line("sockets", "listener.accept()")
        for e in accepts:
            self.assertEqual(e["thread_name"], "server")
            self.assertEqual(frames_in(e, "sockets.py")[0], (accept, "serve"))

    def test_b_thread_creations_carry_their_script_lines(self):
        starts = self.events(self.sockets, "--kind", "thread")
        server = session_line("sockets", "server.start()")
        client = session_line("sockets", "t.start()", after="clients = [")
        names = [e["thread_name"] for e in starts]
        self.assertEqual(names, ["server", "client-0", "client-1", "client-2"])
        for e in starts:
            want = (server if e["thread_name"] == "server" else client, "main")
            self.assertEqual(frames_in(e, "sockets.py")[0], want, e)
            self.assertEqual(e["python"], "sockets.py:%d in main()" % want[0])
            self.assertEqual(e["python_stack"][0]["function"], "Thread.start")

    def test_b_marks_added_by_event_carry_the_python_location(self):
        talk = session_line("sockets", 's.connect(("127.0.0.1", PORT))')
        client = next(c["tid"] for c in self.sockets.truth["connections"]
                      if c["thread"] == "client-0")
        event = next(e["event"] for e in self.events(self.sockets, "--kind", "connect")
                     if e["tid"] == client)
        trace = self.sockets.trace_dir
        pyreplay("marks", trace, "add", "cli-connect", "--event", str(event), check=True)
        pyreplay("marks", trace, "add", "cli-not-indexed", "--event", str(event + 1), check=True)
        try:
            # gdb's `pyr mark` at the same instant records the location from the live frames.
            gdb = pyreplay("replay", trace, "--batch", "-ex", "pyr goto %d" % event, "-ex",
                           "pyr mark gdb-connect", timeout=180)
            self.assertIn("Marked gdb-connect", gdb.stdout, gdb.stdout[-2000:] + gdb.stderr)
            marks = {m["name"]: m for m in json.loads(
                pyreplay("marks", trace, "list", "--json", check=True).stdout)}
        finally:
            for name in ("cli-connect", "cli-not-indexed", "gdb-connect"):
                pyreplay("marks", trace, "rm", name)
        location = marks["cli-connect"]["python_location"]
        self.assertRegex(location, r"(^|/)sockets\.py:%d, in talk$" % talk)
        self.assertEqual(location, marks["gdb-connect"]["python_location"])
        self.assertEqual(marks["cli-not-indexed"]["python_location"], "")

    def test_c_threads_session_after_a_full_pass(self):
        run = pyreplay("index", "--deep", self.threads.trace_dir, timeout=600)
        self.assertEqual(run.returncode, 0, run.stderr)
        starts = self.events(self.threads, "--kind", "thread")
        first = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        pool = session_line("threads", "t.start()", after="def run_pool")
        self.assertEqual(frames_in(starts[0], "threads.py")[0], (first, "main"))
        self.assertEqual(starts[0]["python"], "threads.py:%d in main()" % first)
        workers = starts[1:]
        self.assertEqual(len(workers), 4)
        for e in workers:
            self.assertEqual(frames_in(e, "threads.py")[0], (pool, "run_pool"))
        self.assertEqual(sorted(e["thread_name"] for e in workers),
                         ["worker-%d" % i for i in range(4)])

    def test_d_text_tables_name_threads_and_locations(self):
        text = pyreplay("events", self.sockets.trace_dir, check=True).stdout
        self.assertIn("PYTHON", text.splitlines()[0])
        talk = session_line("sockets", 's.connect(("127.0.0.1", PORT))')
        self.assertRegex(text, r"client-0 \[\d+\]\s+connect\s+sockets\.py:%d in talk\(\)" % talk)
        gdb = pyreplay("replay", self.sockets.trace_dir, "--batch", "-ex", "pyr events connect",
                       timeout=180).stdout
        self.assertRegex(gdb, r"\[client-1 \[\d+\]\]  @ sockets\.py:%d in talk\(\)" % talk)

    def test_d_info_names_every_thread_as_the_program_did(self):
        truth = {t["tid"]: t["name"] for t in self.sockets.truth["threads"]}
        info = json.loads(pyreplay("info", self.sockets.trace_dir, "--json", check=True).stdout)
        named = {t["tid"]: t["name"] for t in info["thread_names"]}
        self.assertEqual(named, truth)  # every thread the session named itself, nothing else
        text = pyreplay("info", self.sockets.trace_dir, check=True).stdout
        for tid, name in truth.items():
            self.assertRegex(text, r"\n\s+%d\s+%s\n" % (tid, re.escape(name)))

    def test_e_stale_with_the_index(self):
        # Another recording in the same folder has another rr uuid: flip one of its bytes in
        # `version`, so the index is rebuilt and the deep index no longer matches it.
        version_file = os.path.join(self.sockets.trace_dir, "version")
        uuid = bytes.fromhex(json.loads(pyreplay("info", self.sockets.trace_dir, "--json",
                                                 check=True).stdout)["uuid"])
        with open(version_file, "rb") as f:
            original = f.read()
        # The header is packed: a word's zero bytes are left out, its other bytes stay in order.
        # So look for the nonzero bytes of the uuid's first word, and keep the flipped one nonzero.
        word = max((bytes(b for b in uuid[i:i + 8] if b) for i in (0, 8)), key=len)
        at = original.index(word, original.index(b"\n") + 1)
        changed = bytearray(original)
        changed[at] ^= 0x01 if changed[at] != 0x01 else 0x02
        # With its digests, a changed `version` is a damaged trace (test_hostile); without them
        # (a trace as plain rr leaves it) it reads as another recording.
        digests = os.path.join(self.sockets.trace_dir, "pyreplay", "digests")
        os.rename(digests, digests + ".aside")
        try:
            with open(version_file, "wb") as f:
                f.write(changed)
            out = pyreplay("events", self.sockets.trace_dir, check=True)
            self.assertIn("is stale", out.stderr)
            self.assertIn("pyreplay index --deep", out.stderr)
            self.assertNotIn("PYTHON", out.stdout)
        finally:
            with open(version_file, "wb") as f:
                f.write(original)
            os.rename(digests + ".aside", digests)
        # The same streams again (new file times, as after a copy or an unpack): fresh again.
        events_file = os.path.join(self.sockets.trace_dir, "events")
        st = os.stat(events_file)
        os.utime(events_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        out = pyreplay("events", self.sockets.trace_dir, check=True)
        self.assertNotIn("stale", out.stderr)
        self.assertIn("PYTHON", out.stdout.splitlines()[0])

    def test_f_layout_comes_from_the_debug_info_once_then_the_cache(self):
        # An empty cache: the pass asks gdb for CPython's offsets and keeps them by build-id.
        cache = os.path.join(self.workdir, "cache-f")
        env = {"XDG_CACHE_HOME": cache}
        first = pyreplay("index", "--deep", self.sockets.trace_dir, env=env, timeout=600)
        self.assertEqual(first.returncode, 0, first.stderr)
        layouts = glob.glob(os.path.join(cache, "pyreplay", "layouts", "*.json"))
        self.assertEqual(len(layouts), 1)
        build_id = subprocess.run(["readelf", "-n", "/usr/bin/python3.11"], capture_output=True,
                                  text=True).stdout.split("Build ID:")[1].split()[0]
        self.assertEqual(os.path.basename(layouts[0]), build_id + ".json")
        with open(layouts[0]) as f:
            layout = json.load(f)["layout"]
        # The offsets docs/CPYTHON.md gives for this build, read here from the debug info.
        self.assertEqual((layout["frame_code"], layout["frame_previous"],
                          layout["tstate_native_thread_id"]), (32, 48, 160))
        # A damaged cache file is only a cache: the next pass asks gdb again, same result.
        with open(layouts[0], "w") as f:
            f.write("{broken")
        again = pyreplay("index", "--deep", self.sockets.trace_dir, env=env, timeout=600)
        self.assertEqual(again.returncode, 0, again.stderr)
        connects = self.events(self.sockets, "--kind", "connect")
        self.assertTrue(all(e.get("python") for e in connects), connects)
        with open(layouts[0]) as f:
            self.assertEqual(json.load(f)["layout"], layout)

    def test_g_not_python_gets_one_clear_line(self):
        rec = record_program(["/bin/sleep", "0"], self.workdir, "sleep-g")
        out = pyreplay("index", "--deep", rec.trace_dir, env={"XDG_CACHE_HOME": os.path.join(
            self.workdir, "cache-g")}, timeout=300)
        self.assertEqual(out.returncode, 1, out.stderr)
        errors = [l for l in out.stderr.splitlines() if l.startswith("pyreplay: error:")]
        self.assertEqual(len(errors), 1, out.stderr)
        self.assertIn("no CPython runtime symbols", errors[0])
        self.assertIn("not CPython 3.11 or later", errors[0])
        self.assertFalse(os.path.exists(os.path.join(rec.trace_dir, "pyreplay", "deep")))


    @unittest.skipUnless(os.path.exists(PYTHON_312), "no " + PYTHON_312 + " here")
    def test_h_another_python_gets_its_version_named(self):
        # A shared-library build: _PyRuntime and Py_Version are in libpython3.12.so, which gdb
        # does not load from the executable alone.
        rec = record_program([PYTHON_312, "-c", "import threading; t = threading.Thread("
                              "target=print, args=('hi',)); t.start(); t.join()"],
                             self.workdir, "py312-h")
        self.assertEqual(rec.proc.returncode, 0, rec.proc.stderr)
        out = pyreplay("index", "--deep", rec.trace_dir, env={"XDG_CACHE_HOME": os.path.join(
            self.workdir, "cache-h")}, timeout=300)
        self.assertEqual(out.returncode, 1, out.stderr)
        errors = [l for l in out.stderr.splitlines() if l.startswith("pyreplay: error:")]
        self.assertEqual(errors, ["pyreplay: error: this trace runs Python 3.12; the deep index "
                                  "reads CPython 3.11 and 3.13 or later"], out.stderr)
        self.assertFalse(os.path.exists(os.path.join(rec.trace_dir, "pyreplay", "deep")))


PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")


def inet(pair):
    return "%s:%d" % (pair[0], pair[1])


class DeepAddressTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = record_program(["/usr/bin/python3.11", os.path.join(PROGRAMS, "socket_kinds.py")],
                                 cls.workdir, "socket_kinds")
        assert cls.rec.truth, cls.rec.proc.stderr
        cls.before = pyreplay("events", cls.rec.trace_dir, check=True).stdout
        cls.deep_run = pyreplay("index", "--deep", cls.rec.trace_dir, timeout=600)
        cls.events = json.loads(pyreplay("events", cls.rec.trace_dir, "--json",
                                         check=True).stdout)
        cls.table = pyreplay("events", cls.rec.trace_dir, check=True).stdout

    def test_unix_binds_have_their_paths(self):
        self.assertEqual(self.deep_run.returncode, 0, self.deep_run.stderr)
        truth = self.rec.truth
        binds = truth["unix_binds"] + truth["abstract_binds"]
        self.assertEqual(len(binds), 3)
        self.assertIn(True, [b["path"].startswith("@") for b in binds])  # an abstract name
        # One thread may bind one fd number more than once (the servers' fds are reused): pair
        # the program's notes and the index's entries of each (tid, fd) in order.
        def entries(kind, tid, fd):
            return [e for e in self.events if e["kind"] == kind and e["tid"] == tid and
                    e["fd"] == fd and e["family"] == 1]
        seen = {}
        for b in binds:
            key = (b["tid"], b["fd"])
            n = seen.get(key, 0)
            seen[key] = n + 1
            found = entries("bind", *key)
            self.assertGreater(len(found), n, (b, found))
            e = found[n]
            self.assertEqual(e["local"], {"address": b["path"], "inferred": False,
                                          "source": "deep"}, e)
            self.assertEqual(e["details"], "%s (deep) fd %d ok" % (b["path"], b["fd"]))
            self.assertNotIn("address_hint", e)
            if b.get("server") or b["path"].startswith("@"):
                # its listen is the first one on that fd after it
                listen = [x for x in entries("listen", *key) if x["event"] > e["event"]][0]
                self.assertEqual(listen["local"]["address"], b["path"])
        self.assertEqual(sum(seen.values()), len([e for e in self.events if e["kind"] == "bind"
                                                  and e["family"] == 1]))

    def test_unix_connects_and_their_pairs(self):
        truth = self.rec.truth
        for key in ("unix", "abstract"):
            server = [b for b in truth[key + "_binds"] if b.get("server", key == "abstract")][0]
            accepts = [e for e in self.events if e["kind"] == "accept" and e["family"] == 1 and
                       e["local"] and e["local"]["address"] == server["path"]]
            self.assertEqual(len(accepts), len(truth[key + "_accepts"]), key)
            for c in truth[key + "_connects"]:
                e = only_event(self.events, "connect", c["tid"], fd=c["fd"])
                self.assertEqual(e["remote"], {"address": c["path"], "inferred": False,
                                               "source": "deep"}, e)
                self.assertEqual(e["local"]["address"], c["local"] or "(unnamed)", e)
                self.assertIsNotNone(e["peer"], e)
                accept = [a for a in self.events if a["event"] == e["peer"]["event"]][0]
                self.assertEqual(accept["kind"], "accept")
                self.assertEqual(accept["peer"]["event"], e["event"])
                self.assertEqual(accept["local"]["address"], c["path"])
                # the accept that answered it reported this client as its peer
                self.assertEqual(accept["remote"]["address"], c["local"] or "(unnamed)")
                self.assertIn(accept["tid"], [a["tid"] for a in truth[key + "_accepts"]])
        # Each accept answered one connect.
        paired = [e["peer"]["event"] for e in self.events if e["kind"] == "connect" and e["peer"]]
        self.assertEqual(len(paired), len(set(paired)))
        self.assertEqual(len(paired), len(truth["unix_connects"] + truth["abstract_connects"]))

    def test_refused_connects_target(self):
        r = self.rec.truth["refused"][0]
        e = only_event(self.events, "connect", r["tid"], fd=r["fd"], result=-r["errno"])
        self.assertEqual(e["remote"], {"address": inet(r["target"]), "inferred": False,
                                       "source": "deep"})
        self.assertEqual(e["details"], "? -> %s (deep) fd %d failed: ECONNREFUSED" % (
            inet(r["target"]), r["fd"]))
        self.assertIsNone(e["peer"])

    def test_udp_connects_target(self):
        u = self.rec.truth["udp"][0]
        e = only_event(self.events, "connect", u["tid"], fd=u["fd"])
        self.assertEqual(e["remote"], {"address": inet(u["remote"]), "inferred": False,
                                       "source": "deep"})
        self.assertEqual(u["remote"], u["server"])

    def test_tables_before_and_after(self):
        self.assertIn("(address: pyreplay index --deep)", self.before)
        self.assertNotIn("(address: pyreplay index --deep)", self.table)
        self.assertIn("(deep)", self.table)
        self.assertIn("PYTHON", self.table.splitlines()[0])


if __name__ == "__main__":
    unittest.main()
