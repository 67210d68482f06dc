"""CPython sources in every replay (issue 10): `pyreplay sources`, `list` in gdb, `pyr list`, and
the recorded copies of the program's own .py files.

The sources are fetched for real from Debian's archive with apt-get source, once per test run,
into a cache shared by the tests here. apt runs on a private configuration (APT_CONFIG): a copy of
this machine's sources, private index and cache folders, so the tests never edit /etc/apt and
`--add-deb-src` is exercised for real. Expected text comes from the fetched C files and from the
recorded scripts themselves.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import chapter
import harness
from harness import pyreplay, replay_batch, session_line

WORKDIR = None
CACHE = None       # XDG_CACHE_HOME of the shared, fetched cache
APT_CONFIG = None  # the private apt configuration with this machine's sources
FETCH = None       # the CompletedProcess of the first `pyreplay sources`


def _system_apt_paths():
    out = subprocess.run(["apt-config", "shell", "L", "Dir::Etc::sourcelist/f", "P",
                          "Dir::Etc::sourceparts/d"], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "APT_CONFIG"},
                         check=True).stdout
    paths = dict(re.findall(r"^(\w)='([^']*)'$", out, re.M))
    return paths.get("L", ""), paths.get("P", "")


def private_apt(name, sources=None, copy_system=False):
    """Writes an apt configuration of its own under WORKDIR and returns its path."""
    root = os.path.join(WORKDIR, "apt-" + name)
    parts = os.path.join(root, "sources.list.d")
    for d in (parts, os.path.join(root, "lists", "partial"),
              os.path.join(root, "cache", "archives", "partial")):
        os.makedirs(d, exist_ok=True)
    list_file = os.path.join(root, "sources.list")
    open(list_file, "w").close()
    if copy_system:
        system_list, system_parts = _system_apt_paths()
        if os.path.isfile(system_list):
            shutil.copy(system_list, list_file)
        for path in glob.glob(os.path.join(system_parts, "*.sources")) + \
                glob.glob(os.path.join(system_parts, "*.list")):
            if os.path.basename(path) != "pyreplay-deb-src.sources":  # add it ourselves
                shutil.copy(path, parts)
    if sources:
        with open(os.path.join(parts, "test.sources"), "w") as f:
            f.write(sources)
    conf = os.path.join(root, "apt.conf")
    with open(conf, "w") as f:
        f.write('Dir::Etc::SourceList "%s";\nDir::Etc::SourceParts "%s";\n'
                'Dir::State::Lists "%s/lists";\nDir::Cache "%s/cache";\n'
                % (list_file, parts, root, root))
    return conf


def sources_cmd(*args, cache, apt_config, timeout=900):
    return pyreplay("sources", *args, timeout=timeout,
                    env={"XDG_CACHE_HOME": cache, "APT_CONFIG": apt_config})


def setUpModule():
    global WORKDIR, CACHE, APT_CONFIG, FETCH
    WORKDIR = tempfile.mkdtemp(prefix="pyreplay-e2e-sources-")
    CACHE = os.path.join(WORKDIR, "cache")
    APT_CONFIG = private_apt("machine", copy_system=True)
    FETCH = sources_cmd("--add-deb-src", cache=CACHE, apt_config=APT_CONFIG)


def tearDownModule():
    shutil.rmtree(WORKDIR, ignore_errors=True)


def fetched_tree():
    """The unpacked CPython tree in the shared cache (the test fails when the fetch did)."""
    if FETCH.returncode != 0:
        raise AssertionError("pyreplay sources failed:\n%s%s" % (FETCH.stdout, FETCH.stderr))
    match = re.search(r"^CPython sources of python3\.11 \S+.*: (/.*)$", FETCH.stdout, re.M)
    if not match:
        raise AssertionError("no source folder in: %r" % FETCH.stdout)
    return match.group(1)


def file_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def line_of(lines, needle):
    return next(n for n, text in enumerate(lines, 1) if needle in text)


class FetchTest(unittest.TestCase):
    def test_fetch_unpacks_patched_debian_source(self):
        tree = fetched_tree()
        for key in ("Python/thread_pthread.h", "Modules/socketmodule.c", "Modules/socketmodule.h"):
            self.assertTrue(os.path.isfile(os.path.join(tree, key)), key)
        # Debian's patches are applied: dpkg-source records them in .pc/applied-patches.
        self.assertTrue(os.path.isdir(os.path.join(tree, "debian", "patches")))
        with open(os.path.join(tree, ".pc", "applied-patches")) as f:
            self.assertGreater(len(f.read().split()), 5)
        installed = subprocess.run(["dpkg-query", "-W", "-f=${source:Version}", "python3.11"],
                                   capture_output=True, text=True, check=True).stdout
        used = re.search(r"^CPython sources of python3\.11 (\S+)", FETCH.stdout, re.M).group(1)
        if used != installed:
            # One line saying which version was used, and that line numbers may differ.
            notes = [l for l in FETCH.stderr.splitlines() if "not downloadable" in l]
            self.assertEqual(len(notes), 1, FETCH.stderr)
            self.assertIn(installed, notes[0])
            self.assertIn("using " + used, notes[0])
            self.assertIn("line numbers may differ slightly", notes[0])
        self.assertIn("added apt's deb-src entries", FETCH.stderr)

    def test_second_run_downloads_nothing(self):
        tree = fetched_tree()
        entry = os.path.dirname(tree)
        before = {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(entry, "*"))}
        # An apt configuration that cannot reach anything: a second run must not need it.
        offline = private_apt("offline-again", sources=UNREACHABLE_SOURCES)
        proc = sources_cmd(cache=CACHE, apt_config=offline)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("already cached, nothing downloaded", proc.stdout)
        self.assertIn(tree, proc.stdout)
        after = {p: os.stat(p).st_mtime_ns for p in glob.glob(os.path.join(entry, "*"))}
        self.assertEqual(before, after)

    def test_doctor_reports_sources(self):
        fetched_tree()
        proc = pyreplay("doctor", "--no-smoke", "--json", env={"XDG_CACHE_HOME": CACHE})
        checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
        self.assertEqual(checks["C sources"]["level"], "ok")
        self.assertIn(fetched_tree(), checks["C sources"]["detail"])
        empty = os.path.join(WORKDIR, "empty-cache")
        proc = pyreplay("doctor", "--no-smoke", "--json", env={"XDG_CACHE_HOME": empty})
        checks = {c["name"]: c for c in json.loads(proc.stdout)["checks"]}
        self.assertEqual(checks["C sources"]["level"], "warn")
        self.assertIn("pyreplay sources", checks["C sources"]["fix"])


UNREACHABLE_SOURCES = textwrap.dedent("""\
    Types: deb-src
    URIs: http://127.0.0.1:9/debian
    Suites: bookworm
    Components: main
    Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
    """)


class BadInputTest(unittest.TestCase):
    def test_no_deb_src_entry(self):
        conf = private_apt("no-deb-src")
        proc = sources_cmd(cache=os.path.join(WORKDIR, "c-nodebsrc"), apt_config=conf)
        self.assertEqual(proc.returncode, 1)
        err = proc.stderr.strip().splitlines()
        self.assertEqual(len(err), 1, proc.stderr)
        self.assertRegex(err[0], r"^pyreplay: error: apt has no deb-src entry.*"
                                 r"pyreplay sources --add-deb-src")

    def test_no_network_to_the_archive(self):
        conf = private_apt("unreachable", sources=UNREACHABLE_SOURCES)
        proc = sources_cmd(cache=os.path.join(WORKDIR, "c-offline"), apt_config=conf)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"pyreplay: error: cannot reach the Debian package archive "
                                      r"\(apt-get update: .*127\.0\.0\.1.*check the network")

    def test_interpreter_not_debians(self):
        fake = os.path.join(WORKDIR, "pyenv", "bin", "python3.11")
        os.makedirs(os.path.dirname(fake), exist_ok=True)
        shutil.copy("/usr/bin/python3.11", fake)
        proc = sources_cmd("--python", fake, cache=os.path.join(WORKDIR, "c-fake"),
                           apt_config=APT_CONFIG)
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"pyreplay: error: .*pyenv/bin/python3\.11 is not Debian's "
                                      r"interpreter.*record with /usr/bin/python3\.11.*directory")

    def test_corrupt_cache_is_detected_and_fetched_again(self):
        tree = fetched_tree()
        entry = os.path.dirname(tree)
        cache = os.path.join(WORKDIR, "c-corrupt")
        copy_entry = os.path.join(cache, "pyreplay", "cpython", os.path.basename(entry))
        shutil.copytree(entry, copy_entry, symlinks=True)
        copy_tree = os.path.join(copy_entry, os.path.basename(tree))
        socketmodule = os.path.join(copy_tree, "Modules", "socketmodule.c")
        with open(socketmodule) as f:
            original = f.read()
        with open(socketmodule, "w") as f:
            f.write(original[: len(original) // 2])  # truncated
        proc = sources_cmd(cache=cache, apt_config=APT_CONFIG)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stderr, r"the cached sources are corrupt \(Modules/socketmodule\.c .*"
                                      r"differs.*\); fetching them again")
        self.assertNotIn("already cached", proc.stdout)
        with open(socketmodule) as f:
            self.assertEqual(f.read(), original)
        # An interrupted fetch (no completion marker) is fetched again too.
        os.remove(os.path.join(copy_entry, "complete.json"))
        proc = sources_cmd(cache=cache, apt_config=APT_CONFIG)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("already cached", proc.stdout)
        self.assertTrue(os.path.exists(os.path.join(copy_entry, "complete.json")))
        proc = sources_cmd(cache=cache, apt_config=APT_CONFIG)
        self.assertIn("already cached", proc.stdout)


class ReplayWithSourcesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = os.path.join(WORKDIR, "traces")
        os.makedirs(cls.workdir, exist_ok=True)
        cls.threads = harness.record_session("threads", cls.workdir)
        cls.sockets = harness.record_session("sockets", cls.workdir)

    def replay(self, trace, commands):
        proc = replay_batch(trace, commands, env={"XDG_CACHE_HOME": CACHE})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_list_at_pythread_start_new_thread_shows_thread_pthread_h(self):
        """The acceptance test: break where threads start (PyThread_start_new_thread on 3.11),
        continue, list."""
        funcs = chapter.recorded_functions()
        c_lines = file_lines(os.path.join(fetched_tree(), "Python", "thread_pthread.h"))
        create = line_of(c_lines, funcs.thread_start_creates)
        out = self.replay(self.threads.trace_dir,
                          ["break " + funcs.thread_start, "continue", "list", "list", "list",
                           "list"])
        self.assertNotIn("No such file or directory", out)
        stop = int(re.search(r"at \.\./Python/thread_pthread\.h:(\d+)", out).group(1))
        # The first `list` is centred on the stop line, with the file's own text.
        self.assertRegex(out, r"(?m)^%d\t%s$" % (stop, re.escape(c_lines[stop - 1])))
        # Listing on reaches the line that creates the thread, as the chapter reads it.
        self.assertRegex(out, r"(?m)^%d\t%s$" % (create, re.escape(c_lines[create - 1])))
        self.assertGreater(create, stop)

    def test_pyr_list_at_connect_shows_python_and_socketmodule_lines(self):
        c_lines = file_lines(os.path.join(fetched_tree(), "Modules", "socketmodule.c"))
        py_line = session_line("sockets", 's.connect(("127.0.0.1", PORT))',
                               after="The chapter's two statements")
        # libc's connect(): the connect syscall of the chapter's s.connect() in the main thread.
        out = self.replay(self.sockets.trace_dir, ["break connect", "continue", "pyr list"])
        self.assertRegex(out, r"Python: \S*sockets\.py:%d, in main \(recorded copy\)" % py_line)
        self.assertRegex(out, r'(?m)^-> %d\s+s\.connect\(\("127\.0\.0\.1", PORT\)\)$' % py_line)
        match = re.search(r"(?m)^C: \.\./Modules/socketmodule\.c:(\d+), in (\w+)", out)
        self.assertIsNotNone(match, out)
        c_line = int(match.group(1))
        self.assertIn("connect(", c_lines[c_line - 1])
        self.assertRegex(out, r"(?m)^-> %d  %s$" % (c_line, re.escape(c_lines[c_line - 1].rstrip())))

    def test_tutorial_listings_socket_struct_and_method_table(self):
        tree = fetched_tree()
        header = file_lines(os.path.join(tree, "Modules", "socketmodule.h"))
        module = file_lines(os.path.join(tree, "Modules", "socketmodule.c"))
        connect = chapter.recorded_functions().socket_connect
        out = self.replay(self.sockets.trace_dir,
                          ["ptype PySocketSockObject", "pyr list PySocketSockObject",
                           "list " + connect, "pyr list sock_methods"])
        self.assertRegex(out, r"int sock_family;")
        struct_end = line_of(header, "} PySocketSockObject;")
        self.assertIn("Modules/socketmodule.h:%d, PySocketSockObject" % struct_end, out)
        self.assertRegex(out, r"(?m)^\s+%d  %s$" % (
            line_of(header, "SOCKET_T sock_fd;"),
            re.escape(header[line_of(header, "SOCKET_T sock_fd;") - 1].rstrip())))
        # 3.11 and 3.13: sock_connect(PySocketSockObject *s, ...); 3.14: (PyObject *self, ...).
        connect_def = next(n for n, text in enumerate(module, 1)
                           if re.match(r"sock_connect\((PySocketSockObject \*s|PyObject \*self), "
                                       r"PyObject \*addro\)$", text))
        self.assertRegex(out, r"(?m)^%d\t%s$" % (connect_def, re.escape(module[connect_def - 1])))
        table = line_of(module, "static PyMethodDef sock_methods[] = {")
        self.assertRegex(out, r"(?m)^-> %d  static PyMethodDef sock_methods\[\] = \{$" % table)

    def test_replay_without_sources_says_so(self):
        thread_start = chapter.recorded_functions().thread_start
        out = replay_batch(self.threads.trace_dir,
                           ["break " + thread_start, "continue", "pyr list"],
                           env={"XDG_CACHE_HOME": os.path.join(WORKDIR, "no-sources")}).stdout
        self.assertRegex(out, r"C: \.\./Python/thread_pthread\.h:\d+, in %s "
                              r"\(source not available: run `pyreplay sources`" % thread_start)


APP = '''\
import _thread
import helper

done = _thread.allocate_lock()
done.acquire()


def work():
    helper.note("worker ran")
    done.release()


_thread.start_new_thread(work, ())  # the line as recorded
done.acquire()
print("app done")
'''

HELPER = '''\
def note(message):
    print(message)
'''


class RecordedScriptTest(unittest.TestCase):
    """The trace keeps the script as it ran: pyr list and py-bt show that after edits."""

    @classmethod
    def setUpClass(cls):
        cls.project = os.path.join(WORKDIR, "project")
        os.makedirs(cls.project, exist_ok=True)
        cls.app = os.path.join(cls.project, "app.py")
        with open(cls.app, "w") as f:
            f.write(APP)
        with open(os.path.join(cls.project, "helper.py"), "w") as f:
            f.write(HELPER)
        cls.trace = os.path.join(WORKDIR, "app-trace")
        proc = pyreplay("record", "-o", cls.trace, "--", harness.PYTHON, "app.py", cwd=cls.project)
        assert proc.returncode == 0, proc.stderr
        assert "app done" in proc.stdout + proc.stderr, proc.stdout
        cls.line = APP.splitlines().index("_thread.start_new_thread(work, ())  # the line as recorded") + 1

    def listing(self):
        out = replay_batch(self.trace, ["break " + chapter.recorded_functions().thread_start,
                                        "continue", "pyr list", "py-bt"],
                           env={"XDG_CACHE_HOME": CACHE}).stdout
        return out

    def test_trace_keeps_script_and_siblings(self):
        with open(os.path.join(self.trace, "pyreplay", "sources", "manifest.json")) as f:
            manifest = json.load(f)
        paths = sorted(os.path.basename(e["path"]) for e in manifest["files"])
        self.assertEqual(paths, ["app.py", "helper.py"])

    def test_edited_then_deleted_script_still_lists_as_recorded(self):
        with open(self.app, "w") as f:
            f.write("# edited after recording\n" * 3 + APP.replace("the line as recorded",
                                                                    "EDITED"))
        out = self.listing()
        self.assertRegex(out, r"Python: %s:%d, in <module> \(recorded copy\)"
                         % (re.escape(self.app), self.line))
        self.assertRegex(out, r"(?m)^-> %d\s+_thread\.start_new_thread\(work, \(\)\)  "
                              r"# the line as recorded$" % self.line)
        self.assertNotIn("EDITED", out)
        # py-bt reads the recorded copy too.
        self.assertRegex(out, r"(?m)^\s+_thread\.start_new_thread\(work, \(\)\)  # the line as "
                              r"recorded$")
        self.assertRegex(out, r"C: \.\./Python/thread_pthread\.h:\d+, in %s"
                         % chapter.recorded_functions().thread_start)
        os.remove(self.app)
        out = self.listing()
        self.assertRegex(out, r"(?m)^-> %d\s+_thread\.start_new_thread\(work, \(\)\)  "
                              r"# the line as recorded$" % self.line)


if __name__ == "__main__":
    unittest.main()
