"""`pyreplay timeline`: the HTML page of each chapter session, opened in real headless Chromium.

Each session is recorded once. Its page is driven by playwright-core (npm, installed into
tests/e2e/timeline/node_modules on first run) in Debian's /usr/bin/chromium, through real mouse
clicks and the page's own hooks (window.pyreplayTimeline). Lanes and arrows are compared with the
index (the page's model, `--json`) and with the ground truth the recorded program wrote about
itself. Screenshots are saved beside the build as test artifacts.
"""

import json
import os
import shutil
import subprocess
import unittest
import xml.etree.ElementTree as ET

from harness import (PYREPLAY, REPO, TempDirTestCase, pyreplay, record_session, run,
                     session_line)

DRIVER_DIR = os.path.join(REPO, "tests", "e2e", "timeline")
CHROMIUM = os.environ.get("PYREPLAY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(PYREPLAY))),
                         "test-artifacts")


def ensure_driver():
    """Installs playwright-core for the driver (once), or fails saying what is missing."""
    if not os.path.exists(CHROMIUM):
        raise AssertionError("%s is missing: install Debian's chromium (scripts/setup.sh does, or "
                             "apt-get install -y chromium)" % CHROMIUM)
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise AssertionError("node and npm are needed to drive Chromium (playwright-core): "
                             "apt-get install -y nodejs npm (scripts/setup.sh does)")
    if not os.path.exists(os.path.join(DRIVER_DIR, "node_modules", "playwright-core")):
        proc = run(["npm", "install", "--no-audit", "--no-fund"], cwd=DRIVER_DIR, timeout=600)
        if proc.returncode != 0:
            raise AssertionError("npm install in %s failed:\n%s%s" %
                                 (DRIVER_DIR, proc.stdout, proc.stderr))


