"""Where the chapter's C path goes on each CPython: the functions the e2e tests break on.

The chapter (README section 9) breaks on CPython's own C functions. Their names change between
versions (docs/CPYTHON.md, "The chapter's C path per version"), so a test asks this module for
the names that fit the interpreter it records, instead of spelling 3.11's:

    funcs = chapter.chapter_functions(chapter.recorded_python().version)
    replay_batch(trace, ["break " + funcs.thread_start, "continue", "bt"])

recorded_python() runs the interpreter the tests record (harness.PYTHON, which the test bed
sets through PYREPLAY_TEST_PYTHON) once, so the version comes from the program being recorded,
never from a file name.
"""

import collections
import functools
import re

import harness

# The interpreter as it reports itself: version (major, minor) and whether the GIL is on
# (False only on a free-threaded build with the GIL off).
Interpreter = collections.namedtuple("Interpreter", "path version gil_enabled debug_info")

# The C functions the chapter's steps go through on one version.
#   thread_start: every Python thread start stops here once, both `_thread.start_new_thread` (the
#     chapter's call) and `threading.Thread.start`, in the parent thread before pthread_create;
#   thread_start_file: the source file thread_start is defined in (for `list`);
#   thread_start_creates: the text of the line, a few lines into thread_start, that goes on to
#     create the thread (pthread_create itself on 3.11; on 3.13+ the call of the static helper
#     that calls it, which Debian's LTO build inlines away so gdb cannot break on it);
#   socket_init: `socket.socket(...)` (the type's tp_init);
#   socket_connect: `s.connect(addr)` (the method table's C function);
#   socket_connect_inner: the helper that makes the connect() syscall.
ChapterFunctions = collections.namedtuple(
    "ChapterFunctions",
    "thread_start thread_start_file thread_start_creates socket_init socket_connect "
    "socket_connect_inner")


def chapter_functions(version, debug_info=True):
    """The chapter's C functions on CPython `version` ((major, minor), 3.11 or later).

    Without debug info (a stripped interpreter) gdb knows only the exported functions (the
    dynamic symbol table): the thread start and the eval loop are exported, the socket module's
    functions are static, so the socket steps break on libc's `socket` and `connect` instead.
    """
    if tuple(version) < (3, 11):
        raise ValueError("the chapter's C path is known from CPython 3.11 on, not %r" % (version,))
    if tuple(version) < (3, 13):
        # 3.11, 3.12: _thread.start_new_thread (and threading, which uses it) calls
        # PyThread_start_new_thread, whose body calls pthread_create.
        thread_start, creates = "PyThread_start_new_thread", "pthread_create(&th"
    else:
        # 3.13+: both go through ThreadHandle_start -> PyThread_start_joinable_thread ->
        # do_start_joinable_thread, whose body calls pthread_create. Debian's LTO build inlines
        # do_start_joinable_thread ("Function not defined" in gdb), so break on its caller.
        # PyThread_start_new_thread still exists, but nothing in the interpreter calls it.
        thread_start = "PyThread_start_joinable_thread"
        creates = "do_start_joinable_thread(func, arg, &th)"
    if debug_info:
        socket_init, socket_connect, socket_connect_inner = (
            "sock_initobj", "sock_connect", "internal_connect")
    else:
        socket_init, socket_connect, socket_connect_inner = "socket", "connect", "connect"
    return ChapterFunctions(thread_start=thread_start,
                            thread_start_file="Python/thread_pthread.h",
                            thread_start_creates=creates,
                            socket_init=socket_init,
                            socket_connect=socket_connect,
                            socket_connect_inner=socket_connect_inner)


@functools.lru_cache(maxsize=None)
def recorded_python(path=None):
    """The interpreter the tests record (harness.PYTHON unless `path`), as it reports itself."""
    path = path or harness.PYTHON
    proc = harness.run([path, "-c",
                        "import sys; print(*sys.version_info[:2], "
                        "sys._is_gil_enabled() if hasattr(sys, '_is_gil_enabled') else True)"],
                       timeout=60, check=True)
    major, minor, gil = proc.stdout.split()
    return Interpreter(path=path, version=(int(major), int(minor)), gil_enabled=gil == "True",
                       debug_info=has_debug_info(path))


def has_debug_info(path):
    """Whether gdb finds DWARF for the interpreter at `path` (its -dbg package, or its own)."""
    proc = harness.run(["gdb", "-nx", "-batch", "-ex", "info functions ^sock_connect$", path],
                       timeout=120)
    # Any "File X:" heading: Debian 3.11's LTO debug info files sock_connect under _operator.c.
    return bool(re.search(r"(?m)^File .*:$", proc.stdout))


def recorded_functions():
    """chapter_functions() for the interpreter the tests record."""
    python = recorded_python()
    return chapter_functions(python.version, python.debug_info)


def breakpoint_hit(number, function):
    """A regex for gdb's line when breakpoint `number` stops in `function`: "Breakpoint 1, f (" or,
    at an inlined copy without its own frame start, "Breakpoint 1, 0x... in f (".
    """
    return r"Breakpoint %d, (0x[0-9a-f]+ in )?%s \(" % (number, function)
