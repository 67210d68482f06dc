"""`pyr goto`, `pyr next`, `pyr prev`, `pyr follow`, `pyr where`, `pyr events`: moving between
the indexed thread, process and socket events."""

import os

import gdb

from . import catalog as cat
from . import core
from . import motion
from .core import PyrError, command

# Where the last jump landed: (event, tid, pc), and the indexed event it went to. At that exact
# place, "the current event" is that event; elsewhere with `when` == N, event N is still ahead.
_landed = {"at": None, "entry": None}


def set_landed(entry=None):
    """Records the jump that just ended here: to indexed event `entry`, or (None) to the
    indexed event whose landing is this `when`, if any (a mark at an event's start)."""
    at = motion.here()
    if entry is None:
        entry = cat.catalog().by_land.get(at[0])
    _landed["at"], _landed["entry"] = at, entry


def _at_indexed_event():
    """The indexed event we stand on (landed there and have not moved), or None."""
    at = _landed["at"]
    if at is None or not motion.alive():
        return None
    try:
        if motion.here() != at:
            return None
    except (gdb.error, PyrError):
        return None
    return _landed["entry"]


def _split(pool):
    """(behind, ahead): the events of `pool` before and after here. Standing on an indexed event,
    it is neither; elsewhere with `when` == W, an event landing at W is still ahead."""
    w = _current_when()
    if w is None:  # the program ended: everything is behind us
        return list(pool), []
    on = _at_indexed_event()
    if on is not None:
        here = (on["land"], on["order"])
        return ([e for e in pool if (e["land"], e["order"]) < here],
                [e for e in pool if (e["land"], e["order"]) > here])
    return [e for e in pool if e["land"] < w], [e for e in pool if e["land"] >= w]


def _position_lines(full_c=True, event=None):
    """Position, C and Python location. A jump prints only the innermost C frame (full_c=False):
    finding the first caller with source means unwinding through rr's syscall hooks and libc,
    which in a fresh session costs gdb more than the jump itself."""
    w, tid, pc = motion.here()
    lines = ["Position: event %d, ticks %d, tid %d, pc 0x%x" % (w, motion.ticks(), tid, pc)]
    lines.append("C:      " + (_c_location() if full_c else _innermost_c_location()))
    py = _deep_python_location(event, tid) or _python_location()
    if py:
        lines.append("Python: " + py)
    return lines


def _deep_python_location(event, tid):
    """The innermost Python frame at an indexed event, from the deep index: the same frames the
    decoder would read here (no Python code runs between the libc call and its syscall), without
    loading CPython's debug types into gdb first."""
    if event is None:
        return None
    try:
        from .stacks import deep_index
        deep = deep_index()
        entry = deep["entries"].get(event) if deep else None
    except Exception:
        return None
    if not entry or entry["tid"] != tid or not entry["stack"]:
        return None
    filename, line, func = entry["stack"][0]
    return "%s:%s, in %s" % (filename, line if line is not None else "?", func)


def _innermost_c_location():
    frame = gdb.newest_frame()
    name = frame.name() or "0x%x" % frame.pc()
    sal = frame.find_sal()
    if sal.symtab is not None and sal.line:
        return "%s (%s:%d)" % (name, sal.symtab.filename, sal.line)
    return "%s (`pyr where` or `bt` shows its C callers)" % name


def _c_location():
    try:
        from .listing import current_c_location
        c = current_c_location()
    except Exception:
        c = None
    frame = gdb.newest_frame()
    here = "%s" % (frame.name() or "0x%x" % frame.pc())
    if c is None:
        return here
    level, func, symfile, _, line, _ = c
    if level == 0:
        return "%s (%s:%d)" % (func, symfile, line)
    return "%s, called from %s (%s:%d, frame #%d)" % (here, func, symfile, line, level)


def _python_location():
    from .stacks import UnreadableFrame, python_location
    try:  # CPython's own frames, decoded in C++ (no python-gdb.py needed)
        py = python_location()
    except UnreadableFrame as e:
        return str(e)  # not python-gdb.py's guess: it prints whatever the fields point at
    except Exception:
        py = None
    try:
        if not py:
            from .listing import current_python_location
            py = current_python_location()
    except Exception:
        return None
    if not py:
        return None
    filename, line, func = py
    return "%s:%s, in %s" % (filename, line if line is not None else "?", func)


def _deep_suffix(e):
    """`  @ sockets.py:41 in talk()` and the thread's Python name, from the deep index."""
    try:
        from .stacks import deep_location, deep_index, thread_label
        if not deep_index():
            return ""
        loc = deep_location(e["event"])
        label = thread_label(e["tid"])
        return ("  [%s]" % label if label != str(e["tid"]) else "") + (("  @ " + loc) if loc else "")
    except Exception:
        return ""


