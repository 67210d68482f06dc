"""Ground truth that a session writes about itself, for tests to compare the tool against.

A session records what it *itself* observed (native thread ids, socket addresses as the kernel
reported them to the program) and writes it as JSON to the file named by --ground-truth FILE or
$PYREPLAY_GROUND_TRUTH. Tests compare pyreplay's index and replays against this file, never
against pyreplay's own output.
"""

import json
import os
import sys
import threading

_lock = threading.Lock()


class GroundTruth:
    def __init__(self, session):
        self.data = {
            "session": session,
            "pid": os.getpid(),
            "main_tid": threading.get_native_id(),
            "threads": [],
            "connections": [],
        }

    def thread(self, name, **extra):
        """Notes the calling thread: its native id (the tid rr records) and its name."""
        with _lock:
            self.data["threads"].append({"name": name, "tid": threading.get_native_id(), **extra})

    def add(self, key, value):
        with _lock:
            self.data.setdefault(key, []).append(value)

    def write(self):
        path = _destination()
        if not path:
            return
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
        os.replace(tmp, path)


def _destination():
    argv = sys.argv[1:]
    if "--ground-truth" in argv:
        i = argv.index("--ground-truth")
        if i + 1 < len(argv):
            return argv[i + 1]
    return os.environ.get("PYREPLAY_GROUND_TRUTH")
