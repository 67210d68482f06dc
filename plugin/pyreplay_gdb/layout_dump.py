"""Prints CPython's layout for the deep index pass, from a binary gdb loaded without a process.

`pyreplay index --deep` runs this once per Python build (replay/deep_index/python_layout.cc) and
caches the answer by build-id; the pass itself then reads frames without gdb. The offsets come
from the same code `pyr bt` uses (stacks.layout_from_debug_info), so both views agree by construction.
"""

import json

import gdb

from . import stacks
from .core import PyrError


def _other_python():
    """The deep index's line for a CPython other than 3.11 whose Py_Version gdb can read (a
    static build; a shared one's is in libpython, which python_layout.cc tells by name), or None."""
    try:
        version = int(gdb.parse_and_eval("Py_Version"))
    except gdb.error:
        return None
    if version >> 16 == 0x030B:
        return None
    return ("this trace runs Python %d.%d; the deep index supports CPython 3.11 only (record "
            "with /usr/bin/python3.11)" % (version >> 24, (version >> 16) & 0xff))


def main():
    other = _other_python()
    if other:
        gdb.write("pyreplay-layout: error: %s\n" % other)
        return
    try:
        layout = stacks.layout_from_debug_info()
        head = int(gdb.parse_and_eval("(unsigned long)&_PyRuntime.interpreters.head"))
    except PyrError as e:
        gdb.write("pyreplay-layout: error: %s\n" % str(e).replace("pyr bt: ", "", 1))
        return
    except gdb.error as e:
        gdb.write("pyreplay-layout: error: cannot find CPython's runtime state: %s\n" % e)
        return
    gdb.write(json.dumps({"layout": layout, "interpreters_head": head}) + "\n")
