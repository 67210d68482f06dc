"""`pyr bt` and `pyr bt --all`: Python stacks from CPython's own frames, decoded in C++.

The decoder (`_pyreplay.FrameDecoder`) walks from the thread state's current frame along
`previous`, the way the recorded version links them (replay/pyframes/frame_model.h). The version
is the interpreter file's `Py_Version`. Field offsets: 3.13+ from the file's `_Py_DebugOffsets`
(no debug symbols needed); 3.11 from the debug info (gdb types), else the known 3.11 table.
Memory is read a whole struct at a time through `read_memory`. It does not need python-gdb.py.
"""

import json
import os

import gdb

from . import core
from .core import PyrError, command

# The C struct fields the decoder needs: layout key -> (type, field path).
_FIELDS = {
    "frame_code": ("_PyInterpreterFrame", ("f_code",)),
    "frame_previous": ("_PyInterpreterFrame", ("previous",)),
    "frame_prev_instr": ("_PyInterpreterFrame", ("prev_instr",)),
    "frame_owner": ("_PyInterpreterFrame", ("owner",)),
    "frame_localsplus": ("_PyInterpreterFrame", ("localsplus",)),
    "cframe_current_frame": ("_PyCFrame", ("current_frame",)),
    "tstate_next": ("PyThreadState", ("next",)),
    "tstate_cframe": ("PyThreadState", ("cframe",)),
    "tstate_thread_id": ("PyThreadState", ("thread_id",)),
    "tstate_native_thread_id": ("PyThreadState", ("native_thread_id",)),
    "interp_threads_head": ("PyInterpreterState", ("threads", "head")),
    "code_firstlineno": ("PyCodeObject", ("co_firstlineno",)),
    "code_filename": ("PyCodeObject", ("co_filename",)),
    "code_name": ("PyCodeObject", ("co_name",)),
    "code_qualname": ("PyCodeObject", ("co_qualname",)),
    "code_linetable": ("PyCodeObject", ("co_linetable",)),
    "code_firsttraceable": ("PyCodeObject", ("_co_firsttraceable",)),
    "code_code_adaptive": ("PyCodeObject", ("co_code_adaptive",)),
    "object_type": ("PyObject", ("ob_type",)),
    "var_size": ("PyVarObject", ("ob_size",)),
    "bytes_sval": ("PyBytesObject", ("ob_sval",)),
    "unicode_length": ("PyASCIIObject", ("length",)),
    "unicode_state": ("PyASCIIObject", ("state",)),
    "unicode_data": ("PyUnicodeObject", ("data",)),
    "type_flags": ("PyTypeObject", ("tp_flags",)),
    "heaptype_cached_keys": ("PyHeapTypeObject", ("ht_cached_keys",)),
    "dict_keys": ("PyDictObject", ("ma_keys",)),
    "dict_values": ("PyDictObject", ("ma_values",)),
    "keys_log2_size": ("PyDictKeysObject", ("dk_log2_size",)),
    "keys_log2_index_bytes": ("PyDictKeysObject", ("dk_log2_index_bytes",)),
    "keys_kind": ("PyDictKeysObject", ("dk_kind",)),
    "keys_nentries": ("PyDictKeysObject", ("dk_nentries",)),
    "keys_indices": ("PyDictKeysObject", ("dk_indices",)),
    # For values (values.py, replay/pyvalues/).
    "frame_globals": ("_PyInterpreterFrame", ("f_globals",)),
    "code_nlocalsplus": ("PyCodeObject", ("co_nlocalsplus",)),
    "code_localsplusnames": ("PyCodeObject", ("co_localsplusnames",)),
    "code_localspluskinds": ("PyCodeObject", ("co_localspluskinds",)),
    "type_name": ("PyTypeObject", ("tp_name",)),
    "type_dict": ("PyTypeObject", ("tp_dict",)),
    "type_dictoffset": ("PyTypeObject", ("tp_dictoffset",)),
    "type_mro": ("PyTypeObject", ("tp_mro",)),
    "heaptype_qualname": ("PyHeapTypeObject", ("ht_qualname",)),
    "tuple_ob_item": ("PyTupleObject", ("ob_item",)),
    "list_ob_item": ("PyListObject", ("ob_item",)),
    "float_ob_fval": ("PyFloatObject", ("ob_fval",)),
    "long_lv_tag": ("PyLongObject", ("ob_base", "ob_size")),  # 3.11 keeps the sign in ob_size
    "long_ob_digit": ("PyLongObject", ("ob_digit",)),
    "dict_ma_used": ("PyDictObject", ("ma_used",)),
    "set_used": ("PySetObject", ("used",)),
    "set_mask": ("PySetObject", ("mask",)),
    "set_table": ("PySetObject", ("table",)),
    "cell_ob_ref": ("PyCellObject", ("ob_ref",)),
    "module_dict": ("PyModuleObject", ("md_dict",)),
    "member_descr_member": ("PyMemberDescrObject", ("d_member",)),
    "member_def_type": ("PyMemberDef", ("type",)),
    "member_def_offset": ("PyMemberDef", ("offset",)),
    "function_qualname": ("PyFunctionObject", ("func_qualname",)),
}

