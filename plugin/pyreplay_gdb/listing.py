"""`pyr list`: the Python line and the C line the current thread is executing, one above the other.

The Python side reads the recorded copy of the program's own files (kept by `pyreplay record` in
<trace>/pyreplay/sources/, see replay/sources/script_sources.h), so the listing shows the code as
it ran even after the script was edited or deleted. The C side reads CPython's sources from the
cache `pyreplay sources` fills, which `pyreplay replay` hands to gdb with `directory`.

Other commands (pyr bt) use `recorded_path()` / `source_line()` to read Python files the same way.
"""

import json
import os

import gdb

MANIFEST = os.path.join("pyreplay", "sources", "manifest.json")
_MAX_SOURCE_BYTES = 8 << 20
_MAX_FRAMES = 64  # how far up the C stack we look for a frame with source


# --- Recorded copies of the program's .py files ------------------------------------------------

_manifest_cache = {}


def _manifest(trace_dir):
    """The trace's sources manifest as {normalised original path: copy path}, or {}."""
    if trace_dir in _manifest_cache:
        return _manifest_cache[trace_dir]
    mapping = {}
    sources_dir = os.path.join(trace_dir, "pyreplay", "sources")
    try:
        with open(os.path.join(trace_dir, MANIFEST), encoding="utf-8") as f:
            manifest = json.load(f)
        cwd = manifest.get("cwd", "") if isinstance(manifest, dict) else ""
        for entry in manifest.get("files", []):
            copy = entry.get("copy", "") if isinstance(entry, dict) else ""
            # The manifest may come from someone else's packed trace: stay inside sources/.
            if not copy or os.path.isabs(copy) or ".." in copy.split(os.sep):
                continue
            for key in ("path", "realpath"):
                original = entry.get(key)
                if isinstance(original, str) and original:
                    mapping[os.path.normpath(original)] = os.path.join(sources_dir, copy)
        mapping[""] = cwd  # remembered for relative paths
    except (OSError, ValueError, AttributeError, TypeError):
        mapping = {}
    _manifest_cache[trace_dir] = mapping
    return mapping


def recorded_path(filename, trace_dir=None):
    """The trace's copy of `filename` (a co_filename), or None when the trace has none."""
    trace_dir = trace_dir or os.environ.get("PYREPLAY_TRACE")
    if not trace_dir or not filename:
        return None
    mapping = _manifest(trace_dir)
    if not mapping:
        return None
    path = filename
    if not os.path.isabs(path):
        path = os.path.join(mapping.get("", ""), path)
    copy = mapping.get(os.path.normpath(path))
    return copy if copy and os.path.isfile(copy) else None


def read_python_source(filename):
    """(lines, origin) for a Python file: the recorded copy when the trace has one, else the file
    on disk. origin is "recorded copy", "on disk" or None when neither can be read."""
    for path, origin in ((recorded_path(filename), "recorded copy"), (filename, "on disk")):
        if not path:
            continue
        try:
            if os.path.getsize(path) > _MAX_SOURCE_BYTES:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines(), origin
        except OSError:
            continue
    return None, None


def source_line(filename, lineno):
    """The text of one line of a Python file as recorded (see read_python_source), or None."""
    lines, _ = read_python_source(filename)
    if lines is None or lineno is None or not 1 <= lineno <= len(lines):
        return None
    return lines[lineno - 1]


# --- The current Python frame ------------------------------------------------------------------

def _libpython():
    """CPython's python-gdb.py module namespace (sourced by the plugin), or None."""
    import __main__
    return __main__ if hasattr(__main__, "Frame") and hasattr(__main__, "PyFramePtr") else None


def current_python_location():
    """(filename, line, function) of the innermost Python frame of the selected thread, or None."""
    lib = _libpython()
    if lib is None:
        return None
    try:
        frame = lib.Frame.get_selected_python_frame()
        for _ in range(_MAX_FRAMES):
            if frame is None:
                return None
            if frame.is_evalframe():
                pyop = frame.get_pyop()
                if pyop and not pyop.is_optimized_out():
                    return pyop.filename(), pyop.current_line_num(), pyop.co_name.proxyval(set())
            frame = frame.older()
    except (gdb.error, RuntimeError, ValueError, AttributeError, TypeError):
        return None
    return None


