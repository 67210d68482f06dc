"""Foundation (issue 3): real recording and replay with rr on this machine, and clear errors.

Every test here records with rr (no-PMU mode on machines without counters) and replays for real
in gdb. Expected values come from the recorded programs' own ground truth or source text.
"""

import os
import re
import shutil
import stat
import unittest

import chapter
import harness
from harness import pyreplay, replay_batch, session_line, whens


class RecordAndReplayTest(harness.TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.threads = harness.record_session("threads", cls.workdir)
        cls.threads2 = harness.record_session("threads", cls.workdir, name="threads-again")
        cls.sockets = harness.record_session("sockets", cls.workdir)

    def test_record_reports_mode_and_next_step(self):
        err = self.threads.proc.stderr
        self.assertRegex(err, r"Recorded .*threads \((no)?pmu mode; the program exited 0\)")
        self.assertIn("pyreplay replay", err)
        with open(os.path.join(self.threads.trace_dir, "pyreplay", "meta.json")) as f:
            meta = f.read()
        self.assertRegex(meta, r'"mode": "(no)?pmu"')
        self.assertIn('"pyreplay_version"', meta)

    def test_sessions_wrote_ground_truth(self):
        names = sorted(t["name"] for t in self.threads.truth["threads"])
        self.assertEqual(names, sorted(["MainThread", "threadFunc"] + ["worker-%d" % i for i in range(4)]))
        self.assertEqual(len(self.sockets.truth["connections"]), 4)
        self.assertEqual(len(self.sockets.truth["accepts"]), 4)

    def test_both_recordings_replay_to_completion(self):
        for rec in (self.threads, self.threads2):
            proc = pyreplay("replay", rec.trace_dir, "--autopilot", timeout=300)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            # The replay re-emits the recorded program's output exactly.
            self.assertIn("hello\npool computed 12 results", proc.stdout)

    def test_two_replays_stop_at_thread_creation_at_same_when(self):
        results = []
        thread_start = chapter.recorded_functions().thread_start
        for _ in range(2):
            proc = replay_batch(self.threads.trace_dir,
                                ["break " + thread_start, "continue", "when"])
            self.assertRegex(proc.stdout, chapter.breakpoint_hit(1, thread_start))
            results.append(whens(proc.stdout))
        self.assertEqual(len(results[0]), 1)
        self.assertEqual(results[0], results[1])

    def test_breakpoints_and_py_bt_show_session_functions(self):
        funcs = chapter.recorded_functions()
        proc = replay_batch(self.threads.trace_dir,
                            ["break " + funcs.thread_start, "continue", "py-bt"])
        line = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        self.assertRegex(proc.stdout, r'threads\.py", line %d, in main' % line)

        proc = replay_batch(self.sockets.trace_dir,
                            ["break " + funcs.socket_connect, "continue", "py-bt"])
        self.assertIn(funcs.socket_connect + " (", proc.stdout)
        line = session_line("sockets", 's.connect(("127.0.0.1", PORT))',
                            after="The chapter's two statements")
        self.assertRegex(proc.stdout, r'sockets\.py", line %d, in main' % line)

    def test_run_n_checkpoint_and_restart(self):
        proc = replay_batch(self.sockets.trace_dir,
                            ["run 300", "when", "checkpoint", "run 1000", "when", "restart 1", "when"])
        w = whens(proc.stdout)
        self.assertEqual(len(w), 3, proc.stdout + proc.stderr)
        # rr's `run N` lands at the first stop it can make after event N.
        self.assertTrue(300 < w[0] <= 305, w)
        self.assertTrue(1000 < w[1] <= 1005, w)
        self.assertEqual(w[2], w[0], "restart must return to the checkpoint's event")

    def test_reverse_continue_returns_to_earlier_breakpoint(self):
        proc = replay_batch(self.threads.trace_dir,
                            ["break " + chapter.recorded_functions().thread_start, "continue",
                             "when", "continue",
                             "when", "reverse-continue", "when"], timeout=120)
        w = whens(proc.stdout)
        self.assertEqual(len(w), 3, proc.stdout + proc.stderr)
        self.assertLess(w[0], w[1])
        self.assertEqual(w[2], w[0])

    def test_exit_code_passes_through(self):
        trace = os.path.join(self.workdir, "exit7")
        proc = pyreplay("record", "-o", trace, "--", harness.PYTHON, "-c", "import sys; sys.exit(7)")
        self.assertEqual(proc.returncode, 7, proc.stderr)
        self.assertIn("the program exited 7", proc.stderr)


class BadInputTest(harness.TempDirTestCase):
    """Each bad input: one clear line on stderr, a non-zero exit, no traceback, no hang."""

    def assertOneClearError(self, proc, pattern):
        self.assertNotEqual(proc.returncode, 0)
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertRegex(lines[0], r"^pyreplay: error: " + pattern)
        for bad in ("Traceback", "terminate called", "Aborted", "core dumped"):
            self.assertNotIn(bad, proc.stderr + proc.stdout)

    def test_program_that_does_not_exist(self):
        proc = pyreplay("record", "-o", os.path.join(self.workdir, "nope"), "--", "/no/such/program")
        self.assertOneClearError(proc, r".*/no/such/program.*no such executable")
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "nope")))

    def test_trace_that_is_not_a_trace(self):
        proc = pyreplay("replay", self.workdir, "--batch")
        self.assertOneClearError(proc, r".* is not an rr trace")
        proc = pyreplay("replay", os.path.join(self.workdir, "missing"), "--batch")
        self.assertOneClearError(proc, r".*missing: no such trace folder")

    def test_unwritable_output_folder(self):
        blocker = os.path.join(self.workdir, "a-file")
        with open(blocker, "w") as f:
            f.write("not a folder")
        proc = pyreplay("record", "-o", os.path.join(blocker, "trace"), "--", "/bin/true")
        self.assertOneClearError(proc, r"cannot write traces to .*a-file")
        # A read-only filesystem defeats even root.
        proc = pyreplay("record", "-o", "/proc/pyreplay-test/trace", "--", "/bin/true")
        self.assertOneClearError(proc, r"cannot write traces to /proc/pyreplay-test")

    def test_replaying_nopmu_trace_with_pmu_on(self):
        trace = os.path.join(self.workdir, "true-trace")
        pyreplay("record", "--pmu", "off", "-o", trace, "--", "/bin/true", check=True)
        proc = pyreplay("replay", trace, "--pmu", "on", "--batch")
        self.assertOneClearError(proc, r".*recorded in no-PMU mode.*drop --pmu on")

    def test_rr_missing_from_path(self):
        env = {"PATH": "/nonexistent"}
        proc = pyreplay("record", "-o", os.path.join(self.workdir, "norr"), "--", "/bin/true", env=env)
        self.assertOneClearError(proc, r"rr is not installed or not on PATH; install it with .*apt-get install rr")
        proc = pyreplay("replay", self.workdir, "--autopilot", env=env)
        self.assertOneClearError(proc, r"rr is not installed or not on PATH")
        proc = pyreplay("doctor", "--no-smoke", env=env)
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stdout, r"FAIL\s+rr\s+rr is not on PATH")