_INSTALL_HINT = ("install CPython's debug symbols (`sudo apt-get install python3.11-dbg` for "
                 "Debian's python3.11)")

_session = {"decoder": None, "head_addr": None, "objfile": None, "layout": None}
_cached_layouts = {}  # executable -> {"layout", "interpreters_head"} or None
_source_cache = {}


def _lookup_type(name):
    try:
        return gdb.lookup_type(name)
    except gdb.error:
        return None


def _check_version():
    """Raises a clear error unless the debug info describes a CPython 3.11 frame."""
    try:
        version = int(gdb.parse_and_eval("Py_Version"))
    except gdb.error:
        version = None
    if version is not None and (version >> 16) != 0x030B:
        raise PyrError("pyr bt: this process runs Python %d.%d; pyr bt decodes CPython 3.11 and "
                       "3.13 or later (3.12 has no _Py_DebugOffsets, and pyreplay no checked "
                       "table of its offsets)" % (version >> 24, (version >> 16) & 0xff))
    if _lookup_type("_PyInterpreterFrame") is None:
        try:
            gdb.parse_and_eval("&_PyRuntime")
            runtime = True
        except gdb.error:
            runtime = False
        if version is None and not runtime:
            raise PyrError("pyr bt: this process has no CPython runtime symbols (_PyRuntime): it is "
                           "not CPython, or its symbols are missing; " + _INSTALL_HINT)
        raise PyrError("pyr bt: CPython's debug info has no type _PyInterpreterFrame, so frames "
                       "cannot be decoded; " + _INSTALL_HINT)
    return version


def _offset(type_name, path):
    ty = _lookup_type(type_name)
    if ty is None:
        raise PyrError("pyr bt: CPython's debug info has no type %s; %s" % (type_name,
                                                                            _INSTALL_HINT))
    total = 0
    for name in path:
        fields = {f.name: f for f in ty.strip_typedefs().fields()}
        if name not in fields:
            raise PyrError("pyr bt: CPython's type %s has no field %s: not CPython 3.11? pyr bt "
                           "supports CPython 3.11 only" % (type_name, ".".join(path)))
        total += fields[name].bitpos
        ty = fields[name].type
    return total // 8


def layout_from_debug_info():
    """The decoder's layout dict, read from CPython 3.11's debug info (gdb types)."""
    version = _check_version()
    out = {key: _offset(t, path) for key, (t, path) in _FIELDS.items()}
    out["cframe_previous"] = _offset("_PyCFrame", ("previous",))
    out["code_exceptiontable"] = _offset("PyCodeObject", ("co_exceptiontable",))
    out["type_basicsize"] = _offset("PyTypeObject", ("tp_basicsize",))
    if version is not None:
        out["python_version"] = version
    state = {f.name: f for f in gdb.lookup_type("PyASCIIObject").fields()}["state"].type
    bits = {f.name: f.bitpos for f in state.strip_typedefs().fields()}
    out["unicode_kind_shift"] = bits.get("kind", 2)
    out["unicode_compact_bit"] = bits.get("compact", 5)
    out["unicode_ascii_bit"] = bits.get("ascii", 6)
    out["ascii_object_size"] = gdb.lookup_type("PyASCIIObject").sizeof
    out["compact_object_size"] = gdb.lookup_type("PyCompactUnicodeObject").sizeof
    for key, symbol in (("unicode_type", "PyUnicode_Type"), ("bytes_type", "PyBytes_Type"),
                        ("code_type", "PyCode_Type")):
        try:
            out[key] = int(gdb.parse_and_eval("(unsigned long)&" + symbol))
        except gdb.error:
            pass
    return out


