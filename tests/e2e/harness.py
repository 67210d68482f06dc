"""Helpers for end-to-end tests: record real programs with pyreplay/rr, replay them in gdb.

Nothing here mocks rr or gdb. Ground truth comes from the recorded programs themselves (see
scripts/sessions/ground_truth.py).
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYREPLAY = os.environ.get("PYREPLAY_BIN") or os.path.join(REPO, "build", "bin", "pyreplay")


def _test_python():
    """The interpreter the tests record: $PYREPLAY_TEST_PYTHON, else this release's Debian
    python3, the file /usr/bin/python3 links to (3.11 on Debian 12, 3.13 on Debian 13, 3.14 on
    unstable)."""
    chosen = os.environ.get("PYREPLAY_TEST_PYTHON")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise SystemExit("PYREPLAY_TEST_PYTHON=%s is not an executable file" % chosen)
        return chosen
    release = os.path.realpath("/usr/bin/python3")
    if not re.fullmatch(r"/usr/bin/python3\.\d+", release):
        raise SystemExit("/usr/bin/python3 is not Debian's python3.X (it is %s): set "
                         "PYREPLAY_TEST_PYTHON to the interpreter the tests should record"
                         % release)
    return release


PYTHON = _test_python()
SESSIONS = os.path.join(REPO, "scripts", "sessions")


def run(args, timeout=300, env=None, check=False, input=None, cwd=None):
    """Runs a command, returning CompletedProcess with text stdout/stderr."""
    full_env = dict(os.environ)
    full_env.setdefault("NO_COLOR", "1")
    if env:
        full_env.update(env)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=full_env,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL,
                          cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError("%s exited %d\nstdout:\n%s\nstderr:\n%s" %
                             (args, proc.returncode, proc.stdout, proc.stderr))
    return proc


def pyreplay(*args, **kwargs):
    return run([PYREPLAY] + list(args), **kwargs)


class Recording:
    """A trace recorded for a test, with the ground truth its program wrote."""

    def __init__(self, trace_dir, truth, proc):
        self.trace_dir = trace_dir
        self.truth = truth
        self.proc = proc


def record_session(session, workdir, name=None):
    """Records a chapter session into workdir and returns a Recording."""
    truth_file = os.path.join(workdir, "%s-truth.json" % (name or session))
    trace_dir = os.path.join(workdir, name or session)
    proc = pyreplay("record", "--session", session, "--python", PYTHON, "-o", trace_dir,
                    "--ground-truth", truth_file, check=True)
    with open(truth_file) as f:
        truth = json.load(f)
    return Recording(trace_dir, truth, proc)


def record_program(argv, workdir, name, env=None):
    """Records any program (argv after --) into workdir/name. Its truth file is workdir/name-truth.json."""
    truth_file = os.path.join(workdir, "%s-truth.json" % name)
    trace_dir = os.path.join(workdir, name)
    env = dict(env or {})
    env["PYREPLAY_GROUND_TRUTH"] = truth_file
    proc = pyreplay("record", "-o", trace_dir, "--", *argv, env=env)
    truth = None
    if os.path.exists(truth_file):
        with open(truth_file) as f:
            truth = json.load(f)
    return Recording(trace_dir, truth, proc)


def only_event(events, kind, tid, **match):
    """The one event of `events` (`pyreplay events --json`) of `kind` in thread `tid` whose fields
    equal `match`; fails unless there is exactly one."""
    found = [e for e in events if e["kind"] == kind and e["tid"] == tid and
             all(e[k] == v for k, v in match.items())]
    if len(found) != 1:
        raise AssertionError("expected one %s of thread %d with %r, found %r" %
                             (kind, tid, match, found))
    return found[0]


def replay_batch(trace_dir, commands, timeout=180, extra=(), env=None):
    """Replays in gdb (batch mode), running `commands` once connected. Returns CompletedProcess."""
    args = ["replay", trace_dir, "--batch"]
    for c in commands:
        args += ["-ex", c]
    args += list(extra)
    return pyreplay(*args, timeout=timeout, env=env)


def whens(output):
    """The event numbers (rr's frame times) that gdb's `when` printed, in order. rr 5.6/5.7
    print "Current event: T"; rr 5.8+ print "Completed event: T-1" for the same stop."""
    return [int(n) + (1 if kind == "Completed" else 0)
            for kind, n in re.findall(r"^(Current|Completed) event: (\d+)$", output, re.M)]


def session_line(session, needle, after=None):
    """The 1-based line of `needle` in a session script (the first one after the line holding
    `after`, when given): ground truth from the source text."""
    seen_after = after is None
    with open(os.path.join(SESSIONS, session + ".py")) as f:
        for number, line in enumerate(f, 1):
            seen_after = seen_after or after in line
            if seen_after and needle in line:
                return number
    raise AssertionError("%r not in %s.py" % (needle, session))


class TempDirTestCase(unittest.TestCase):
    """A test case with a fresh temporary folder per class, removed afterwards."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="pyreplay-e2e-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.workdir, ignore_errors=True)
