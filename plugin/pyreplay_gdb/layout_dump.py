"""Prints CPython's layout for the deep index pass, from a binary gdb loaded without a process.

`pyreplay index --deep` runs this once per Python build (replay/deep_index/python_layout.cc) and
caches the answer by build-id; the pass itself then reads frames without gdb. The offsets come
from the same code `pyr bt` uses (stacks.layout_from_debug_info), so both views agree by construction.
"""

import json

import gdb

from . import stacks
from .core import PyrError


def main():
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
