"""The event index on real traces: against the programs' own ground truth, and against `rr dump`.

Records the two chapter sessions and tests/e2e/programs/many_conns.py (threads, IPv4 and IPv6
connections, a forked child) once, then checks `pyreplay events --json` against what the programs
printed about themselves, and every indexed syscall frame against `rr dump`. SocketKindsTest
records tests/e2e/programs/socket_kinds.py (Unix stream sockets, a refused TCP connect, UDP),
whose addresses rr's socketAddrs do not hold. Bad input goes
through the CLI: one `pyreplay: error:` line, a non-zero exit, and no index left behind.
"""

import json
import os
import re
import shutil
import subprocess
import unittest

import harness

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
SYSCALLS = {"socket": 41, "connect": 42, "accept": 43, "bind": 49, "listen": 50, "accept4": 288}
NAMES = {v: k for k, v in SYSCALLS.items()}


def addr_text(pair):
    host, port = pair[0], pair[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def events_json(trace, *extra):
    proc = harness.pyreplay("events", trace, "--json", *extra, check=True)
    return json.loads(proc.stdout)


def rr_dump_frames(trace):
    """{event: (tid, name, state, orig_rax)} for every frame `rr dump` prints."""
    proc = harness.run(["rr", "dump", trace], timeout=300, check=True)
    frames = {}
    head = re.compile(r"global_time:(\d+), event:`([^']*)'(?: \(state:(\w+)\))? tid:(\d+)")
    current = None
    for line in proc.stdout.splitlines():
        m = head.search(line)
        if m:
            event, what, state, tid = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
            name = what[len("SYSCALL: "):] if what.startswith("SYSCALL: ") else None
            current = event
            frames[event] = [tid, name, state, None]
            continue
        m = re.search(r"orig_rax:0x([0-9a-f]+)", line)
        if m and current is not None and frames[current][3] is None:
            frames[current][3] = int(m.group(1), 16)
    return frames


def as_nobody(*args):
    """Runs pyreplay ARGS as user nobody when we are root, whom file modes do not stop."""
    def drop():
        os.setgid(65534)
        os.setuid(65534)
    return subprocess.run([harness.PYREPLAY, *args], capture_output=True, text=True, timeout=60,
                          preexec_fn=drop if os.geteuid() == 0 else None,
                          env=dict(os.environ, NO_COLOR="1"))


class IndexTest(harness.TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.recordings = {
            "threads": harness.record_session("threads", cls.workdir),
            "sockets": harness.record_session("sockets", cls.workdir),
            "many_conns": harness.record_program(
                [harness.PYTHON, os.path.join(PROGRAMS, "many_conns.py"), "--threads", "6",
                 "--per-thread", "4"], cls.workdir, "many_conns"),
        }
        assert cls.recordings["many_conns"].truth, cls.recordings["many_conns"].proc.stderr
        cls.events = {name: events_json(r.trace_dir) for name, r in cls.recordings.items()}

    def test_record_built_the_index_and_says_how_many_events(self):
        for name, r in self.recordings.items():
            self.assertTrue(os.path.exists(os.path.join(r.trace_dir, "pyreplay", "index")), name)
            self.assertRegex(r.proc.stderr, r"\d+ events, indexed\. Next: pyreplay events ")
            info = json.loads(harness.pyreplay("info", r.trace_dir, "--json", check=True).stdout)
            self.assertEqual(info["index"], "fresh")
            self.assertGreater(info["events"], 100)

    def test_every_thread_the_program_created_appears(self):
        for name, r in self.recordings.items():
            events = self.events[name]
            created = {e["tid"]: e for e in events if e["kind"] in ("thread", "fork")}
            for thread in r.truth["threads"]:
                if thread["tid"] == r.truth["main_tid"]:
                    self.assertTrue(any(e["kind"] == "exec" and e["tid"] == thread["tid"]
                                        for e in events), (name, thread))
                    continue
                self.assertIn(thread["tid"], created, (name, thread))
                self.assertEqual(created[thread["tid"]]["kind"], "thread")
                self.assertEqual(created[thread["tid"]]["pid"], r.truth["pid"])
            # and nothing was invented: every created thread is one the program knew of
            known = {t["tid"] for t in r.truth["threads"]} | {
                c["tid"] for c in r.truth.get("connections", [])}
            for tid, e in created.items():
                if e["kind"] == "thread":
                    self.assertIn(tid, known, (name, e))

    def test_forked_child_is_a_process(self):
        events = self.events["many_conns"]
        for p in self.recordings["many_conns"].truth["processes"]:
            forks = [e for e in events if e["kind"] == "fork" and e["tid"] == p["pid"]]
            self.assertEqual(len(forks), 1, p)
            self.assertEqual(forks[0]["parent_tid"], self.recordings["many_conns"].truth["main_tid"])

    def test_every_connection_appears_with_the_addresses_the_program_printed(self):
        total = 0
        for name, r in self.recordings.items():
            events = self.events[name]
            by_event = {e["event"]: e for e in events}
            connects = [e for e in events if e["kind"] == "connect" and e["ok"]]
            for c in r.truth.get("connections", []):
                local, remote = addr_text(c["local"]), addr_text(c["remote"])
                found = [e for e in connects if e["tid"] == c["tid"] and e["local"]
                         and e["local"]["address"] == local and e["remote"]["address"] == remote]
                self.assertEqual(len(found), 1, (name, c, [e["details"] for e in connects]))
                peer = found[0]["peer"]
                self.assertIsNotNone(peer, (name, c))
                accept = by_event[peer["event"]]
                self.assertEqual(accept["kind"], "accept")
                self.assertEqual(accept["local"]["address"], remote)
                self.assertEqual(accept["remote"]["address"], local)
                truth_accepts = [a for a in r.truth.get("accepts", [])
                                 if addr_text(a["remote"]) == local]
                if truth_accepts:
                    self.assertEqual(accept["tid"], truth_accepts[0]["tid"])
                total += 1
            # every successful connect in the index is paired, both ways
            for e in connects:
                self.assertIsNotNone(e["peer"], (name, e))
                self.assertEqual(by_event[e["peer"]["event"]]["peer"]["event"], e["event"])
            self.assertEqual(len(connects), len(r.truth.get("connections", [])), name)
        self.assertGreaterEqual(total, 4 + 25)

    def test_listen_addresses(self):
        for name in ("sockets", "many_conns"):
            r = self.recordings[name]
            listens = r.truth["listen"]
            listens = [listens] if isinstance(listens[0], str) else listens
            indexed = {e["local"]["address"] for e in self.events[name]
                       if e["kind"] == "listen" and e["local"]}
            for listen in listens:
                self.assertIn(addr_text(listen), indexed, name)

    def test_every_indexed_syscall_matches_rr_dump_frame_by_frame(self):
        checked = 0
        for name, r in self.recordings.items():
            frames = rr_dump_frames(r.trace_dir)
            info = json.loads(harness.pyreplay("info", r.trace_dir, "--json", check=True).stdout)
            self.assertEqual(info["events"], len(frames), name)
            for e in self.events[name]:
                if "syscall" not in e:
                    continue
                tid, sys_name, state, orig_rax = frames[e["event"]]
                self.assertEqual(tid, e["tid"], (name, e))
                self.assertEqual(state, "ENTERING_SYSCALL", (name, e))
                self.assertEqual(sys_name, NAMES[e["syscall"]], (name, e))
                self.assertEqual(orig_rax, e["syscall"], (name, e))
                if e["exit_event"] is not None:
                    tid, sys_name, state, _ = frames[e["exit_event"]]
                    self.assertEqual(tid, e["tid"], (name, e))
                    self.assertEqual(state, "EXITING_SYSCALL", (name, e))
                    self.assertIn(sys_name, (NAMES[e["syscall"]], "restart_syscall"), (name, e))
                checked += 1
            # and no socket syscall frame of rr's is missing from the index
            indexed = {e["event"] for e in self.events[name] if "syscall" in e}
            for event, (tid, sys_name, state, _) in frames.items():
                if sys_name in SYSCALLS and state == "ENTERING_SYSCALL":
                    self.assertIn(event, indexed, (name, event, sys_name))
        self.assertGreater(checked, 50)

    def test_events_filters(self):
        r = self.recordings["sockets"]
        tid = r.truth["connections"][1]["tid"]
        only = events_json(r.trace_dir, "--kind", "connect", "--thread", str(tid))
        self.assertEqual([e["kind"] for e in only], ["connect"])
        first = only[0]["event"]
        ranged = events_json(r.trace_dir, "--from", str(first), "--to", str(first))
        self.assertTrue(all(e["event"] == first for e in ranged) and ranged)
        table = harness.pyreplay("events", r.trace_dir, "--kind", "connect", check=True).stdout
        c = r.truth["connections"][0]
        self.assertIn("%s -> %s fd " % (addr_text(c["local"]), addr_text(c["remote"])), table)
        bad = harness.pyreplay("events", r.trace_dir, "--kind", "bogus")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("unknown event kind", bad.stderr)

    def test_ls_lists_traces_newest_first(self):
        listed = json.loads(harness.pyreplay("ls", self.workdir, "--json", check=True).stdout)
        recorded = [t for t in listed if t["name"] in self.recordings]
        self.assertEqual([t["name"] for t in recorded], ["many_conns", "sockets", "threads"])
        self.assertTrue(all(t["events"] for t in recorded))
        table = harness.pyreplay("ls", self.workdir, check=True).stdout
        self.assertIn("many_conns", table)

    def test_ls_of_one_trace_of_a_file_and_of_an_empty_folder(self):
        r = self.recordings["sockets"]
        one = json.loads(harness.pyreplay("ls", r.trace_dir, "--json", check=True).stdout)
        self.assertEqual([t["name"] for t in one], ["sockets"])
        proc = harness.pyreplay("ls", os.path.join(r.trace_dir, "version"))
        self.assertEqual(proc.returncode, 2)
        self.assertRegex(proc.stderr.strip(), r"^pyreplay: error: .*/version: is not a folder")
        empty = os.path.join(self.workdir, "nothing-here")
        os.makedirs(empty, exist_ok=True)
        proc = harness.pyreplay("ls", empty, check=True)
        self.assertEqual(proc.stdout, "")
        self.assertRegex(proc.stderr,
                         r"nothing-here: no traces here; record one with `pyreplay record")
        self.assertEqual(json.loads(harness.pyreplay("ls", empty, "--json", check=True).stdout), [])

    def test_ls_columns_stay_aligned_with_long_names(self):
        long_name = self.copy_streams("a-trace-name-longer-than-any-column-width-x")
        rows = harness.pyreplay("ls", self.workdir, check=True).stdout.splitlines()
        header = rows[0]
        for column in ("EVENTS", "SIZE", "COMMAND"):
            end = header.index(column) + (len(column) if column != "COMMAND" else 0)
            for row in rows[1:]:
                if column == "COMMAND":
                    self.assertEqual(row[end - 2:end], "  ", (column, row))
                else:  # right-aligned: the cell ends where the heading ends
                    self.assertNotEqual(row[end - 1], " ", (column, row))
                    self.assertEqual(row[end:end + 2], "  ", (column, row))
        self.assertTrue(any(r.startswith(os.path.basename(long_name) + "  ") for r in rows[1:]))
        shutil.rmtree(long_name)

    def test_event_range_and_thread_mistakes_are_named(self):
        r = self.recordings["sockets"]
        cases = ((("--from", "2000", "--to", "10"), r"--from 2000 is after --to 10"),
                 (("--from", "-5"), r"--from: takes an event number \(0 or more\), not -5; see"),
                 (("--bogus",), r".*not expected: --bogus; see `pyreplay events --help`"))
        for args, pattern in cases:
            proc = harness.pyreplay("events", r.trace_dir, *args)
            self.assertEqual(proc.returncode, 2, (args, proc.stderr))
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertRegex(lines[0], r"^pyreplay: error: " + pattern)
        missing = max(t["tid"] for t in r.truth["threads"]) + 100000
        proc = harness.pyreplay("events", r.trace_dir, "--thread", str(missing), check=True)
        self.assertRegex(proc.stderr, r"no thread %d in .*; its threads are .*\b%d\b" % (
            missing, r.truth["main_tid"]))
        proc = harness.pyreplay("events", r.trace_dir, "--thread", str(r.truth["main_tid"]),
                                check=True)
        self.assertEqual(proc.stderr, "")

    def test_read_only_trace_is_indexed_but_says_the_index_is_not_kept(self):
        trace = self.copy_streams("read-only")
        os.chmod(self.workdir, 0o755)
        os.chmod(trace, 0o555)

        run = as_nobody
        try:
            proc = run("index", trace)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stdout, r"^Indexed .*read-only: \d+ events")
            self.assertRegex(proc.stderr, r"index not saved: the trace folder is not writable")
            info = json.loads(run("info", trace, "--json").stdout)
            self.assertEqual(info["index"],
                             "rebuilt (was missing), not saved: the trace folder is not writable")
            events = run("events", trace, "--json")
            self.assertEqual(json.loads(events.stdout), self.events["sockets"])
            self.assertFalse(os.path.exists(os.path.join(trace, "pyreplay")))
        finally:
            os.chmod(trace, 0o755)

    # -- bad input -------------------------------------------------------------------------------

    def copy_streams(self, name):
        """A minimal copy of a trace (version, events, tasks, data): all the index reads."""
        src = self.recordings["sockets"].trace_dir
        dst = os.path.join(self.workdir, name)
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(dst)
        for f in ("version", "events", "tasks", "data"):
            shutil.copyfile(os.path.join(src, f), os.path.join(dst, f))
        return dst

    def assert_clean_failure(self, trace, *, expect, args=("events",)):
        proc = harness.pyreplay(*args, trace, timeout=60)
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertTrue(lines[0].startswith("pyreplay: error: "), lines[0])
        self.assertRegex(lines[0], expect)
        if os.path.isdir(trace):
            self.assertFalse(os.path.exists(os.path.join(trace, "pyreplay", "index")))
            side = os.path.join(trace, "pyreplay")
            self.assertEqual(os.listdir(side) if os.path.isdir(side) else [], [])

    def test_truncated_streams(self):
        for stream in ("events", "tasks"):
            size = os.path.getsize(os.path.join(self.copy_streams("t"), stream))
            for keep in (5, 8, 100, size // 2, size - 1):
                trace = self.copy_streams("trunc")
                with open(os.path.join(trace, stream), "r+b") as f:
                    f.truncate(keep)
                for cmd in ("events", "index", "info"):
                    self.assert_clean_failure(trace, args=(cmd,),
                                              expect=r"/%s: chunk \d+ at byte \d+" % stream)

    def test_corrupt_brotli_block_and_wrong_chunk_size(self):
        trace = self.copy_streams("corrupt")
        path = os.path.join(trace, "events")
        data = bytearray(read_bytes(path))
        for i in range(40, 60):
            data[i] ^= 0xff
        write_bytes(path, bytes(data))
        self.assert_clean_failure(trace, expect=r"chunk 0 at byte 0: corrupt Brotli block")
        trace = self.copy_streams("wrongsize")
        path = os.path.join(trace, "events")
        data = bytearray(read_bytes(path))
        data[4:8] = (int.from_bytes(data[4:8], "little") + 7).to_bytes(4, "little")
        write_bytes(path, bytes(data))
        self.assert_clean_failure(trace, expect=r"chunk 0 at byte 0: .*wrong chunk size")

    def test_missing_empty_and_other_version(self):
        self.assert_clean_failure(os.path.join(self.workdir, "no-such-trace"), expect="no such trace")
        trace = self.copy_streams("missing")
        os.remove(os.path.join(trace, "events"))
        self.assert_clean_failure(trace, expect=r"events: No such file or directory")
        trace = self.copy_streams("empty")
        write_bytes(os.path.join(trace, "events"), b"")
        self.assert_clean_failure(trace, expect=r"events: empty stream")
        trace = self.copy_streams("emptyversion")
        write_bytes(os.path.join(trace, "version"), b"")
        self.assert_clean_failure(trace, expect=r"version: empty file")
        trace = self.copy_streams("version")
        path = os.path.join(trace, "version")
        data = read_bytes(path)
        write_bytes(path, b"86" + data[2:])
        self.assert_clean_failure(trace, expect=r"version 86, but pyreplay reads version 85")

    def test_stale_index_of_another_trace_is_rebuilt(self):
        trace = self.copy_streams("stale")
        other = self.recordings["threads"].trace_dir
        os.makedirs(os.path.join(trace, "pyreplay"))
        shutil.copyfile(os.path.join(other, "pyreplay", "index"),
                        os.path.join(trace, "pyreplay", "index"))
        info = json.loads(harness.pyreplay("info", trace, "--json", check=True).stdout)
        self.assertEqual(info["index"], "rebuilt (was stale)")
        self.assertEqual(events_json(trace), self.events["sockets"])
        info = json.loads(harness.pyreplay("info", trace, "--json", check=True).stdout)
        self.assertEqual(info["index"], "fresh")

    def test_unreadable_trace_directory(self):
        trace = self.copy_streams("unreadable")
        os.chmod(self.workdir, 0o755)
        os.chmod(trace, 0o700)

        for cmd in ("events", "info", "index"):
            proc = as_nobody(cmd, trace)
            self.assertNotEqual(proc.returncode, 0)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertRegex(lines[0], r"^pyreplay: error: .*(Permission denied|cannot open)")
        self.assertFalse(os.path.exists(os.path.join(trace, "pyreplay")))


def unix_text(name):
    """A Unix address as the program printed it ("" when unnamed), as the index writes it."""
    return name or "(unnamed)"


class SocketKindsTest(harness.TempDirTestCase):
    """Addresses that only the trace's data stream holds (accept's peer, getpeername's answer),
    and the ones no trace file holds, which must say how to get them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rec = harness.record_program(
            [harness.PYTHON, os.path.join(PROGRAMS, "socket_kinds.py")], cls.workdir,
            "socket_kinds")
        assert cls.rec.truth, cls.rec.proc.stderr
        cls.events = events_json(cls.rec.trace_dir)
        cls.table = harness.pyreplay("events", cls.rec.trace_dir, check=True).stdout

    def test_unix_accepts_carry_the_peer_the_kernel_reported(self):
        truth = self.rec.truth
        accepts = truth["unix_accepts"] + truth["abstract_accepts"]
        self.assertEqual(len(accepts), 4)
        self.assertIn("", [a["peer"] for a in accepts])       # unnamed peers
        self.assertIn(True, [a["peer"].startswith("/") for a in accepts])  # and a named one
        # One acceptor thread per server, accepting in the order it noted them.
        indexed = {}
        for e in self.events:
            if e["kind"] == "accept":
                indexed.setdefault(e["tid"], []).append(e)
        noted = {}
        for a in accepts:
            noted.setdefault(a["tid"], []).append(a)
        self.assertEqual(sorted(noted), sorted(indexed))
        for a, e in [pair for tid in noted for pair in zip(noted[tid], indexed[tid], strict=True)]:
            self.assertEqual(e["result"], a["fd"])
            self.assertEqual(e["fd"], a["listen_fd"])
            self.assertEqual(e["family"], 1)  # AF_UNIX
            self.assertEqual(e["remote"], {"address": unix_text(a["peer"]), "inferred": False,
                                           "source": "syscall"}, e)
            # The listener's own path is only in bind's argument.
            self.assertIsNone(e["local"])
            self.assertEqual(e["address_hint"], "pyreplay index --deep")
            self.assertIn("%s -> (address: pyreplay index --deep) fd %d new fd %d ok" % (
                unix_text(a["peer"]), a["listen_fd"], a["fd"]), e["details"])

    def test_unix_connects_are_named_by_getpeername_in_the_trace(self):
        connects = self.rec.truth["unix_connects"] + self.rec.truth["abstract_connects"]
        for c in connects:
            e = harness.only_event(self.events, "connect", c["tid"])
            self.assertEqual(e["fd"], c["fd"])
            self.assertTrue(e["ok"])
            self.assertEqual(e["remote"]["address"], c["path"], e)
            self.assertEqual(e["remote"]["source"], "inferred")  # from getpeername's frame
            if not c["local"]:
                self.assertEqual(e["local"]["address"], "(unnamed)")
            else:  # bound first: its address is in bind's argument
                self.assertIsNone(e["local"])
                self.assertTrue(e["details"].startswith("(address: pyreplay index --deep) -> "),
                                e)

    def test_refused_connect_has_its_errno_and_says_how_to_get_its_target(self):
        r = self.rec.truth["refused"][0]
        self.assertEqual(r["errno_name"], "ECONNREFUSED")
        e = harness.only_event(self.events, "connect", r["tid"], fd=r["fd"], result=-r["errno"])
        self.assertFalse(e["ok"])
        self.assertIsNone(e["remote"])
        self.assertEqual(e["address_hint"], "pyreplay index --deep")
        self.assertEqual(e["details"], "? -> (address: pyreplay index --deep) fd %d failed: "
                                       "ECONNREFUSED" % r["fd"])

    def test_udp_connect(self):
        u = self.rec.truth["udp"][0]
        e = harness.only_event(self.events, "connect", u["tid"], fd=u["fd"])
        self.assertEqual(e["type"], 2)  # SOCK_DGRAM
        self.assertTrue(e["ok"])
        self.assertEqual(e["remote"]["address"], addr_text(u["remote"]))
        binds = [b for b in self.events if b["kind"] == "bind" and b["fd"] == u["server_fd"]
                 and b["family"] == 2 and b["type"] == 2]
        self.assertEqual(len(binds), 1)
        self.assertIn("(address: pyreplay index --deep)", binds[0]["details"])

    def test_no_question_mark_where_the_trace_holds_the_answer(self):
        # Every accept's peer, and every connect's target the program asked getpeername for, is
        # known; an address no trace file holds says how to get it. Only a connect's own local
        # address (autobound, or bound through an argument) may stay "?".
        for e in self.events:
            if e["kind"] not in ("bind", "listen", "connect", "accept"):
                continue
            if e["kind"] == "accept":
                self.assertIsNotNone(e["remote"], e)
            if e["kind"] == "connect":
                self.assertTrue(e["details"].startswith("? -> ") or "?" not in e["details"], e)
                self.assertNotIn("-> ?", e["details"], e)
            else:
                self.assertNotIn("?", e["details"].replace("(address: pyreplay index --deep)",
                                                           ""), e)
        self.assertNotIn(" -> ? ", self.table)
        self.assertIn("(address: pyreplay index --deep)", self.table)
        # The index's view of every socket syscall frame is rr's own.
        frames = rr_dump_frames(self.rec.trace_dir)
        for e in self.events:
            if "syscall" in e:
                self.assertEqual(frames[e["event"]][1], NAMES[e["syscall"]], e)


if __name__ == "__main__":
    unittest.main()