def drive(args, timeout=180):
    """Runs drive.js on a page and returns what it reported."""
    proc = run(["node", os.path.join(DRIVER_DIR, "drive.js"), json.dumps(args)], cwd=DRIVER_DIR,
               timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("drive.js failed:\n%s%s" % (proc.stdout, proc.stderr))
    return json.loads(proc.stdout.strip().splitlines()[-1])


class TimelineSessionsTest(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_driver()
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.sessions = {}
        for session in ("sockets", "threads"):
            rec = record_session(session, cls.workdir)
            cls.sessions[session] = rec
        # A mark on the sockets trace, at the main thread's connect, to see it drawn as a flag.
        # A trace with no index yet (`record` may have built one: remove it).
        index = os.path.join(cls.sessions["sockets"].trace_dir, "pyreplay", "index")
        if os.path.exists(index):
            os.remove(index)
        first = cls.timeline("sockets")
        cls.first_stderr = first["proc"].stderr
        connect = next(e for e in first["model"]["events"]
                       if e["kind"] == "connect" and e["tid"] == cls.sessions["sockets"].truth["main_tid"])
        pyreplay("marks", cls.sessions["sockets"].trace_dir, "add", "main-connect", "--event",
                 str(connect["n"]), "--note", "the chapter's s.connect </script>", check=True)
        # The deep index (one replay pass) adds Python locations and thread names to the page.
        pyreplay("index", cls.sessions["sockets"].trace_dir, "--deep", check=True, timeout=600)
        cls.sockets_model = cls.timeline("sockets")
        cls.threads_model = cls.timeline("threads")

    @classmethod
    def timeline(cls, session):
        rec = cls.sessions[session]
        html = os.path.join(cls.workdir, session + ".html")
        model = os.path.join(cls.workdir, session + ".json")
        svg = os.path.join(cls.workdir, session + ".svg")
        proc = pyreplay("timeline", rec.trace_dir, "-o", html, "--svg", svg, "--json", model,
                        check=True)
        with open(model) as f:
            data = json.load(f)
        return {"proc": proc, "html": html, "svg": svg, "model": data}

    # --- the page in Chromium ----------------------------------------------------------------------

    def check_page(self, session, built):
        rec = self.sessions[session]
        model = built["model"]
        connects = [e for e in model["events"] if e["kind"] == "connect"]
        report = drive({
            "page": built["html"],
            "screenshot": os.path.join(ARTIFACTS, "timeline-%s.png" % session),
            "click": [[e["n"], "connect"] for e in connects],
            "clickScreenshot": os.path.join(ARTIFACTS, "timeline-%s-click.png" % session),
            "clickMarks": [m["name"] for m in model["marks"]],
            "interact": {"filter": str(rec.truth["main_tid"])},
        })
        self.assertEqual(report["consoleErrors"], [], report["console"])
        self.assertEqual(report["pageErrors"], [])
        self.assertEqual(report["requests"], [], "the page fetched something")

        # Lanes: one per thread of the index, and the program's own threads are among them.
        self.assertEqual(report["laneCount"], len(model["threads"]))
        self.assertEqual(sorted(report["laneTids"]), sorted(t["tid"] for t in model["threads"]))
        truth_tids = {t["tid"] for t in rec.truth["threads"]} | {rec.truth["main_tid"]}
        lanes_of_program = {t["tid"] for t in model["threads"] if t["pid"] == rec.truth["pid"]}
        self.assertEqual(lanes_of_program, truth_tids)

        # Arrows: one per paired connection; the program saw each of its connections accepted.
        pairs = [e for e in model["events"] if e["kind"] == "connect" and "peer" in e]
        self.assertEqual(report["arrowCount"], len(pairs))
        self.assertEqual(report["arrowCount"], len(rec.truth.get("accepts", [])))
        self.assertEqual(len(pairs), len(rec.truth["connections"]))
        by_local = {tuple(c["local"]): c for c in rec.truth["connections"]}
        for connect in pairs:
            accept = model["events"][connect["peer"]]
            self.assertEqual(accept["kind"], "accept")
            self.assertEqual(sorted(report["arrowPairs"]).count([connect["n"], accept["n"]]), 1)
            host, port = connect["local"].rsplit(":", 1)
            seen = by_local.get((host, int(port)))
            self.assertIsNotNone(seen, "connect %s is not one the program made" % connect["local"])
            self.assertEqual(connect["tid"], seen["tid"])

        # A real click on each connect shows its exact `pyr goto N`, and its addresses.
        self.assertEqual(len(report["clicks"]), len(connects))
        for click, connect in zip(report["clicks"], connects):
            self.assertEqual(click["command"], "pyr goto %d" % connect["n"], click)
            self.assertIn("pyr goto %d\n" % connect["n"], click["details"])
            self.assertIn(connect["local"], click["details"])
            self.assertIn(connect["remote"], click["details"])
            self.assertIn("pyr goto %d" % connect["n"], click["tooltip"] or "")
        if connects:
            self.assertEqual(report["arrowsWithoutConnects"], 0)
        self.assertEqual(report["filteredLanes"], 1)
        # The x axis: wall time since the start, then event numbers again.
        self.assertEqual(report["timeAxis"]["axis"], "time")
        self.assertTrue(report["timeAxis"]["tickLabels"], report["timeAxis"])
        for label in report["timeAxis"]["tickLabels"]:
            self.assertRegex(label, r"^\d+(\.\d)? (s|ms|\u00b5s)$")
        self.assertEqual(report["eventAxis"]["axis"], "event")
        for label in report["eventAxis"]["tickLabels"]:
            self.assertRegex(label, r"^\d+$")
        # On the time axis the connects stand in the order of their recorded times.
        xs = report["timeAxisX"]
        self.assertNotIn(None, xs)
        by_time = sorted(range(len(connects)), key=lambda i: connects[i]["t"])
        self.assertEqual([xs[i] for i in by_time], sorted(xs))
        self.assertTrue(os.path.getsize(report["screenshot"]) > 10000)
        return report

    def test_sockets_page(self):
        report = self.check_page("sockets", self.sockets_model)
        self.assertEqual(report["arrowCount"], 4)  # the main thread's and 3 client threads'
        self.assertEqual(report["markCount"], 1)
        self.assertIn("pyr goto @main-connect", report["markClicks"][0])
        self.assertIn("the chapter's s.connect </script>", report["markClicks"][0])
        # Deep-indexed: each connect's details name the line of the session that made it, and
        # the lanes carry the names the program gave its threads.
        model = self.sockets_model["model"]
        self.assertTrue(model["deep"])
        truth = self.sessions["sockets"].truth
        names = {t["tid"]: t["name"] for t in truth["threads"]}
        for lane in model["threads"]:
            if lane["tid"] in names:
                self.assertEqual(lane["name"], names[lane["tid"]])
        connects = [e for e in model["events"] if e["kind"] == "connect"]
        for click, connect in zip(report["clicks"], connects):
            main = connect["tid"] == truth["main_tid"]
            line = session_line("sockets", ".connect((", after="def main" if main else "def talk")
            self.assertIn("sockets.py:%d in %s" % (line, "main()" if main else "talk()"),
                          click["details"])

    def test_threads_page(self):
        report = self.check_page("threads", self.threads_model)
        self.assertEqual(report["arrowCount"], 0)
        self.assertEqual(report["processCount"], 1)
        # A real click on a thread creation shows its goto command too.
        created = [e for e in self.threads_model["model"]["events"] if e["kind"] == "thread"]
        self.assertTrue(created)
        click = drive({"page": self.threads_model["html"], "click": [[created[0]["n"], "thread"]]})
        self.assertEqual(click["clicks"][0]["command"], "pyr goto %d" % created[0]["n"])

    # --- the command --------------------------------------------------------------------------------

    def test_page_is_self_contained(self):
        with open(self.sockets_model["html"]) as f:
            html = f.read()
        for remote in ("http://", "https://", "<script src", "<link rel=\"stylesheet\""):
            self.assertNotIn(remote, html)
        self.assertNotIn("/*PYREPLAY_TIMELINE_DATA*/", html)
        # The note's "</script>" is escaped inside the inlined model.
        self.assertEqual(html.count("</script>"), 2)

    def test_svg(self):
        for session, built in (("sockets", self.sockets_model), ("threads", self.threads_model)):
            root = ET.parse(built["svg"]).getroot()
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
            text = "".join(root.itertext())
            for t in self.sessions[session].truth["threads"]:
                self.assertIn(str(t["tid"]), text)
            model = built["model"]
            pairs = sum(1 for e in model["events"] if e["kind"] == "connect" and "peer" in e)
            self.assertIn("%d threads, %d events, %d connections, %d marks" %
                          (len(model["threads"]), len(model["events"]), pairs, len(model["marks"])),
                          text)
        shutil.copy(self.sockets_model["svg"], os.path.join(ARTIFACTS, "timeline-sockets.svg"))

    def test_missing_index_is_built_first(self):
        # The first timeline of a fresh recording found no index, built it and said so.
        self.assertIn("built the event index first", self.first_stderr)
        self.assertTrue(os.path.exists(os.path.join(self.sessions["sockets"].trace_dir,
                                                    "pyreplay", "index")))

    def test_unwritable_output(self):
        trace = self.sessions["sockets"].trace_dir
        blocker = os.path.join(self.workdir, "a-file")
        with open(blocker, "w") as f:
            f.write("x")
        for target in (os.path.join(blocker, "t.html"), self.workdir, "/proc/t.html"):
            proc = pyreplay("timeline", trace, "-o", target)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            self.assertTrue(lines[0].startswith("pyreplay: error: cannot write the timeline to "),
                            lines[0])
            self.assertIn(target, lines[0])
            self.assertNotIn(".tmp-", lines[0])  # the file the user named, not our temp file
            self.assertEqual(proc.stdout, "")
        for target in (os.path.join(blocker, "t.svg"),):
            proc = pyreplay("timeline", trace, "--svg", target)
            self.assertEqual(proc.returncode, 1)
            self.assertIn("cannot write the timeline to " + target, proc.stderr)

    def test_bad_trace_and_no_output(self):
        proc = pyreplay("timeline", os.path.join(self.workdir, "no-such-trace"), "-o",
                        os.path.join(self.workdir, "x.html"))
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("no-such-trace", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "x.html")))
        proc = pyreplay("timeline", self.sessions["sockets"].trace_dir)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("-o FILE.html", proc.stderr)


if __name__ == "__main__":
    unittest.main()
