"""End-to-end: `pyreplay hunt` catches the race session's lost update under rr's chaos scheduling,
the kept trace replays to the same failure, and `pyreplay diff` points at the racing threads.

Ground truth is what the recorded program printed about itself (each worker's native tid, what it
read and wrote, the final count), saved by the hunt with the kept trace, and checked against
real replays in gdb. Nothing is mocked.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import PYREPLAY, PYTHON, SESSIONS, TempDirTestCase, pyreplay, replay_batch, whens

RACE = os.path.join(SESSIONS, "race.py")
TRIES = 20  # the race fails in about a third of chaos runs: P(no failure in 20) < 0.1%


def pids_mentioning(text):
    """The processes whose command line holds `text` (the rr recordings of one hunt)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(pid))
        except OSError:
            pass  # gone meanwhile
    return pids


def process_runs(pid):
    """True for a live process (not a zombie: this container's init may not reap orphans)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def hunt_record(trace):
    with open(os.path.join(trace, "pyreplay", "hunt.json")) as f:
        return json.load(f)


def worker_tids(output):
    """{name: tid} from the program's own lines `race: worker-0 tid 4012 read 0 wrote 1`."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^race: (worker-\d) tid (\d+) read", output, re.M)}


class HuntRaceTest(TempDirTestCase):
    """One real hunt on scripts/sessions/race.py, checked from every side."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.out = os.path.join(cls.workdir, "hunt")
        cls.proc = pyreplay("hunt", "--tries", str(TRIES), "-o", cls.out, "--", PYTHON, RACE,
                            timeout=240)
        cls.kept = sorted(os.listdir(cls.out)) if os.path.isdir(cls.out) else []
        cls.failing = cls.passing = None
        for name in cls.kept:
            trace = os.path.join(cls.out, name)
            record = hunt_record(trace)
            if record["role"] == "failing":
                cls.failing, cls.failing_record = trace, record
            else:
                cls.passing, cls.passing_record = trace, record

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout + self.proc.stderr)
        self.assertIsNotNone(self.failing, self.proc.stdout)

    def test_catches_the_lost_update_within_its_budget(self):
        self.assertRegex(self.proc.stdout, r"caught a failing run on try (\d+)")
        tries = int(re.search(r"on try (\d+)", self.proc.stdout).group(1))
        self.assertLessEqual(tries, TRIES)
        record = self.failing_record
        self.assertEqual(record["exit_code"], 1)
        self.assertIn("race: lost update: counter = 1, expected 2", record["output"])
        tids = worker_tids(record["output"])
        self.assertEqual(set(tids), {"worker-0", "worker-1"})
        # Both workers read the same value: the program's own account of the lost update.
        reads = re.findall(r"read (\d+) wrote (\d+)", record["output"])
        self.assertEqual(reads, [("0", "1"), ("0", "1")])

    def test_keeps_only_the_failing_and_one_passing_trace(self):
        self.assertEqual(len(self.kept), 2, self.kept)
        self.assertIsNotNone(self.passing)
        self.assertEqual(self.passing_record["exit_code"], 0)
        self.assertIn("race: ok: counter = 2", self.passing_record["output"])
        self.assertIn("failing trace: %s" % self.failing, self.proc.stdout)
        self.assertIn("passing trace: %s" % self.passing, self.proc.stdout)
        deleted = int(re.search(r"(\d+) other traces? deleted", self.proc.stdout).group(1))
        tries = int(re.search(r"\((?:exit status \d+); (\d+) tries", self.proc.stdout).group(1))
        self.assertEqual(deleted, tries - 2)
        # Indexed, with the next commands to run.
        for trace in (self.failing, self.passing):
            self.assertTrue(os.path.exists(os.path.join(trace, "pyreplay", "index")))
            self.assertTrue(os.path.exists(os.path.join(trace, "pyreplay", "deep")))
        self.assertIn("pyreplay diff %s %s" % (self.passing, self.failing), self.proc.stdout)
        self.assertIn("pyreplay replay %s" % self.failing, self.proc.stdout)

    def test_shows_progress(self):
        lines = [l for l in self.proc.stderr.splitlines() if re.match(r"pyreplay: try \d+ ", l)]
        self.assertGreaterEqual(len(lines), 2)
        self.assertRegex(lines[-1], r"\d+/%d tries, \d+ running, \d+ failed \(\d+%%\), "
                                    r"[\d.]+ runs/min" % TRIES)

    def test_failing_trace_replays_to_the_same_failure_twice(self):
        record = self.failing_record
        expected = [l for l in record["output"].splitlines() if l.startswith("race:")]
        for _ in range(2):
            # Replay to the program's last act: libc's _exit(status), called by the main thread.
            # (Not the final stop: rr's closing SIGKILL lands in whichever thread is still
            # alive, and under chaos scheduling a joined worker can still be unwinding.)
            proc = replay_batch(self.failing, ["break _exit", "continue", "p $rdi", "p $_thread"])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            lines = [l for l in proc.stdout.splitlines() if l.startswith("race:")]
            self.assertEqual(lines, expected)
            values = re.findall(r"^\$\d+ = (-?\d+)$", proc.stdout, re.M)
            self.assertEqual(values, [str(record["exit_code"]), "1"], proc.stdout)
        autopilot = pyreplay("replay", self.failing, "--autopilot", timeout=120)
        self.assertEqual([l for l in autopilot.stdout.splitlines() if l.startswith("race:")],
                         expected)

    def diff(self):
        proc = pyreplay("diff", self.passing, self.failing, "--json", check=True)
        return json.loads(proc.stdout)

    def test_diff_names_the_two_racing_threads(self):
        diff = self.diff()
        tids = worker_tids(self.failing_record["output"])
        first = diff["first"]
        self.assertIsNotNone(first)
        self.assertEqual(first["kind"], "reordering")
        involved = {first["first"]["failing"]["tid"], first["second"]["failing"]["tid"]}
        self.assertEqual(involved, set(tids.values()), first)
        # Matched by Python name (the hunt built the deep indexes): labels say which worker.
        names = {first["first"]["label"].split()[0], first["second"]["label"].split()[0]}
        self.assertEqual(names, {"worker-0", "worker-1"})
        passing_tids = worker_tids(self.passing_record["output"])
        for moment in (first["first"], first["second"]):
            name = moment["label"].split()[0]
            self.assertEqual(moment["failing"]["tid"], tids[name])
            self.assertEqual(moment["passing"]["tid"], passing_tids[name])
            self.assertRegex(moment["failing"].get("python", ""), r"^race\.py:\d+ in ")
        # The run ahead got there first in the failing run, the other one in the passing run.
        self.assertLess(first["first"]["failing"]["event"], first["second"]["failing"]["event"])
        self.assertLess(first["second"]["passing"]["event"], first["first"]["passing"]["event"])
        self.assertEqual(first["failing_event"], first["first"]["failing"]["event"])
        text = pyreplay("diff", self.passing, self.failing, check=True).stdout
        self.assertIn("pyreplay replay %s --goto %d" % (self.failing, first["failing_event"]),
                      text)

    def test_goto_at_the_divergence_lands_in_a_racing_thread(self):
        diff = self.diff()
        event = diff["first"]["failing_event"]
        tids = worker_tids(self.failing_record["output"])
        proc = replay_batch(self.failing, ["when", "info threads"], extra=["--goto", str(event)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(whens(proc.stdout)[-1], event)
        current = re.search(r"^\* \d+\s+Thread \d+\.(\d+)", proc.stdout, re.M)
        self.assertIsNotNone(current, proc.stdout)
        self.assertIn(int(current.group(1)), tids.values())
        self.assertEqual(int(current.group(1)), diff["first"]["first"]["failing"]["tid"])

    def test_diff_bad_input(self):
        for args, pattern in (([self.passing, "/no/such/trace"], r"/no/such/trace: no such trace"),
                              ([self.failing, self.failing], r"are the same recording")):
            proc = pyreplay("diff", *args)
            self.assertNotEqual(proc.returncode, 0)
            self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
            self.assertRegex(proc.stderr, r"^pyreplay: error: .*" + pattern)
        self.assertEqual(pyreplay("diff", self.passing).returncode, 2)

    def test_diff_refuses_runs_of_different_programs(self):
        other = os.path.join(self.workdir, "other")
        pyreplay("record", "-o", other, "--", PYTHON, "-c", "print('other')", check=True)
        proc = pyreplay("diff", self.passing, other)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^pyreplay: error: these are runs of different programs")
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1)


class HuntEdgesTest(TempDirTestCase):
    """Programs that never or always fail, and bad input."""

    def script(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_a_program_that_never_fails_ends_after_its_tries(self):
        ok = self.script("never.py", "print('never fails')\n")
        out = os.path.join(self.workdir, "never")
        proc = pyreplay("hunt", "--tries", "3", "--no-deep", "-o", out, "--", PYTHON, ok)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("no failing run in 3 tries (3 tries, 0 failed", proc.stdout)
        self.assertIn("every run passed under chaos scheduling", proc.stdout)
        self.assertEqual(len(os.listdir(out)), 1)  # the one passing trace

    def test_a_program_that_always_fails_is_caught_on_the_first_try(self):
        bad = self.script("always.py", "import sys\nprint('always fails')\nsys.exit(3)\n")
        out = os.path.join(self.workdir, "always")
        proc = pyreplay("hunt", "--tries", "50", "--no-deep", "-o", out, "--", PYTHON, bad)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("caught a failing run on try 1 (exit status 3;", proc.stdout)
        self.assertIn("no passing run to compare with", proc.stdout)
        self.assertEqual(os.listdir(out), ["always-1"])
        self.assertEqual(hunt_record(os.path.join(out, "always-1"))["exit_code"], 3)

    def test_output_condition(self):
        prog = self.script("says.py", "print('Traceback (most recent call last): fake')\n")
        out = os.path.join(self.workdir, "says")
        proc = pyreplay("hunt", "--tries", "2", "--no-deep", "--until", "output~Traceback",
                        "-o", out, "--", PYTHON, prog)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("caught a failing run on try 1 (exit status 0;", proc.stdout)

    def test_ctrl_c_stops_cleanly_and_keeps_what_was_caught(self):
        slow = self.script("slow.py", "import time\ntime.sleep(0.3)\nprint('slow but fine')\n")
        out = os.path.join(self.workdir, "slow")
        env = dict(os.environ, NO_COLOR="1")
        proc = subprocess.Popen([PYREPLAY, "hunt", "--tries", "1000", "--jobs", "2", "--no-deep",
                                 "-o", out, "--", PYTHON, slow], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        for line in proc.stderr:
            if re.match(r"pyreplay: try \d+ passed", line):
                break
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (to the foreground group's leader)
        stdout, stderr = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, stdout + stderr)
        self.assertRegex(stdout, r"pyreplay: interrupted \(\d+ tries, 0 failed")
        self.assertIn("passing trace: ", stdout)
        self.assertEqual(len(os.listdir(out)), 1, os.listdir(out))  # running tries were removed
        kept = os.path.join(out, os.listdir(out)[0])
        self.assertEqual(hunt_record(kept)["role"], "passing")

    def test_ctrl_c_after_a_catch_keeps_it_and_exits_at_once(self):
        # Always fails: caught on try 1, then the hunt looks for a passing run. Ctrl-C then must
        # not start the deep index pass (a replay): it ends at once, keeping the catch.
        bad = self.script("fails-slowly.py",
                          "import sys, time\ntime.sleep(0.5)\nprint('fails')\nsys.exit(4)\n")
        out = os.path.join(self.workdir, "fails-slowly")
        env = dict(os.environ, NO_COLOR="1")
        proc = subprocess.Popen([PYREPLAY, "hunt", "--tries", "50", "-o", out, "--", PYTHON, bad],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            for line in proc.stderr:
                if re.match(r"pyreplay: try 1 FAILED", line):
                    break
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, stdout + stderr)
        self.assertIn("caught a failing run on try 1 (exit status 4;", stdout)
        self.assertIn("not indexed yet", stdout)
        kept = os.listdir(out)
        self.assertEqual(kept, ["fails-slowly-1"], kept)  # no try's private folder is left
        trace = os.path.join(out, kept[0])
        self.assertEqual(hunt_record(trace)["role"], "failing")
        # Indexed on first use instead.
        events = pyreplay("events", trace, "--json")
        self.assertEqual(events.returncode, 0, events.stderr)

    def test_a_trace_folder_someone_else_makes_is_left_alone(self):
        # A shim `rr` makes the -o folder (with a file in it) just before the real rr runs, as a
        # second hunt or a `record` into the same folder could. rr refuses it; it is not ours.
        shim_dir = os.path.join(self.workdir, "shim-bin")
        os.makedirs(shim_dir, exist_ok=True)
        shim = os.path.join(shim_dir, "rr")
        with open(shim, "w") as f:
            f.write('#!/bin/sh\nprev=""\nfor a in "$@"; do\n'
                    '  if [ "$prev" = "-o" ]; then mkdir -p "$a" && echo theirs > "$a/theirs"; fi\n'
                    '  prev="$a"\ndone\nexec %s "$@"\n' % shutil.which("rr"))
        os.chmod(shim, 0o755)
        ok = self.script("shimmed.py", "print('fine')\n")
        out = os.path.join(self.workdir, "shimmed")
        proc = pyreplay("hunt", "--tries", "3", "--no-deep", "-o", out, "--", PYTHON, ok,
                        env={"PATH": shim_dir + os.pathsep + os.environ["PATH"]})
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        self.assertRegex(proc.stderr, r"pyreplay: error: stopped the hunt: recording try 1 failed: "
                                      r"rr refused to record: its trace folder \S+ was made by "
                                      r"someone else .*left alone")
        self.assertIn("0 other traces deleted", proc.stdout)
        theirs = [os.path.join(root, "theirs") for root, _, files in os.walk(out)
                  if "theirs" in files]
        self.assertEqual(len(theirs), 1, list(os.walk(out)))
        with open(theirs[0]) as f:
            self.assertEqual(f.read(), "theirs\n")
        self.assertFalse([n for n in os.listdir(out) if n.startswith("shimmed-")])
        # Nor does a later hunt in the same folder sweep it away as an abandoned try.
        again = pyreplay("hunt", "--tries", "1", "--no-deep", "-o", out, "--", PYTHON, ok)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertNotIn("removed", again.stderr)
        with open(theirs[0]) as f:
            self.assertEqual(f.read(), "theirs\n")

    def test_a_killed_hunts_tries_are_removed_by_the_next_hunt_and_nothing_else(self):
        # Passes quickly until the marker exists; the tries started after it hang.
        marker = os.path.join(self.workdir, "hang-now")
        slow = self.script("killed.py", "import os, time\ntime.sleep(60 if os.path.exists(%r) "
                                        "else 0.2)\nprint('fine')\n" % marker)
        out = os.path.join(self.workdir, "killed")
        proc = subprocess.Popen([PYREPLAY, "hunt", "--tries", "1000", "--jobs", "2", "--no-deep",
                                 "-o", out, "--", PYTHON, slow], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ, NO_COLOR="1"))
        for line in proc.stderr:
            if re.match(r"pyreplay: try \d+ passed", line):
                break
        with open(marker, "w"):
            pass
        time.sleep(2)  # the tries already running end; the next ones hang
        # A crash, not Ctrl-C: the hunt dies with no chance to clean up. Its rr recordings, in
        # process groups of their own, record on until they are killed too.
        proc.kill()
        proc.wait(timeout=30)
        proc.stderr.close()
        for _ in range(100):
            recorders = [p for p in pids_mentioning(out) if process_runs(p)]
            if not recorders:
                break
            for pid in recorders:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        left = [n for n in os.listdir(out) if n.startswith(".hunt-")]
        self.assertTrue(left)
        # Beside them: a hidden folder that is no hunt's, one claimed by a hunt that still runs,
        # and one of a dead hunt whose rr still records (an orphan, as the hunt's were above).
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        foreign = os.path.join(out, ".hunt-not-a-hunts")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "mine"), "w") as f:
            f.write("mine\n")
        orphan = subprocess.Popen(["sleep", "60"])
        self.addCleanup(orphan.wait)
        self.addCleanup(orphan.kill)
        # And one whose rr started just before the hunt died, too soon to be noted: only its
        # command line names the folder.
        unnoted = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)",
                                    os.path.join(out, ".hunt-spawned-unnoted", "trace")])
        self.addCleanup(unnoted.wait)
        self.addCleanup(unnoted.kill)
        owners = {".hunt-of-a-live-hunt": "%d %s\n" % (os.getpid(), boot),
                  ".hunt-whose-rr-records": "%d %s\n%d\n" % (proc.pid, boot, orphan.pid),
                  ".hunt-spawned-unnoted": "%d %s\n" % (proc.pid, boot)}
        for name, text in owners.items():
            os.makedirs(os.path.join(out, name, "trace"))
            with open(os.path.join(out, name, "hunt-owner"), "w") as f:
                f.write(text)
        ok = self.script("after-kill.py", "print('fine')\n")
        again = pyreplay("hunt", "--tries", "1", "--no-deep", "-o", out, "--", PYTHON, ok)
        self.assertEqual(again.returncode, 1, again.stdout + again.stderr)
        self.assertRegex(again.stderr, r"pyreplay: removed %d unfinished try folders? \([\d.]+ [KM]?i?B\) "
                                       r"left by a hunt that was killed" % len(left))
        remaining = sorted(n for n in os.listdir(out) if n.startswith(".hunt-"))
        self.assertEqual(remaining, [".hunt-not-a-hunts", ".hunt-of-a-live-hunt",
                                     ".hunt-spawned-unnoted", ".hunt-whose-rr-records"])
        with open(os.path.join(foreign, "mine")) as f:
            self.assertEqual(f.read(), "mine\n")

    def test_no_rr_on_path_is_an_environment_error(self):
        ok = self.script("no-rr.py", "print('fine')\n")
        empty = os.path.join(self.workdir, "empty-bin")
        os.makedirs(empty, exist_ok=True)
        out = os.path.join(self.workdir, "no-rr")
        proc = pyreplay("hunt", "--tries", "3", "-o", out, "--", PYTHON, ok, env={"PATH": empty})
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertRegex(lines[0], r"^pyreplay: error: rr is not installed or not on PATH; "
                                   r"install it with `sudo apt-get install rr`")
        self.assertEqual(proc.stdout, "")
        help_text = pyreplay("hunt", "--help").stdout
        self.assertRegex(help_text, r"3 this machine stopped the hunt with nothing caught "
                                    r"\(rr missing or failing, disk full\)")

    def assertUsageError(self, args, pattern):
        proc = pyreplay("hunt", *args)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertRegex(lines[0], r"^pyreplay: error: " + pattern)

    def test_bad_input(self):
        out = os.path.join(self.workdir, "bad")
        self.assertUsageError(["-o", out, "--", "/no/such/program"], r"cannot hunt: .*/no/such")
        self.assertUsageError(["-o", out, "--", PYTHON, "/no/such/script.py"],
                              r"cannot hunt: the script /no/such/script.py does not exist")
        self.assertUsageError(["--tries", "0", "-o", out, "--", PYTHON, RACE],
                              r"--tries must be at least 1 \(got 0\)")
        self.assertUsageError(["--until", "exit>0", "-o", out, "--", PYTHON, RACE], r".*exit>0")
        self.assertUsageError(["--until", "output~(", "-o", out, "--", PYTHON, RACE], r".*")
        a_file = self.script("not-a-folder", "")
        self.assertUsageError(["-o", os.path.join(a_file, "traces"), "--", PYTHON, RACE],
                              r"cannot write traces to .*not-a-folder/traces")
        self.assertFalse(os.path.exists(out))

    def tmpfs(self, size):
        mount = tempfile.mkdtemp(prefix="hunt-tmpfs-", dir=self.workdir)
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", mount],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            self.fail("this test mounts a small tmpfs and must run as root: %s" % proc.stderr)
        self.addCleanup(subprocess.run, ["umount", mount])
        return mount

    def test_a_disk_that_fills_up_stops_the_hunt_and_keeps_the_catch(self):
        # The first run fails; the next ones (looking for a passing run) read 4 MiB of random
        # data, which rr must save, and the 2.5 MiB file system fills up under them.
        prog = self.script("fill.py", """import os, sys
