"""`pyr locals`, `pyr print EXPR`, `pyr up`/`down`/`frame`: Python values of the selected frame.

Values are read from memory by the C++ core (`_pyreplay.ValueInspector`, replay/pyvalues/),
never by running code in the replay. Python frames are numbered as `pyr bt` numbers them
(innermost #0) in the selected thread; the selection resets when the replay moves or another
thread is selected.
"""

import gdb

from . import core, motion, stacks
from .core import PyrError, command

_selected = {"index": 0, "at": None}  # the selected frame number, and where it was selected


def _on_cont(_event):
    _selected["index"], _selected["at"] = 0, None


gdb.events.cont.connect(_on_cont)


def _position():
    try:
        return motion.here()
    except (gdb.error, PyrError):
        return None


def _frames(name):
    """The selected thread's Python frames (innermost first) and its tid."""
    tid = stacks.current_tid()
    try:
        t = stacks.thread_stack(tid)
    except PyrError as e:
        raise PyrError(str(e).replace("pyr bt:", "pyr %s:" % name, 1)) from None
    if not t["frames"]:
        raise PyrError("pyr %s: thread %d has no Python frames right now (it runs only C code); "
                       "try `pyr bt --all`" % (name, tid))
    return t["frames"], tid


def _where(frames):
    """Where a selection was made: the replay position (rr's when, tid, pc) and the stack."""
    return _position(), tuple((f["address"], f["lasti"]) for f in frames)


def _selected_index(frames):
    """The selected frame number, 0 again once the replay moved (or the thread changed)."""
    if _selected["at"] is None or _selected["at"] != _where(frames):
        _selected["index"], _selected["at"] = 0, None
    return min(_selected["index"], len(frames) - 1)


def _select(index, frames):
    _selected["index"], _selected["at"] = index, _where(frames)


_layouts = {}  # program -> the layout dict (reading it from the debug info costs ~0.1 s)


def _inspector():
    """A fresh ValueInspector: its type cache must not outlive a stop (memory changes)."""
    lib = core.core()
    try:
        program = gdb.current_progspace().filename
    except (gdb.error, RuntimeError):
        program = None
    if program not in _layouts:
        _layouts[program] = stacks.layout()
    return core.call(lib.ValueInspector, _layouts[program], stacks._read_memory)


def _call(name, fn, *args):
    lib = core.core()
    try:
        return fn(*args)
    except lib.Error as e:
        raise PyrError("pyr %s: %s" % (name, e.args[0] if e.args else e)) from None


def _frame_line(index, frame):
    line = "#%d %s" % (index, frame["text"])
    source = stacks._source(frame["file"], frame["line"]) if frame["readable"] else None
    return line + ("\n        " + source if source else "")


def _readable_frame(name, frames, index):
    frame = frames[index]
    if not frame["readable"]:
        raise PyrError("pyr %s: Python frame #%d cannot be read: %s" % (name, index, frame["text"]))
    return frame


def _count(argv, name):
    if not argv:
        return 1
    if len(argv) > 1:
        raise PyrError("pyr %s: too many arguments (usage: pyr %s [N])" % (name, name))
    try:
        n = int(argv[0])
    except ValueError:
        raise PyrError("pyr %s: N must be a number of frames, not %r" % (name, argv[0])) from None
    if n < 0:
        raise PyrError("pyr %s: N must not be negative (%d)" % (name, n))
    return n


@command("up")
def _cmd_up(argv):
    """Select the Python frame N levels out (the caller's), default 1.

Usage: pyr up [N]

Frames are numbered as `pyr bt` prints them, innermost #0. `pyr locals` and `pyr print` read
the selected frame. The selection resets to #0 when the replay moves."""
    n = _count(argv, "up")
    frames, tid = _frames("up")
    index = _selected_index(frames)
    last = len(frames) - 1
    if index + n > last:
        raise PyrError("pyr up: #%d is the outermost Python frame of thread %d; cannot go up %d "
                       "from #%d" % (last, tid, n, index))
    _select(index + n, frames)
    gdb.write(_frame_line(index + n, frames[index + n]) + "\n")


@command("down")
def _cmd_down(argv):
    """Select the Python frame N levels in (a callee's), default 1.

Usage: pyr down [N]

Frames are numbered as `pyr bt` prints them, innermost #0."""
    n = _count(argv, "down")
    frames, tid = _frames("down")
    index = _selected_index(frames)
    if index - n < 0:
        raise PyrError("pyr down: #0 is the innermost Python frame of thread %d; cannot go down "
                       "%d from #%d" % (tid, n, index))
    _select(index - n, frames)
    gdb.write(_frame_line(index - n, frames[index - n]) + "\n")