def _executable():
    try:
        return gdb.current_progspace().filename
    except (gdb.error, RuntimeError):
        return None


def _cached_layout():
    """{"layout", "interpreters_head"} cached for this interpreter's build (by build-id), or None.

    Loading CPython's debug types costs a replay session ~0.1 s, the first time anything reads a
    frame; the same offsets read once by any session or deep pass are cached per build, in the
    C++ core's cache (~/.cache/pyreplay/layouts), so later sessions skip that load."""
    exe = _executable()
    if exe not in _cached_layouts:
        text = None
        if exe:
            try:
                text = core.core().cached_python_layout(exe)
            except Exception:  # only a cache: read the debug info instead
                text = None
        _cached_layouts[exe] = json.loads(text) if text else None
    return _cached_layouts[exe]


def _runtime_files():
    """Files that may hold the runtime: loaded libpython3.X.so objfiles, then the executable."""
    names = []
    try:
        for objfile in gdb.objfiles():
            base = os.path.basename(objfile.filename or "")
            if base.startswith("libpython3.") and ".so" in base:
                names.append(objfile.filename)
    except (gdb.error, RuntimeError):
        pass
    exe = _executable()
    if exe:
        names.append(exe)
    return names


def _symbol_address(name):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&" + name))
    except gdb.error:
        return None


def _file_layout():
    """{"layout", "interpreters_head", "version", "source"} from the interpreter file alone
    (3.13+: _Py_DebugOffsets; 3.11: the known table), addresses as loaded; or None."""
    lib = core.core()
    for path in _runtime_files():
        if path in _file_layouts:
            if _file_layouts[path] is not None:
                return _file_layouts[path]
            continue
        info = None
        if lib.python_version(path) is not None:
            try:
                info = dict(lib.file_layout(path))
            except lib.Error:
                info = None
        if info is not None:
            # A position-independent file is loaded elsewhere than linked: gdb knows where.
            loaded = _symbol_address("_PyRuntime")
            bias = loaded - info["runtime"] if loaded else 0
            info["layout"] = dict(info["layout"])
            for key in ("unicode_type", "bytes_type", "code_type"):
                if info["layout"].get(key):
                    info["layout"][key] += bias
            info["interpreters_head"] += bias
        _file_layouts[path] = info
        if info is not None:
            return info
    return None


_file_layouts = {}  # interpreter file -> _file_layout() answer or None


def python_version():
    """PY_VERSION_HEX of the recorded interpreter (from its file's Py_Version), or None."""
    info = _file_layout()
    return info["version"] if info else None


def layout():
    """The decoder's layout dict: 3.13+ from _Py_DebugOffsets; 3.11 cached for this build, else
    from the debug info (then cached), else the known 3.11 table."""
    return _layout_and_head()[0]


def _layout_and_head():
    info = _file_layout()
    if info is not None and (info["version"] >> 16) & 0xff >= 13:
        return dict(info["layout"]), info["interpreters_head"]
    cached = _cached_layout()
    if cached is not None:
        return dict(cached["layout"]), cached["interpreters_head"]
    try:
        out = layout_from_debug_info()
        head = int(gdb.parse_and_eval("(unsigned long)&_PyRuntime.interpreters.head"))
    except (PyrError, gdb.error):
        if info is None:
            raise
        _note_no_debug_info(info)
        return dict(info["layout"]), info["interpreters_head"]
    exe = _executable()
    try:
        doc = {"layout": out, "interpreters_head": head}
        core.core().cache_python_layout(exe, json.dumps(doc))
        _cached_layouts[exe] = doc
    except Exception:  # a cache that cannot be written only costs the next session the load
        pass
    return out, head