def python_location_text():
    return _python_location() or ""


def goto_event(event, quiet=False, entry=None):
    """Lands at the instant indexed (or any) event `event` begins, in its thread, and prints where.
    An indexed event rr cannot stop at lands at its entry's `land` event instead (see catalog)."""
    catalog = cat.catalog()
    catalog.site(event)  # in range
    e = entry or catalog.by_event.get(event)
    land = e["land"] if e else event
    site = catalog.site(land)
    how = motion.land_at_event(site)
    set_landed(e)
    if motion.when() != land:
        raise PyrError("pyr: landed at event %d instead of %d" % (motion.when(), land))
    if not quiet:
        head = "Event %d: %s" % (event, cat.describe(e)) if e else \
            "Event %d (not an indexed event), tid %d" % (event, site["tid"])
        notes = ["(%s)" % e["land_note"]] if e and e["land_note"] else []
        print("\n".join([head] + _position_lines(full_c=False, event=event) + notes +
                        ["(reached by %s)" % how]))


def goto_mark(name, quiet=False):
    from . import marks
    marks.goto_mark(name, quiet=quiet)


def _current_when():
    if not motion.alive():
        return None
    return motion.when()


def _relative(k):
    """The indexed event k steps from here (k > 0 forward, k < 0 backward)."""
    pool = cat.catalog().events
    return _step(pool, k)


def _step(pool, k):
    """The entry k indexed events of `pool` from here."""
    if not pool:
        raise PyrError("pyr: no indexed events match")
    w = _current_when()
    behind, ahead = _split(pool)
    if k > 0:
        if len(ahead) < k:
            raise PyrError("pyr: no further indexed event after event %s" % w)
        return ahead[k - 1]
    if len(behind) < -k:
        raise PyrError("pyr: no matching indexed event before event %s" % w)
    return behind[k]


def goto_entry(e):
    goto_event(e["event"], entry=e)


def _complete_goto(text, word):
    # gdb breaks words at '@' and at the '-', ':' a mark name may hold; complete_words matches
    # the whole `@NAME` typed so far.
    return core.complete_words(text, word, ["@" + n for n in core.mark_names()])


@command("goto", _complete_goto)
def goto(argv):
    """Jump to an indexed event or a mark, forward or backward.

Usage: pyr goto N | @MARK | +K | -K

N is an event number (what `when` prints; `pyr events` lists the indexed ones). The replay stops
at the instant the event begins, in the event's thread, which gdb selects: for a syscall, at its
`syscall` instruction, with `when` equal to N.

@MARK returns to a mark made with `pyr mark`, at exactly the marked instruction and registers.

+K and -K move K indexed events forward or backward from here.

Jumps reuse rr checkpoints made at earlier landings, so going back near a visited place does not
replay from the start. Prints the position (event, ticks, tid), the C location and the Python
location."""
    if len(argv) != 1:
        raise PyrError("pyr goto: give one target: N, @MARK, +K or -K (see `help pyr goto`)")
    target = argv[0]
    if target.startswith("@"):
        goto_mark(target[1:])
        return
    if target[:1] in "+-" and target[1:].isdigit():
        k = int(target)
        if k == 0:
            raise PyrError("pyr goto: +0 goes nowhere")
        goto_entry(_relative(k))
        return
    if not target.isdigit():
        raise PyrError("pyr goto: %r is not a target: use N, @MARK, +K or -K" % target)
    goto_event(int(target))


def _kind_thread_args(argv, what):
    positional, opts = core.split_options(argv, ["--thread"])
    if len(positional) > 1:
        raise PyrError("pyr %s: at most one KIND (%s)" % (what, ", ".join(cat.KINDS)))
    kind = positional[0] if positional else None
    tid = core.parse_tid(opts["--thread"]) if "--thread" in opts else None
    return kind, tid


def _trace_thread_ids():
    """Every thread of the recording (not only those alive now), for completion."""
    tids = set(core.thread_ids())
    try:
        tids.update(str(e["tid"]) for e in cat.catalog().events)
        tids.update(str(e["new_tid"]) for e in cat.catalog().events if e["new_tid"])
    except Exception:  # completion must never fail loudly
        pass
    return sorted(tids, key=int)


def _complete_kind_thread(text, word):
    words = text.split()
    before = words[:-1] if core.last_token(text) else words  # the arguments already complete
    if before and before[-1] == "--thread":
        return core.complete_words(text, word, _trace_thread_ids())
    return core.complete_words(text, word, list(cat.KINDS) + ["--thread"])


