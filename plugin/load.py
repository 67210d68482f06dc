"""Loads the pyreplay plugin into gdb.

`pyreplay replay` runs this with `-x`. In a plain `rr replay` session, load it by hand:

    (gdb) source /path/to/lib/pyreplay/load.py

It puts its own folder on sys.path (the pybind11 module `_pyreplay` and the `pyreplay_gdb`
package live beside it), registers the `pyr` commands, and sources CPython's python-gdb.py
(py-bt, py-list), which gdb's auto-load misses in a replay: gdb sees the trace's copy of
python3.11, not /usr/bin/python3.11.
"""

import os
import sys

import gdb

_here = os.path.dirname(os.path.realpath(os.path.abspath(__file__)))
# The build tree links this file from the source tree; the module sits in the folder we were
# loaded from, so prefer that (PYREPLAY_PLUGIN_DIR), then our real folder.
for _dir in (os.environ.get("PYREPLAY_PLUGIN_DIR"), os.path.dirname(os.path.abspath(__file__)), _here):
    if _dir and _dir not in sys.path:
        sys.path.insert(0, _dir)

import pyreplay_gdb  # noqa: E402

pyreplay_gdb.load()