_noted = set()


def _note_no_debug_info(info):
    if "table" not in _noted:
        _noted.add("table")
        gdb.write("pyr: no CPython debug info for this interpreter; using pyreplay's table of "
                  "CPython 3.11 offsets\n")


def _read_memory(address, size):
    try:
        return gdb.selected_inferior().read_memory(address, size).tobytes()
    except (gdb.MemoryError, gdb.error, OverflowError, ValueError):
        return None


def decoder():
    """The session's FrameDecoder (built once; rebuilt if gdb loaded another program)."""
    try:
        progspace = gdb.current_progspace().filename
    except (gdb.error, RuntimeError):
        progspace = None
    if _session["decoder"] is None or _session["objfile"] != progspace:
        lib = core.core()
        lay, head = _layout_and_head()
        _session["decoder"] = core.call(lib.FrameDecoder, lay, _read_memory)
        _session["head_addr"] = head
        _session["layout"] = lay
        _session["objfile"] = progspace
    return _session["decoder"]


def interpreter():
    """The main interpreter's PyInterpreterState address (0 before Python starts)."""
    decoder()
    data = _read_memory(_session["head_addr"], 8)
    if data is None:
        raise PyrError("pyr bt: cannot read _PyRuntime.interpreters.head")
    return int.from_bytes(data, "little")


def _check_alive():
    try:
        if not gdb.selected_inferior().pid or gdb.selected_thread() is None:
            raise PyrError("pyr bt: the program is not running (start the replay first)")
    except gdb.error as e:
        raise PyrError("pyr bt: %s" % e) from None


def all_threads():
    """Every Python thread: [{tid, thread_id, name, frames, ...}] (see FrameDecoder.threads)."""
    _check_alive()
    interp = interpreter()
    if interp == 0:
        return []
    threads = core.call(decoder().threads, interp)
    pid = gdb.selected_inferior().pid
    with_frames = {t["tid"] for t in threads if t["frames"]}
    seen = set()
    for t in threads:
        # threading's start() makes the child's state in the parent, with the parent's tid, until
        # the child runs: such a state is "starting", not a second thread.
        t["starting"] = not t["frames"] and (t["tid"] in with_frames or t["tid"] in seen)
        seen.add(t["tid"])
        if t["name"] is None and t["tid"] == pid and not t["starting"]:
            t["name"] = "MainThread"
    return threads


def thread_stack(tid):
    """The Python thread running native thread `tid` (a dict as in all_threads)."""
    _check_alive()
    interp = interpreter()
    if interp == 0:
        raise PyrError("pyr bt: the Python interpreter is not initialised yet at this point")
    t = core.call(decoder().thread, interp, tid)
    if t["name"] is None and t["tid"] == gdb.selected_inferior().pid:
        t["name"] = "MainThread"
    return t


def current_tid():
    thread = gdb.selected_thread()
    if thread is None:
        raise PyrError("pyr bt: no thread selected")
    return thread.ptid[1]


def _source(filename, line):
    if line is None:
        return None
    if filename not in _source_cache:
        try:
            from .listing import read_python_source
            _source_cache[filename] = read_python_source(filename)[0]
        except Exception:  # a listing problem must not break the backtrace
            _source_cache[filename] = None
    lines = _source_cache[filename]
    if lines is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1].strip()


def frame_location(frame):
    """`file:line in function`, the text the index and `pyr where` show for a frame."""
    return frame["text"]


def short_location(frame):
    """`sockets.py:57 in client()`: the basename form for one-line summaries."""
    if not frame["readable"]:
        return frame["text"]
    line = frame["line"] if frame["line"] is not None else "?"
    return "%s:%s in %s()" % (os.path.basename(frame["file"]), line, frame["function"])


def python_location():
    """The selected thread's innermost Python frame as (file, line, qualname), or None; raises
    UnreadableFrame when that frame exists but cannot be decoded."""
    try:
        t = thread_stack(current_tid())
    except (PyrError, gdb.error):
        return None
    f = t["frames"][0] if t["frames"] else None
    if f is not None and not f["readable"]:
        raise UnreadableFrame(f["text"])
    return (f["file"], f["line"], f["function"]) if f else None