class DoctorTest(unittest.TestCase):
    def test_doctor_says_recording_works_here(self):
        proc = pyreplay("doctor", "--json", timeout=120)
        import json
        report = json.loads(proc.stdout)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertTrue(report["ok"])
        by_name = {c["name"]: c for c in report["checks"]}
        self.assertEqual(by_name["smoke test"]["level"], "ok")
        self.assertIn(by_name["pmu"]["level"], ("ok", "info"))

    def test_doctor_lists_each_python_as_the_binary_reports_itself(self):
        import json
        import subprocess
        proc = pyreplay("doctor", "--no-smoke", "--json", timeout=120)
        report = json.loads(proc.stdout)
        pythons = [p for p in report["pythons"] if p["ran"]]
        self.assertTrue(pythons, proc.stdout)
        truth_script = ("import sys, sysconfig; print('%d.%d.%d' % tuple(sys.version_info[:3]), "
                        "bool(sysconfig.get_config_var('Py_GIL_DISABLED')))")
        for p in pythons:
            truth = subprocess.run([p["executable"], "-c", truth_script], capture_output=True,
                                   text=True, timeout=60).stdout.split()
            self.assertEqual([p["version"], str(p["free_threaded"])], truth, p)
            version = tuple(int(n) for n in p["version"].split(".")[:2])
            self.assertEqual(p["debug_offsets"], version >= (3, 13), p)
        # Debian's own python3 is listed; its -dbg package (setup.sh) is found by build-id.
        debian = os.path.realpath("/usr/bin/python3")
        mine = [p for p in pythons if p["executable"] == debian]
        self.assertEqual(len(mine), 1, [p["executable"] for p in pythons])
        self.assertTrue(mine[0]["works"]["stacks"], mine[0])
        # Symbols are never a reason recording would not work.
        checks = report["checks"]
        self.assertNotIn("FAIL", [c["level"] for c in checks if c["name"] in
                                  ("debug symbols", "interpreter")])

    def test_doctor_finds_dwarf_in_a_pyenv_libpython(self):
        # The bug of issue 17: a pyenv-built 3.11 carries DWARF in its libpython, and doctor
        # said "FAIL debug symbols ... Recording will not work".
        import glob
        import json
        found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[1-9]*/bin/python3.1*")))
        found = [f for f in found if re.search(r"python3\.\d+$", f)]
        if not found:
            self.skipTest("no pyenv CPython 3.11+ on this machine")
        proc = pyreplay("doctor", "--no-smoke", "--json", "--python", found[0], timeout=120)
        report = json.loads(proc.stdout)
        by_name = {c["name"]: c for c in report["checks"]}
        self.assertNotEqual(by_name["debug symbols"]["level"], "FAIL", by_name["debug symbols"])
        if ".debug_info" in sections_of_interpreter(found[0]):
            self.assertEqual(by_name["debug symbols"]["level"], "ok", by_name["debug symbols"])
        proc = pyreplay("doctor", "--no-smoke", "--python", found[0], timeout=120)
        self.assertNotIn("FAIL   debug symbols", proc.stdout)


def sections_of_interpreter(path):
    """readelf's section list of the ELF holding the interpreter (the libpython it maps, if any)."""
    import subprocess
    lib = subprocess.run([path, "-c", "print(([l.split()[-1] for l in open('/proc/self/maps') "
                          "if '/libpython' in l] + [''])[0])"],
                         capture_output=True, text=True).stdout.strip()
    if not shutil.which("readelf"):
        return ""
    return subprocess.run(["readelf", "-SW", lib or path], capture_output=True, text=True).stdout


if __name__ == "__main__":
    unittest.main()
