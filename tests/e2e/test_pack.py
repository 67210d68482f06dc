"""Sharing a trace: two colleagues on one machine, each with their own folder, HOME and USER.

Alice records the threads session, marks it and packs it. Bob unpacks it where gdb cannot see
Debian's debug symbols (PYREPLAY_SYSTEM_DEBUG_DIR points at an empty folder), replays it, sees
Alice's marks and Python stacks (proved to come from the bundled debug files: without them the
same replay cannot show them), marks it and packs it. Alice merges Bob's marks; both end with the
union. Then bad packs: flipped bytes, truncation, path escapes, a newer format, an existing target.
Expected Python lines come from the session script's text (harness.session_line).
"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import unittest

from harness import PYREPLAY, TempDirTestCase, pyreplay, session_line


def tree(folder):
    """Every path under `folder` (relative), for before/after comparisons."""
    out = set()
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(root, name), folder))
    return out


def zstd_tar(path, entries):
    """Writes a tar.zst at `path` from (TarInfo, bytes or None) pairs, compressed by `zstd`."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=buf.getvalue(), check=True)


def file_info(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info


def manifest(files, fmt=1):
    """A manifest in the pack's own layout, listing (path, bytes) pairs."""
    return (json.dumps({
        "pyreplay_pack": fmt, "created_by": "test", "trace_name": "evil",
        "files": [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(),
                   "kind": "trace"} for p, d in files]}, indent=1) + "\n").encode()


class Colleague:
    """One person: a folder with a HOME and a USER of their own."""

    def __init__(self, root, user):
        self.user = user
        self.dir = os.path.join(root, user)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.env = {"HOME": self.home, "USER": user, "LOGNAME": user,
                    "XDG_CACHE_HOME": os.path.join(self.home, ".cache")}

    def run(self, *args, check=True, timeout=300, env=None):
        full = dict(self.env)
        full.update(env or {})
        return pyreplay(*args, check=check, timeout=timeout, env=full, cwd=self.dir)

    def marks(self, trace):
        return json.loads(self.run("marks", trace, "list", "--json").stdout)


class PackTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.environ.pop("PYREPLAY_AUTHOR", None)  # authors come from each colleague's USER
        cls.alice = Colleague(cls.workdir, "alice")
        cls.bob = Colleague(cls.workdir, "bob")
        cls.a_trace = os.path.join(cls.alice.dir, "traces", "threads")
        cls.alice.run("record", "--session", "threads", "-o", cls.a_trace)
        events = json.loads(cls.alice.run("events", cls.a_trace, "--json").stdout)
        cls.events = [e["event"] for e in events]
        # A mark from the CLI, and one made in gdb where the new thread prints.
        cls.alice.run("marks", cls.a_trace, "add", "a-first", "--event", str(cls.events[0]),
                      "--note", "alice: the first indexed event")
        out = cls.alice.run("replay", cls.a_trace, "--batch", "-ex", "break builtin_print",
                            "-ex", "continue", "-ex", "pyr mark a-print alice: threadFunc prints")
        assert "Marked a-print" in out.stdout, out.stdout + out.stderr
        cls.pack = os.path.join(cls.alice.dir, "threads.pyrtrace")
        cls.pack_out = cls.alice.run("pack", cls.a_trace, "-o", cls.pack)
        with open(cls.pack, "rb") as f:
            cls.pack_bytes = f.read()

    def bob_env(self):
        empty = os.path.join(self.bob.dir, "no-debug-symbols")
        os.makedirs(empty, exist_ok=True)
        return {"PYREPLAY_SYSTEM_DEBUG_DIR": empty}

    def test_two_colleagues_share_marks_and_stacks(self):
        alice, bob = self.alice, self.bob
        # The pack names what it holds, without unpacking: command, debug files, marks, authors.
        info = alice.run("info", self.pack).stdout
        self.assertIn("threads.py", info)
        self.assertRegex(info, r"debug for: .*python3\.11")
        self.assertIn("a-first", info)
        self.assertIn("by alice", info)
        # Bob receives it in his own folder and unpacks it there.
        received = os.path.join(bob.dir, "threads.pyrtrace")
        shutil.copy(self.pack, received)
        b_trace = os.path.join(bob.dir, "traces", "threads")
        out = bob.run("unpack", received, "-o", b_trace).stdout
        self.assertIn("every SHA-256 verified", out)
        self.assertTrue(os.path.isdir(os.path.join(b_trace, "pyreplay", "debug", ".build-id")))

        # Bob replays without Debian's debug symbols: Alice's marks, and Python stacks.
        hello = session_line("threads", 'print("hello")')
        script = ["show auto-load safe-path", "show debug-file-directory", "pyr marks",
                  "pyr goto @a-print", "pyr bt", "py-bt",
                  "pyr mark b-print bob: same place, seen by bob"]
        args = ["replay", b_trace, "--batch"] + [a for c in script for a in ("-ex", c)]
        text = bob.run(*args, env=self.bob_env()).stdout
        # gdb looks in the bundle first, and trusts no script inside the received trace.
        safe = re.search(r"^List of directories from which it is safe to auto-load files is "
                         r"(.*)\.$", text, re.M)
        self.assertIsNotNone(safe, text[:3000])
        self.assertNotIn(b_trace, safe.group(1))
        self.assertRegex(text, r'debug symbols are searched for is "%s:' % re.escape(
            os.path.join(b_trace, "pyreplay", "debug")))
        self.assertIn("a-first", text)
        self.assertIn("alice: threadFunc prints", text)
        self.assertRegex(text, r"#0 \S*threads\.py:%d in threadFunc" % hello, text[-3000:])
        self.assertRegex(text, r'File "\S*threads\.py", line %d, in threadFunc' % hello)
        self.assertIn("Marked b-print", text)
        # The stacks came from the bundled debug files: hide them and the same replay fails.
        bundle = os.path.join(b_trace, "pyreplay", "debug")
        hidden = os.path.join(bob.dir, "hidden-debug")
        os.rename(bundle, hidden)
        try:
            # A cache of CPython's layout from Bob's earlier session would still decode frames;
            # without one, nothing on this machine has the symbols.
            blind = bob.run("replay", b_trace, "--batch", "-ex", "pyr goto @a-print", "-ex",
                            "pyr bt", "-ex", "py-bt", check=False,
                            env=dict(self.bob_env(),
                                     XDG_CACHE_HOME=os.path.join(bob.dir, "cache-blind")))
        finally:
            os.rename(hidden, bundle)
        blind_text = blind.stdout + blind.stderr
        # Without debug info pyr bt falls back to the table of Debian's 3.11.2 offsets (checked
        # against python3.11-dbg by the unit tests) and says so; CPython's py-bt cannot.
        self.assertIn("no CPython debug info for this interpreter", blind_text)
        self.assertRegex(blind_text, r"threads\.py:%d in threadFunc" % hello)
        self.assertNotRegex(blind_text, r'File "\S*threads\.py", line %d' % hello)

        # Bob adds a mark from the CLI too, and packs for Alice.
        bob.run("marks", b_trace, "add", "b-last", "--event", str(self.events[-1]),
                "--note", "bob: the last indexed event")
        # Bob has no debug symbols of his own: his pack carries Alice's bundle on.
        from_bob = os.path.join(bob.dir, "from-bob.pyrtrace")
        bob.run("pack", b_trace, "-o", from_bob, env=self.bob_env())
        bob_info = bob.run("info", from_bob).stdout
        self.assertIn("by bob", bob_info)
        self.assertRegex(bob_info, r"debug for: .*python3\.11")

        # Alice merges Bob's marks straight from his pack.
        report = json.loads(alice.run("marks", self.a_trace, "merge", from_bob, "--json").stdout)
        self.assertEqual((report["added"], report["unchanged"], report["conflicts"]), (2, 2, []))
        a_marks, b_marks = alice.marks(self.a_trace), bob.marks(b_trace)
        self.assertEqual({m["id"]: m for m in a_marks}, {m["id"]: m for m in b_marks})
        self.assertEqual(sorted((m["name"], m["author"]) for m in a_marks),
                         [("a-first", "alice"), ("a-print", "alice"), ("b-last", "bob"),
                          ("b-print", "bob")])
        # Merging again changes nothing.
        again = json.loads(alice.run("marks", self.a_trace, "merge", from_bob, "--json").stdout)
        self.assertEqual((again["added"], again["unchanged"]), (0, 4))
        self.assertEqual(alice.marks(self.a_trace), a_marks)
        # Alice's merged copy resolves Bob's mark in her own replay.
        out = alice.run("replay", self.a_trace, "--batch", "--goto", "@b-print", "-ex", "pyr bt")
        self.assertRegex(out.stdout, r"#0 \S*threads\.py:%d in threadFunc" % hello)

        # Export/import: Bob edits Alice's a-first note (same id, different content).
        exported = json.loads(bob.run("marks", b_trace, "export", "--json").stdout)
        self.assertEqual(exported, b_marks)
        for m in exported:
            if m["name"] == "a-first":
                m["note"], m["author"] = "bob: actually the thread starts later", "bob"
        edited = os.path.join(bob.dir, "edited.json")
        with open(edited, "w") as f:
            json.dump(exported, f)
        report = alice.run("marks", self.a_trace, "import", edited).stdout
        self.assertRegex(report, r"a-first \(id \w+\): kept alice's version; bob's version kept too")
        both = [m for m in alice.marks(self.a_trace) if m["name"] == "a-first"]
        self.assertEqual(sorted(m["author"] for m in both), ["alice", "bob"])
        report = json.loads(alice.run("marks", self.a_trace, "import", edited, "--json").stdout)
        self.assertEqual(report["added"], 0)
        self.assertTrue(report["conflicts"][0]["already_merged"])
        self.assertEqual(len(alice.marks(self.a_trace)), 5)
        # A plain round trip: export from Alice, import into a fresh copy of Bob's trace.
        copy = os.path.join(bob.dir, "traces", "roundtrip")
        bob.run("unpack", received, "-o", copy)
        a_export = alice.run("marks", self.a_trace, "export", "--json", "-o",
                             os.path.join(alice.dir, "a.json"))
        self.assertEqual(a_export.stdout, "")
        bob.run("marks", copy, "import", os.path.join(alice.dir, "a.json"), "--json")
        self.assertEqual({m["id"]: m for m in bob.marks(copy)},
                         {m["id"]: m for m in alice.marks(self.a_trace)})

    def test_packing_twice_gives_the_same_bytes(self):
        # (Runs before the story test, which merges into Alice's trace: unittest sorts by name.)
        again = os.path.join(self.alice.dir, "again.pyrtrace")
        self.alice.run("pack", self.a_trace, "-o", again)
        with open(again, "rb") as f:
            self.assertTrue(f.read() == self.pack_bytes, "packing twice gave different bytes")
        os.remove(again)

    def test_info_json_describes_the_pack(self):
        info = json.loads(self.alice.run("info", self.pack, "--json").stdout)
        self.assertEqual(info["pack"], self.pack)
        self.assertEqual(info["format"], 1)
        self.assertEqual(info["trace_name"], "threads")
        self.assertTrue(info["created_by"].startswith("pyreplay"), info["created_by"])
        self.assertEqual(info["pack_bytes"], len(self.pack_bytes))
        self.assertTrue(info["verified"])
        self.assertEqual(info["unpacked_bytes"], sum(f["size"] for f in info["files"]))
        self.assertGreater(info["unpacked_bytes"], info["pack_bytes"])
        kinds = {f["path"]: f["kind"] for f in info["files"]}
        self.assertEqual(kinds["version"], "trace")
        self.assertEqual(kinds["pyreplay/meta.json"], "sidecar")
        self.assertTrue(any(k == "debug" for k in kinds.values()), kinds)
        self.assertTrue(any(a.endswith("threads.py") for a in info["recording"]["command"]))
        # The rr that recorded it, as rr itself says (`rr --version`), and its trace format (the
        # first line of rr's version file); same rr here, so nothing to warn about.
        import subprocess
        rr = subprocess.run(["rr", "--version"], capture_output=True, text=True).stdout.split()[2]
        with open(os.path.join(self.a_trace, "version"), "rb") as f:
            trace_format = int(f.readline())
        self.assertEqual(info["rr"]["recorded_with"], rr)
        self.assertEqual(info["rr"]["trace_format"], trace_format)
        self.assertEqual(info["rr"]["installed"], rr)
        self.assertEqual(info["rr"]["note"], "")
        self.assertIn("rr:        recorded with rr %s (trace format %d); this machine has rr %s"
                      % (rr, trace_format, rr), self.alice.run("info", self.pack).stdout)
        trace_info = json.loads(self.alice.run("info", self.a_trace, "--json").stdout)
        self.assertEqual(info["recording"]["rr_version"], trace_info["rr_version"])
        self.assertEqual(info["recording"]["command"], trace_info["command"])
        self.assertEqual(sorted((m["name"], m["author"]) for m in info["marks"]),
                         [("a-first", "alice"), ("a-print", "alice")])
        self.assertIn("verified:  every byte", self.alice.run("info", self.pack).stdout)

    def test_progress_bar_only_on_a_terminal(self):
        # (Before the story test, which changes Alice's marks and so her pack's bytes.)
        import pty
        env = dict(os.environ, NO_COLOR="1", **self.alice.env)
        on_tty = os.path.join(self.alice.dir, "tty.pyrtrace")
        master, slave = pty.openpty()
        proc = subprocess.Popen([PYREPLAY, "pack", self.a_trace, "-o", on_tty], stdin=slave,
                                stdout=slave, stderr=slave, env=env, cwd=self.alice.dir)
        os.close(slave)
        screen = b""
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the pack command closed its terminal
                break
            if not data:
                break
            screen += data
        os.close(master)
        self.assertEqual(proc.wait(timeout=300), 0, screen)
        self.assertRegex(screen, rb"\r\x1b\[Kpacking \[#* *\] +\d+%")
        piped = os.path.join(self.alice.dir, "piped.pyrtrace")
        out = self.alice.run("pack", self.a_trace, "-o", piped)
        self.assertNotIn("packing [", out.stderr + out.stdout)
        self.assertNotIn("\r", out.stderr + out.stdout)
        for path in (on_tty, piped):
            with open(path, "rb") as f:
                self.assertTrue(f.read() == self.pack_bytes, "%s differs" % path)
            os.remove(path)

    # --- bad packs ---------------------------------------------------------------------------

    def test_damaged_pack_is_refused_by_merge_and_info(self):
        data = bytearray(self.pack_bytes)
        data[3000] ^= 0x20  # past the manifest, meta and marks: only the closing digest tells
        path = self.write("flip-3000-merge.pyrtrace", bytes(data))
        before = self.alice.marks(self.a_trace)
        for args in (["marks", self.a_trace, "merge", path], ["info", path],
                     ["info", path, "--json"]):
            with self.subTest(args=args[0]):
                proc = self.alice.run(*args, check=False)
                self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
                lines = proc.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, proc.stderr)
                self.assertRegex(lines[0], r"^pyreplay: error: %s is damaged or was tampered "
                                           r"with: " % re.escape(path))
                self.assertEqual(proc.stdout, "")
        self.assertEqual(self.alice.marks(self.a_trace), before)
        os.remove(path)


    def rejected(self, pack, expect, target_name="out"):
        """Unpacks `pack` into a fresh folder; asserts one error line naming `expect` and that
        nothing was written beside it."""
        parent = os.path.join(self.workdir, "bad-" + os.path.basename(pack))
        os.makedirs(parent)
        before = tree(parent)
        outside = tree(self.workdir) - {os.path.relpath(parent, self.workdir)}
        proc = pyreplay("unpack", pack, "-o", os.path.join(parent, target_name))
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("pyreplay: error: "), proc.stderr)
        self.assertRegex(lines[0], expect)
        self.assertEqual(tree(parent), before)
        self.assertEqual(tree(self.workdir) - {os.path.relpath(parent, self.workdir)}, outside)
        shutil.rmtree(parent)
        return lines[0]

    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_flipped_bytes_are_rejected(self):
        n = len(self.pack_bytes)
        for offset in (13, 600, n // 3, n // 2, n - 40, n - 1):
            with self.subTest(offset=offset):
                data = bytearray(self.pack_bytes)
                data[offset] ^= 0x20
                path = self.write("flip-%d.pyrtrace" % offset, bytes(data))
                self.rejected(path, re.escape(path))
                os.remove(path)

    def test_truncated_pack_is_rejected(self):
        n = len(self.pack_bytes)
        for size in (n // 2, n - 1):
            with self.subTest(size=size):
                path = self.write("cut-%d.pyrtrace" % size, self.pack_bytes[:size])
                self.rejected(path, re.escape(path) + ".*(truncated|damaged)")
                os.remove(path)

    def test_path_escapes_are_rejected(self):
        victim = os.path.join(self.workdir, "victim")
        payload = b"owned\n"
        cases = {
            "dotdot": [(file_info("../x", payload), payload)],
            "absolute": [(file_info(victim, payload), payload)],
        }
        link = tarfile.TarInfo("link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../.."
        cases["symlink"] = [(link, None), (file_info("link/x", payload), payload)]
        for name, entries in cases.items():
            with self.subTest(name):
                listed = [(i.name, d or b"") for i, d in entries if i.isfile()]
                pack = os.path.join(self.workdir, name + ".pyrtrace")
                zstd_tar(pack, [(file_info("pyreplay-pack.json", manifest(listed)),
                                 manifest(listed))] + entries)
                # Listed in the manifest: refused when the manifest is read.
                self.rejected(pack, re.escape(pack) + ".*(unsafe path|link)")
                # Not listed: refused at the entry itself.
                ok = [("version", b"85\n")]
                zstd_tar(pack, [(file_info("pyreplay-pack.json", manifest(ok)), manifest(ok)),
                                (file_info("version", b"85\n"), b"85\n")] + entries)
                self.rejected(pack, re.escape(pack) + ".*(unsafe path|link|not listed)")
                self.assertFalse(os.path.exists(victim))
                self.assertFalse(os.path.exists(os.path.join(self.workdir, "x")))
                os.remove(pack)

    def test_newer_format_is_a_clear_message(self):
        files = [("version", b"85\n")]
        pack = os.path.join(self.workdir, "future.pyrtrace")
        zstd_tar(pack, [(file_info("pyreplay-pack.json", manifest(files, fmt=7)),
                         manifest(files, fmt=7)), (file_info("version", b"85\n"), b"85\n")])
        line = self.rejected(pack, "made by a newer pyreplay")
        self.assertIn("pack format 7", line)
        self.assertIn("Upgrade pyreplay", line)
        info = pyreplay("info", pack)
        self.assertNotEqual(info.returncode, 0)
        self.assertIn("made by a newer pyreplay", info.stderr)

    def test_existing_trace_is_kept_without_force(self):
        target = os.path.join(self.workdir, "existing")
        pyreplay("unpack", self.pack, "-o", target, check=True)
        with open(os.path.join(target, "pyreplay", "note.txt"), "w") as f:
            f.write("mine\n")
        proc = pyreplay("unpack", self.pack, "-o", target)
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stderr, r"^pyreplay: error: .*existing already exists; pass --force")
        self.assertTrue(os.path.exists(os.path.join(target, "pyreplay", "note.txt")))
        out = pyreplay("unpack", self.pack, "-o", target, "--force", check=True).stdout
        self.assertIn("(replaced)", out)
        self.assertFalse(os.path.exists(os.path.join(target, "pyreplay", "note.txt")))
        # --force never replaces a folder that is not a trace.
        other = os.path.join(self.workdir, "not-a-trace")
        os.makedirs(other)
        with open(os.path.join(other, "keep.txt"), "w") as f:
            f.write("keep\n")
        proc = pyreplay("unpack", self.pack, "-o", other, "--force")
        self.assertIn("is not a trace folder", proc.stderr)
        self.assertEqual(os.listdir(other), ["keep.txt"])
        shutil.rmtree(target)
        shutil.rmtree(other)

    def test_bob_deep_indexes_with_the_bundled_debug_files_only(self):
        # The deep index reads CPython's layout from the debug info once per Python build: on
        # Bob's machine, without Debian's debug symbols, that must be the pack's bundle.
        bob = self.bob
        target = os.path.join(bob.dir, "traces", "threads-deep")
        bob.run("unpack", self.pack, "-o", target)
        cache = os.path.join(bob.dir, "cache-deep")  # empty: the pass must ask gdb
        env = dict(self.bob_env(), XDG_CACHE_HOME=cache)
        bob.run("index", "--deep", target, env=env, timeout=600)
        starts = [e for e in json.loads(bob.run("events", target, "--json", "--kind",
                                                "thread").stdout)]
        first = session_line("threads", "_thread.start_new_thread(threadFunc, ())")
        self.assertEqual(starts[0]["python"], "threads.py:%d in main()" % first)
        # The deep index travels: packed and unpacked again (new file times), it is still fresh.
        again_pack = os.path.join(bob.dir, "deep.pyrtrace")
        again = os.path.join(bob.dir, "traces", "threads-deep-again")
        bob.run("pack", target, "-o", again_pack, env=env)
        bob.run("unpack", again_pack, "-o", again)
        moved = bob.run("events", again, "--json", "--kind", "thread")
        self.assertNotIn("stale", moved.stderr)
        self.assertEqual(json.loads(moved.stdout)[0]["python"], "threads.py:%d in main()" % first)
        shutil.rmtree(again)
        # Hide the bundle too: now nothing has the symbols, and the pass uses the known 3.11
        # table instead: the same Python locations as the program's own lines.
        bundle = os.path.join(target, "pyreplay", "debug")
        os.rename(bundle, bundle + ".hidden")
        try:
            out = bob.run("index", "--deep", target, check=False, timeout=600,
                          env=dict(env, XDG_CACHE_HOME=os.path.join(bob.dir, "cache-deep-2")))
            self.assertEqual(out.returncode, 0, out.stderr)
            blind = json.loads(bob.run("events", target, "--json", "--kind", "thread").stdout)
            self.assertEqual(blind[0]["python"], "threads.py:%d in main()" % first)
        finally:
            os.rename(bundle + ".hidden", bundle)
        shutil.rmtree(target)


class MarksExchangeUsageTest(unittest.TestCase):
    """The usage lines of `marks TRACE merge|export|import` name the parent's TRACE."""

    def test_usage_lines_name_the_trace(self):
        for op, rest in (("merge", "[OPTIONS] SOURCE"), ("export", "[OPTIONS]"),
                         ("import", "[OPTIONS] FILE")):
            with self.subTest(op):
                proc = pyreplay("marks", "some-trace", op, "--help")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn("Usage: pyreplay marks TRACE %s %s\n" % (op, rest), proc.stdout)


if __name__ == "__main__":
    unittest.main()