class UnreadableFrame(PyrError):
    """The innermost Python frame is there but cannot be decoded (its text says why)."""


def _gdb_thread_numbers():
    try:
        return {t.ptid[1]: t.num for t in gdb.selected_inferior().threads()}
    except (gdb.error, RuntimeError):
        return {}


def format_thread(t, numbers=None):
    """Lines for one thread: a header, then `#N file:line in function` and its source line."""
    numbers = numbers or {}
    if t.get("starting"):
        return ["New thread state 0x%x: being started by thread %d, not running yet"
                % (t["tstate"], t["tid"])]
    name = '"%s"' % t["name"] if t["name"] else "(not a threading.Thread)"
    gdb_num = numbers.get(t["tid"])
    head = "Thread %d %s" % (t["tid"], name)
    if gdb_num is not None:
        head += " (gdb thread %d)" % gdb_num
    lines = [head + ":"]
    if t.get("error"):
        lines.append("  <unreadable thread state: %s>" % t["error"])
    if not t["frames"] and not t.get("error"):
        lines.append("  (no Python frames: this thread runs only C code now)")
    for i, f in enumerate(t["frames"]):
        lines.append("  #%d %s" % (i, f["text"]))
        src = _source(f["file"], f["line"]) if f["readable"] else None
        if src:
            lines.append("        " + src)
    return lines


def complete_bt(text, word):
    return core.complete_words(text, word, ["--all"])


@command("bt", completer=complete_bt)
def _cmd_bt(argv):
    """Print the Python stack of the current thread, or of every thread.

Usage: pyr bt [--all]

Each frame prints as `file:line in qualname`, innermost first, with its source line. The stacks
are read from CPython's own frames (no python-gdb.py needed): 3.13 and later with the offsets
the interpreter publishes (_Py_DebugOffsets), so no debug symbols are needed; 3.11 with offsets
from its debug info, else pyreplay's 3.11 table.

--all: every Python thread of the interpreter, each with its native tid and its Python name
(threading.Thread.name)."""
    show_all = False
    for arg in argv:
        if arg in ("--all", "-a"):
            show_all = True
        else:
            raise PyrError("pyr bt: unknown argument %r (usage: pyr bt [--all])" % arg)
    numbers = _gdb_thread_numbers()
    if show_all:
        threads = all_threads()
        if not threads:
            raise PyrError("pyr bt: the Python interpreter has no threads yet at this point")
        out = []
        for t in threads:
            out.extend(format_thread(t, numbers))
        gdb.write("\n".join(out) + "\n")
        return
    tid = current_tid()
    try:
        t = thread_stack(tid)
    except PyrError as e:
        if "no Python thread state" in str(e):
            raise PyrError("pyr bt: thread %d has no Python frames: it is not a Python thread, or "
                           "not one yet (try `pyr bt --all`)" % tid) from None
        raise
    if not t["frames"] and not t.get("error"):
        raise PyrError("pyr bt: thread %d has no Python frames right now (it runs only C code); "
                       "try `pyr bt --all`" % tid)
    gdb.write("\n".join(format_thread(t, numbers)) + "\n")


# --- The deep index (`pyreplay index --deep`) ---------------------------------------------------

_deep = {"loaded": False, "value": None}


def deep_index():
    """The trace's deep index as the C++ core gives it, or None (none, stale, or no trace)."""
    if not _deep["loaded"]:
        _deep["loaded"] = True
        try:
            _deep["value"] = core.core().deep_index(core.trace_dir())
        except Exception:  # no deep index is the normal case; a stale one is ignored here
            _deep["value"] = None
    return _deep["value"]


def deep_location(event):
    """`sockets.py:41 in talk()` for an indexed event, from the deep index, or ""."""
    deep = deep_index()
    entry = deep["entries"].get(event) if deep else None
    return entry["location"] if entry else ""


def thread_label(tid):
    """`client-0 [4930]` when the deep index knows tid's Python name, else the tid."""
    deep = deep_index()
    name = deep["names"].get(tid) if deep else None
    return "%s [%d]" % (name, tid) if name else str(tid)