@command("next", _complete_kind_thread)
def next_event(argv):
    """Go to the next indexed event, of any kind or of one kind.

Usage: pyr next [KIND] [--thread TID]

KIND is one of {KINDS}. Without it, any indexed event.

--thread TID only considers events of that thread (its tid, as `info threads` shows)."""
    kind, tid = _kind_thread_args(argv, "next")
    goto_entry(_step(cat.catalog().select(kind, tid), 1))


@command("prev", _complete_kind_thread)
def prev_event(argv):
    """Go to the previous indexed event, of any kind or of one kind.

Usage: pyr prev [KIND] [--thread TID]

KIND is one of {KINDS}. Without it, any indexed event.

--thread TID only considers events of that thread (its tid, as `info threads` shows).

Moves backward without rr's reverse execution: it restarts from the nearest checkpoint or from
the start and runs forward, which is safe without a hardware PMU."""
    kind, tid = _kind_thread_args(argv, "prev")
    goto_entry(_step(cat.catalog().select(kind, tid), -1))


@command("follow")
def follow(argv):
    """Follow a connection to its other end.

Usage: pyr follow

On a connect, goes to the accept that answered it, in the server's thread. On an accept, goes
back to the connect. The pairing comes from the addresses rr recorded for both calls."""
    if argv:
        raise PyrError("pyr follow: takes no arguments")
    e = _at_indexed_event()
    if e is None:
        w = _current_when()
        e = cat.catalog().by_land.get(w) if w is not None else None
    if e is None or e["kind"] not in ("connect", "accept"):
        raise PyrError("pyr follow: not on a connect or an accept; go to one first "
                       "(pyr next connect)")
    if not e["peer"]:
        raise PyrError("pyr follow: the %s at event %d has no recorded other end in this trace "
                       "(failed, not TCP, or the peer is outside the recording)" %
                       (e["kind"], e["event"]))
    goto_event(e["peer"])


@command("where")
def where(argv):
    """Show where the replay is.

Usage: pyr where

Prints the position (event, ticks, tid, pc), the C and Python locations, the nearest indexed
events before and after, and the marks at this event."""
    if argv:
        raise PyrError("pyr where: takes no arguments")
    if not motion.alive():
        raise PyrError("pyr where: the program is not running (it ended, or the replay has not "
                       "started); use pyr goto N")
    lines = _position_lines()
    catalog = cat.catalog()
    w = motion.when()
    on = _at_indexed_event()
    if on is not None:
        lines.append("At:     event %d  %s" % (on["event"], cat.describe(on)))
    before, after = _split(catalog.events)
    lines.append("Before: " + ("event %d  %s" % (before[-1]["event"], cat.describe(before[-1]))
                               if before else "(no indexed event)"))
    lines.append("After:  " + ("event %d  %s" % (after[0]["event"], cat.describe(after[0]))
                               if after else "(no indexed event)"))
    from . import marks
    lines.extend(marks.marks_here_lines(w))
    print("\n".join(lines))


@command("events", _complete_kind_thread)
def events(argv):
    """List the indexed thread, process and socket events, with an arrow at the current position.

Usage: pyr events [KIND] [--thread TID]

KIND is one of {KINDS}. Without it, every indexed event.

--thread TID lists only the events of that thread."""
    kind, tid = _kind_thread_args(argv, "events")
    catalog = cat.catalog()
    chosen = catalog.select(kind, tid)
    w = _current_when()
    on = _at_indexed_event()
    ahead = _split(chosen)[1]
    first_ahead = ahead[0]["order"] if ahead else None
    out = []
    arrow_done = w is None
    for e in chosen:
        if not arrow_done and e["order"] == first_ahead:
            out.append("=> (you are here: event %d)" % w)
            arrow_done = True
        mark = "=>" if on is not None and on["order"] == e["order"] else "  "
        if mark == "=>":
            arrow_done = True
        out.append("%s %7d  %s" % (mark, e["event"], cat.describe(e)))
        py = _deep_suffix(e)
        if py:
            out[-1] += py
    if not arrow_done:
        out.append("=> (you are here: event %d)" % w)
    if not chosen:
        out.append("(no indexed events match)")
    print("\n".join(out))


@command("index")
def index(argv):
    """Build (or rebuild) the trace's event index, with no replay.

Usage: pyr index

Reads rr's `events` and `tasks` streams and saves the index of thread and socket events in
<trace>/pyreplay/index, as `pyreplay index TRACE` does. pyr offers this when the trace has no
index yet, or a stale one (the trace was re-recorded)."""
    if argv:
        raise PyrError("pyr index: takes no arguments")
    trace = core.trace_dir()
    count = core.call(core.core().build_index, trace)
    cat.reload()
    print("Indexed %s: %d events in %s" % (trace, count, os.path.join(trace, "pyreplay", "index")))
