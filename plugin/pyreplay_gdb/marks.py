"""`pyr mark`, `pyr marks`, `pyr unmark`, and `pyr goto @NAME`: named, annotated positions that
are saved with the trace (<trace>/pyreplay/marks) through the same store as `pyreplay marks`."""

import datetime
import os

from . import core
from . import motion
from .core import PyrError, command


def _checkpoint_key(name):
    return ("mark", name)


def _when_text(nanos):
    try:
        return datetime.datetime.fromtimestamp(nanos / 1e9).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return "?"


def format_mark(m):
    p = m["position"]
    line = "%-20s event %d, tid %d, pc 0x%x  by %s, %s" % (
        m["name"], p["event"], p["tid"], p["pc"], m["author"], _when_text(m["created_unix_nanos"]))
    if m["python_location"]:
        line += "\n%-20s at %s" % ("", m["python_location"])
    if m["note"]:
        line += "\n%-20s %s" % ("", m["note"])
    return line


def marks_here_lines(event):
    try:
        marks = core.call(core.mark_store().list)
    except PyrError as e:
        return ["Marks:  %s" % e]
    here = [m for m in marks if m["position"]["event"] == event]
    if not here:
        return ["Marks:  (none at this event)"]
    try:
        now = dict(motion.registers())
    except Exception:
        now = {}
    lines = ["Marks:"]
    for m in here:
        exact = now and all(now.get(n) == v for n, v in m["position"]["registers"])
        lines.append("  %s%s" % (m["name"], " (exactly here)" if exact else " (in this event)"))
    return lines


@command("mark")
def mark(argv):
    """Mark the current exact position with a name and a note, saved with the trace.

Usage: pyr mark NAME [NOTE...]

NAME is 1-64 letters, digits and _ - . : and starts with a letter; `pyr goto @NAME` returns to
it, in this session or any later one, on this machine or another.

NOTE is free text (quote it or not), kept with the mark.

The mark pins the exact instruction, thread and registers even without a hardware PMU: it
replays forward once to find how to reach this instant again, then comes back here. The author
is $PYREPLAY_AUTHOR, else your login name."""
    if not argv:
        raise PyrError("pyr mark: give a NAME (and optionally a note), see `help pyr mark`")
    name, note = argv[0], " ".join(argv[1:])
    lib = core.core()
    core.call(lib.check_mark_name, name)
    store = core.mark_store()
    existing = [m for m in core.call(store.list) if m["name"] == name]
    if existing:
        raise PyrError("pyr mark: a mark named '%s' already exists (event %d); remove it first "
                       "with `pyr unmark %s` or pick another name" %
                       (name, existing[0]["position"]["event"], name))
    from .events import python_location_text
    position = motion.capture_position(_checkpoint_key(name))
    saved = core.call(store.add, {"name": name, "note": note, "position": position,
                                  "python_location": python_location_text()})
    print("Marked %s: event %d, ticks %d, tid %d, pc 0x%x (id %s)" % (
        name, position["event"], position["ticks"], position["tid"], position["pc"],
        saved["id"][:12]))


@command("marks")
def marks(argv):
    """List the marks saved with this trace.

Usage: pyr marks

Shows each mark's name, position, author, time, Python location and note, oldest first.
`pyreplay marks TRACE` lists the same marks outside gdb."""
    if argv:
        raise PyrError("pyr marks: takes no arguments")
    listed = core.call(core.mark_store().list)
    if not listed:
        print("No marks yet in %s (make one with `pyr mark NAME NOTE`)." % core.trace_dir())
        return
    print("\n".join(format_mark(m) for m in listed))


def _complete_marks(text, word):
    return core.complete_words(text, word, core.mark_names())


@command("unmark", _complete_marks)
def unmark(argv):
    """Remove a mark.

Usage: pyr unmark NAME

NAME is the mark's name (tab completes), or the start of its id (6 or more hex digits)."""
    if len(argv) != 1:
        raise PyrError("pyr unmark: give one mark NAME")
    removed = core.call(core.mark_store().remove, argv[0])
    motion.CHECKPOINTS.by_key.pop(_checkpoint_key(removed["name"]), None)
    print("Removed mark %s (event %d)." % (removed["name"], removed["position"]["event"]))


def goto_mark(name, quiet=False):
    if not name:
        raise PyrError("pyr goto: @ needs a mark name, for example @before-connect")
    m = core.call(core.mark_store().find, name)
    from . import events
    position = m["position"]
    if not position["registers"]:
        # A mark made outside gdb (`pyreplay marks add --event N`) is the start of its event.
        events.goto_event(position["event"], quiet=True)
        if motion.current_tid() != position["tid"]:
            raise PyrError("pyr: mark %s is in thread %d, but event %d is in thread %d here; was "
                           "the trace re-recorded?" % (m["name"], position["tid"],
                                                       position["event"], motion.current_tid()))
    else:
        motion.land_at_position(position, _checkpoint_key(m["name"]))
    events.set_landed()
    if not quiet:
        print("\n".join(["Mark %s%s" % (m["name"], ": " + m["note"] if m["note"] else "")] +
                        events._position_lines(full_c=False)))
