"""`cmake --install` gives a relocatable pyreplay that finds its own parts relative to itself."""

import os
import shutil
import subprocess
import unittest

import chapter
import harness


class InstallTest(harness.TempDirTestCase):
    def test_installed_pyreplay_records_and_replays_a_session(self):
        build_dir = os.path.dirname(os.path.dirname(harness.PYREPLAY))
        self.assertTrue(os.path.exists(os.path.join(build_dir, "CMakeCache.txt")), build_dir)
        prefix = os.path.join(self.workdir, "prefix")
        harness.run(["cmake", "--install", build_dir, "--prefix", prefix], check=True)
        # Move the whole install tree: nothing may depend on the path it was installed to.
        moved = os.path.join(self.workdir, "moved")
        shutil.move(prefix, moved)
        pyreplay = os.path.join(moved, "bin", "pyreplay")
        for part in ("lib/pyreplay/libpyreplay_nopmu.so", "lib/pyreplay/load.py",
                     "share/pyreplay/sessions/threads.py", "share/pyreplay/sessions/sockets.py"):
            self.assertTrue(os.path.exists(os.path.join(moved, part)), part)

        trace = os.path.join(self.workdir, "threads")
        truth = os.path.join(self.workdir, "truth.json")
        proc = harness.run([pyreplay, "record", "--session", "threads", "-o", trace,
                            "--ground-truth", truth], check=True)
        self.assertIn("Recorded", proc.stderr)
        self.assertTrue(os.path.exists(truth))
        proc = harness.run([pyreplay, "replay", trace, "--batch", "-ex", "help pyr",
                            "-ex", "break " + chapter.recorded_functions().thread_start,
                            "-ex", "continue",
                            "-ex", "when"], check=True)
        self.assertIn("pyreplay commands", proc.stdout)
        self.assertEqual(len(harness.whens(proc.stdout)), 1, proc.stdout)


if __name__ == "__main__":
    unittest.main()