@command("frame")
def _cmd_frame(argv):
    """Show the selected Python frame, or select frame N.

Usage: pyr frame [N]

N: a frame number as `pyr bt` prints it (innermost #0)."""
    frames, tid = _frames("frame")
    if not argv:
        index = _selected_index(frames)
    else:
        if len(argv) > 1:
            raise PyrError("pyr frame: too many arguments (usage: pyr frame [N])")
        try:
            index = int(argv[0])
        except ValueError:
            raise PyrError("pyr frame: N must be a frame number, not %r" % argv[0]) from None
        if not 0 <= index < len(frames):
            raise PyrError("pyr frame: thread %d has Python frames #0 to #%d; there is no #%d"
                           % (tid, len(frames) - 1, index))
        _select(index, frames)
    gdb.write(_frame_line(index, frames[index]) + "\n")


def _value_text(value):
    return value["repr"] if value is not None else "<unbound>"


@command("locals")
def _cmd_locals(argv):
    """Print every local of the selected Python frame, with its value.

Usage: pyr locals

Values are read from memory, never by running code: int, float, bool, None, str, bytes,
tuple, list, dict, set and frozenset print as repr() prints them (containers show their first
20 items and how many more); any other object as <module.Class object at 0x...> (see
`pyr print --dict`). Cell and free variables show their contents; a local with no value yet
shows <unbound>."""
    if argv:
        raise PyrError("pyr locals: takes no arguments (select a frame with pyr up/down/frame)")
    frames, _ = _frames("locals")
    index = _selected_index(frames)
    frame = _readable_frame("locals", frames, index)
    slots = _call("locals", _inspector().locals, frame["address"], 20)
    lines = ["Locals of #%d %s:" % (index, frame["text"])]
    if not slots and frame["name"] == "<module>":
        lines.append("  (none: module-level names are globals; `pyr print NAME` reads them)")
    elif not slots:
        lines.append("  (none)")
    for s in slots:
        note = "" if s["kind"] == "local" else "  (%s variable)" % s["kind"]
        lines.append("  %s = %s%s" % (s["name"], _value_text(s["value"]), note))
    gdb.write("\n".join(lines) + "\n")


def _local_names():
    try:
        frames, _ = _frames("print")
        frame = frames[_selected_index(frames)]
        if not frame["readable"]:
            return []
        return [s["name"] for s in _inspector().locals(frame["address"], 0)]
    except Exception:  # completion must never fail loudly
        return []


def complete_print(text, word):
    token = core.last_token(text)
    if any(c in token for c in ".[") or token.startswith("-"):
        return core.complete_words(text, word, ["--dict"]) if token.startswith("-") else []
    return core.complete_words(text, word, sorted(set(_local_names())))


def _cmd_print(argument, name="print"):
    """Print the value of a local, a global, an attribute chain or a constant subscript.

Usage: pyr print [--dict] EXPR   (alias: pyr p)

EXPR is a name (a local of the selected Python frame, else a global of its module), followed
by attributes and subscripts with a constant: `x`, `self.conn.addr`, `items[0]`, `items[-1]`,
`d["k"]`, `d[3]`. Nothing else (no calls, operators or variables in subscripts): the value is
read from memory, never by running code in the replay.

--dict: also list the attributes (the instance __dict__) of an object, or a container's items,
one per line."""
    expression = (argument or "").strip()
    show_dict = expression == "--dict" or expression.startswith("--dict ")
    if show_dict:
        expression = expression[len("--dict"):].strip()
    if not expression:
        raise PyrError("pyr %s: which value? (usage: pyr print [--dict] EXPR)" % name)
    frames, _ = _frames(name)
    index = _selected_index(frames)
    frame = _readable_frame(name, frames, index)
    value = _call(name, _inspector().evaluate, frame["address"], expression, "frame #%d" % index,
                  frame["function"], 100, show_dict)
    lines = ["%s = %s" % (expression, value["repr"])]
    if show_dict:
        for child in value["children"]:
            lines.append("  %s = %s" % (child["name"], child["repr"]))
    gdb.write("\n".join(lines) + "\n")


command("print", completer=complete_print, raw=True)(_cmd_print)


@command("p", completer=complete_print, raw=True)
def _cmd_p(argument):
    """Print a value: an alias of `pyr print` (see `help pyr print`).

Usage: pyr p [--dict] EXPR"""
    _cmd_print(argument, "p")
