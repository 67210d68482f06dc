"""A program with a Python frame whose code object the stepper cannot decode.

`victim`'s code object gets an int where its co_filename (a str) belongs. CPython never reads
co_filename while the function runs, so the program runs normally; a debugger that decodes the
frame finds no file name and must say so instead of guessing. The field is found by its value
(the address of the real file-name string) inside the code object, not by a hard-coded offset.
"""

import ctypes
import os
import sys


def victim():
    os.getppid()  # @victim_call
    x = 1
    return x + 1


def break_filename(code):
    here = ctypes.string_at(id(code), sys.getsizeof(code))
    want = id(code.co_filename).to_bytes(8, sys.byteorder)
    offsets = [i for i in range(0, len(here) - 7, 8) if here[i:i + 8] == want]
    if len(offsets) != 1:
        sys.exit("unreadable_code: co_filename found at %d places, not 1" % len(offsets))
    replacement = 12345678901234  # an int object: no str can be read from it
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(replacement))  # the code object now owns one
    ctypes.c_uint64.from_address(id(code) + offsets[0]).value = id(replacement)
    return replacement


KEEP = (victim.__code__.co_filename, break_filename(victim.__code__))
print("unreadable_code: victim returned %d" % victim())
