"""`pyr list`: the Python line and the C line the current thread is executing, one above the other.

The Python side reads the recorded copy of the program's own files (kept by `pyreplay record` in
<trace>/pyreplay/sources/, see replay/sources/script_sources.h), so the listing shows the code as
it ran even after the script was edited or deleted. The C side reads CPython's sources from the
cache `pyreplay sources` fills, which `pyreplay replay` hands to gdb with `directory`.

Other commands (pyr bt) use `recorded_path()` / `source_line()` to read Python files the same way.
"""

import json
import os
import re

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


# --- Listing any file or definition: `pyr list FILE:LINE`, `pyr list NAME` ---------------------

def _source_path_dirs():
    """gdb's source path (`directory`), where `pyreplay replay` put CPython's cached sources."""
    try:
        value = gdb.parameter("directories") or ""
    except (gdb.error, RuntimeError):
        value = ""
    return [d for d in value.split(os.pathsep) if d and not d.startswith("$")]


def resolve_file(name):
    """(path, origin) for a file named as the user or the debug info names it: a recorded Python
    file, a path, or a path relative to the CPython sources (Modules/socketmodule.h,
    ../Modules/socketmodule.c). (None, None) when not found."""
    copy = recorded_path(name)
    if copy:
        return copy, "recorded copy"
    if os.path.isabs(name) and os.path.isfile(name):
        return name, "on disk"
    for base in _source_path_dirs():
        for candidate in (os.path.join(base, name), os.path.join(base, "..", name)):
            if os.path.isfile(candidate):
                return os.path.normpath(candidate), os.path.normpath(candidate)
    return None, None


def _read_any(path):
    lines = _read_c_source(path)
    if lines is None:
        raise gdb.GdbError("pyr list: cannot read %s" % path)
    return lines


def _definitions(name):
    """Candidate (file as the debug info names it, line) pairs for a type, function or variable:
    the symbol's own, then each that `info types/functions/variables` prints."""
    found = []
    try:  # a function: its line table is exact
        text = gdb.execute("info line %s" % name, to_string=True)
        match = re.match(r'Line (\d+) of "([^"]+)"', text)
        if match:
            found.append((match.group(2), int(match.group(1))))
    except gdb.error:
        pass
    for lookup in (gdb.lookup_static_symbol, gdb.lookup_global_symbol):
        try:
            symbol = lookup(name)
        except (gdb.error, RuntimeError):
            symbol = None
        if symbol is not None and symbol.symtab is not None and symbol.line:
            found.append((symbol.symtab.filename, symbol.line))
    for kind in ("types", "functions", "variables"):
        try:
            text = gdb.execute("info %s ^%s$" % (kind, name), to_string=True)
        except gdb.error:
            continue
        current = None
        for line in text.splitlines():
            if line.startswith("File ") and line.endswith(":"):
                current = line[5:-1]
            elif current and line.split(":", 1)[0].strip().isdigit():
                found.append((current, int(line.split(":", 1)[0])))
    unique = []
    for item in found:
        if item not in unique:
            unique.append(item)
    return unique[:16]


def list_location(spec, context):
    """The text of `pyr list FILE:LINE[,END]` or `pyr list NAME`."""
    if ":" in spec:
        name, _, where = spec.rpartition(":")
        first, _, last = where.partition(",")
        try:
            start = int(first)
            end = int(last) if last else None
        except ValueError:
            raise gdb.GdbError("pyr list: %r is not FILE:LINE or FILE:LINE,END" % spec)
        path, origin = resolve_file(name)
        if path is None:
            raise gdb.GdbError("pyr list: no file %s in the recorded sources or CPython's sources "
                               "(run `pyreplay sources`, then replay again)" % name)
        lines = _read_any(path)
        if end is None:
            out = _window(lines, start, context) if 1 <= start <= len(lines) else []
        else:
            out = ["   %*d  %s" % (len(str(end)), n, lines[n - 1].rstrip())
                   for n in range(max(1, start), min(len(lines), end) + 1)]
        if not out:
            raise gdb.GdbError("pyr list: %s has %d lines" % (name, len(lines)))
        return "\n".join(["%s:%s (%s)" % (name, where, origin)] + out)
    found = _definitions(spec)
    if not found:
        raise gdb.GdbError("pyr list: no type, function or variable named %s in the debug info"
                           % spec)
    for symfile, line in found:
        candidates = [symfile]
        # Debian's LTO debug info names some declarations' files wrongly (PySocketSockObject is
        # said to be in socketmodule.c; it is in socketmodule.h). Check the text; try the sibling.
        stem, ext = os.path.splitext(symfile)
        candidates += [stem + other for other in (".h", ".c") if other != ext]
        for candidate in candidates:
            path, origin = resolve_file(candidate)
            if path is None:
                continue
            lines = _read_any(path)
            # The name is on the line, or a little above it (a function's first line).
            if 1 <= line <= len(lines) and any(spec in text
                                               for text in lines[max(0, line - 16):line]):
                return "\n".join(["%s:%d, %s (%s)" % (candidate, line, spec, origin)] +
                                 _window(lines, line, context))
    symfile, line = found[0]
    if resolve_file(symfile)[0] is None:
        raise gdb.GdbError("pyr list: %s is defined at %s:%d, whose source is not available "
                           "(run `pyreplay sources`, then replay again)" % (spec, symfile, line))
    raise gdb.GdbError("pyr list: the debug info puts %s at %s:%d, but that line does not "
                       "mention it" % (spec, symfile, line))


class PyrList(gdb.Command):
    """Show the Python line and the C line the current thread is executing.

Usage: pyr list [CONTEXT]
       pyr list FILE:LINE[,END] | NAME [CONTEXT]

The Python line comes from the recorded copy of the program's own files when the trace has one
(`pyreplay record` keeps them), so it shows the code as it ran even if the script changed since.
The C line is the innermost frame whose source is readable: run `pyreplay sources` once so gdb
finds CPython's C files. The current line is marked with ->.

CONTEXT is the number of lines shown before and after each current line (default 3).

FILE:LINE lists a file of the recorded program or of CPython's sources, such as
Modules/socketmodule.h:308 (gdb's own `list` knows only files that hold code).
NAME lists the definition of a C type, function or variable, such as PySocketSockObject
or sock_methods (default CONTEXT 10)."""

    def __init__(self):
        super().__init__("pyr list", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        spec = None
        if argv and not argv[0].isdigit():
            spec = argv.pop(0)
        context = 3 if spec is None else 10
        if len(argv) > 1:
            raise gdb.GdbError("pyr list: too many arguments; usage: pyr list [CONTEXT] or "
                               "pyr list FILE:LINE|NAME [CONTEXT]")
        if argv:
            try:
                context = int(argv[0])
            except ValueError:
                raise gdb.GdbError("pyr list: CONTEXT must be a number of lines, not %r" % argv[0])
            if not 0 <= context <= 200:
                raise gdb.GdbError("pyr list: CONTEXT must be between 0 and 200")
        if spec is not None:
            gdb.write(list_location(spec, context) + "\n")
            return
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