marker = sys.argv[1]
if not os.path.exists(marker):
    open(marker, "w").close()
    print("fill: first run fails")
    sys.exit(1)
with open("/dev/urandom", "rb") as f:
    print("fill: read %d bytes" % len(f.read(4 << 20)))
""")
        mount = self.tmpfs("2500k")
        marker = os.path.join(self.workdir, "fill-marker")
        proc = pyreplay("hunt", "--tries", "10", "--no-deep", "--min-free", "0", "-o", mount,
                        "--", PYTHON, prog, marker)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("caught a failing run on try 1", proc.stdout)
        self.assertRegex(proc.stderr, r"pyreplay: error: stopped the hunt: the disk filled up "
                                      r"while recording try 2 in .*ENOSPC")
        self.assertEqual(os.listdir(mount), ["fill-1"])  # the partial trace is gone
        again = pyreplay("replay", os.path.join(mount, "fill-1"), "--autopilot", timeout=120)
        self.assertIn("fill: first run fails", again.stdout)

    def test_too_little_space_stops_before_recording(self):
        mount = self.tmpfs("1m")
        proc = pyreplay("hunt", "--tries", "10", "--no-deep", "-o", mount, "--", PYTHON, RACE)
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        self.assertRegex(proc.stderr, r"pyreplay: error: stopped the hunt: the disk is full: "
                                      r"only .* free in .*, and a trace needs about 16.0 MiB")
        self.assertEqual(os.listdir(mount), [])


if __name__ == "__main__":
    unittest.main()