def _patch_libpython():
    """Makes py-bt (libpython's PyFramePtr.current_line) read the recorded copy too."""
    lib = _libpython()
    if lib is None or getattr(lib.PyFramePtr, "_pyreplay_patched", False):
        return
    original = lib.PyFramePtr.current_line

    def current_line(self):
        try:
            if not self.is_optimized_out():
                text = source_line(self.filename(), self.current_line_num())
                if text is not None:
                    return text + "\n"
        except Exception:  # libpython's own reads are best effort too
            pass
        return original(self)

    lib.PyFramePtr.current_line = current_line
    lib.PyFramePtr._pyreplay_patched = True


# --- The current C frame -----------------------------------------------------------------------

def _read_c_source(path):
    try:
        if os.path.getsize(path) > _MAX_SOURCE_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return None


def current_c_location():
    """(frame level, function, symtab filename, full path or None, line, lines or None) of the
    innermost C frame with line info, preferring one whose source file can be read."""
    try:
        frame = gdb.selected_frame()
    except gdb.error:
        return None
    first = None
    level = 0
    while frame is not None and level < _MAX_FRAMES:
        sal = frame.find_sal()
        if sal.symtab is not None and sal.line:
            name = frame.name() or "??"
            fullname = sal.symtab.fullname()
            lines = _read_c_source(fullname) if fullname else None
            found = (level, name, sal.symtab.filename, fullname if lines else None, sal.line, lines)
            if lines is not None:
                return found
            if first is None:
                first = found
        frame = frame.older()
        level += 1
    return first


# --- Formatting --------------------------------------------------------------------------------

def _window(lines, line, context):
    start = max(1, line - context)
    end = min(len(lines), line + context)
    width = len(str(end))
    out = []
    for n in range(start, end + 1):
        marker = "->" if n == line else "  "
        out.append("%s %*d  %s" % (marker, width, n, lines[n - 1].rstrip()))
    return out


def format_listing(context=3):
    """The `pyr list` text: a Python block, then a C block."""
    out = []
    py = current_python_location()
    if py is None:
        out.append("Python: no Python frame in this thread")
    else:
        filename, line, func = py
        lines, origin = read_python_source(filename)
        if line is None:
            out.append("Python: %s, in %s (line unknown)" % (filename, func))
        elif lines is None:
            out.append("Python: %s:%d, in %s (source not available: the trace has no copy and "
                       "the file is gone)" % (filename, line, func))
        else:
            out.append("Python: %s:%d, in %s (%s)" % (filename, line, func, origin))
            if 1 <= line <= len(lines):
                out.extend(_window(lines, line, context))
    out.append("")
    c = current_c_location()
    if c is None:
        out.append("C: no frame with line information")
    else:
        level, func, symfile, fullname, line, lines = c
        where = "frame #%d, " % level if level else ""
        if lines is None:
            out.append("C: %s:%d, in %s (%ssource not available: run `pyreplay sources`, then "
                       "replay again)" % (symfile, line, func, where))
        else:
            out.append("C: %s:%d, in %s (%s%s)" % (symfile, line, func, where, fullname))
            if 1 <= line <= len(lines):
                out.extend(_window(lines, line, context))
    return "\n".join(out)


class PyrList(gdb.Command):
    """Show the Python line and the C line the current thread is executing.

Usage: pyr list [CONTEXT]

The Python line comes from the recorded copy of the program's own files when the trace has one
(`pyreplay record` keeps them), so it shows the code as it ran even if the script changed since.
The C line is the innermost frame whose source is readable: run `pyreplay sources` once so gdb
finds CPython's C files. The current line is marked with ->.

CONTEXT is the number of lines shown before and after each current line (default 3)."""

    def __init__(self):
        super().__init__("pyr list", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        context = 3
        if len(argv) > 1:
            raise gdb.GdbError("pyr list: too many arguments; usage: pyr list [CONTEXT]")
        if argv:
            try:
                context = int(argv[0])
            except ValueError:
                raise gdb.GdbError("pyr list: CONTEXT must be a number of lines, not %r" % argv[0])
            if not 0 <= context <= 200:
                raise gdb.GdbError("pyr list: CONTEXT must be between 0 and 200")
        try:
            gdb.selected_frame()
        except gdb.error:
            raise gdb.GdbError("pyr list: no current frame (is the replay running?)")
        _patch_libpython()
        gdb.write(format_listing(context) + "\n")


def register():
    """Registers `pyr list` (the `pyr` prefix must exist) and makes py-bt read recorded copies."""
    PyrList()
    _patch_libpython()
