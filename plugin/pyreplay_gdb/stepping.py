"""`pyr step`, `pyr next-line`, `pyr finish`, and backward `pyr rstep`, `pyr rnext`, `pyr rfinish`:
Python-level stepping in the selected thread, with or without a PMU.

Forward steps run the walker (walker.py) until the next line event (CPython 3.11's settrace
rule, replay/stepping/line_events.h). Backward steps never use rr's reverse execution: they
restart at an rr checkpoint before the position, scan forward with the same kind of watch set,
recording line events, and land on the wanted one by a counted run (docs/CPYTHON.md, docs/RR.md).

Every position a step lands on gets an rr checkpoint, and the walked path is kept: a node per
position with the node known to come before it. Undoing a step along that path is one restore.
A scan's line events are kept too, so a second backward step inside a scanned stretch is one
restore plus a short counted run.
"""


import gdb

from . import motion
from . import stacks
from . import walker as wk
from .core import PyrError, command

_MAX_NODES = 200  # rr keeps each checkpoint as a forked process; past this, old ones are dropped


class Node:
    """A position the stepper knows, with an rr checkpoint there."""

    def __init__(self, ckpt, st, is_line):
        self.ckpt = ckpt          # an rr checkpoint that restores exactly, or None
        self.run = None           # or: `run N` lands here
        self.recipe = None        # or: (parent node, policy, base, walker stops, then exact pc)
        self.when = motion.when()
        self.tid = motion.current_tid()
        self.pc = motion.pc()
        self.regs = dict(motion.registers())
        self.st = st              # the innermost frame's step_state (or None)
        self.is_line = is_line    # landed on a line event
        self.prev = None          # a node known to come before this one
        self.via = None           # how prev reached this: "step", "next", "finish", "scan"
        self.saw_deeper = False   # a "next" from prev passed through deeper frames
        self.scan = None          # (Scan, stop index) when this node is a stop of a scan
        self.first_write = None   # (address, value): from the recipe's parent, the first time
                                  # that address changes to that value is here

    def depth(self):
        return self.st["depth"] if self.st else 0

    def ready(self):
        return self.ckpt is not None or self.run is not None or self.recipe is not None

    def matches_here(self):
        try:
            return (motion.alive() and motion.current_tid() == self.tid and
                    motion.pc() == self.pc and dict(motion.registers()) == self.regs and
                    motion.when() == self.when)
        except (gdb.error, PyrError):
            return False


class Scan:
    """The line events a walker saw from checkpoint node `origin` under (policy, base)."""

    def __init__(self, origin, policy, base):
        self.origin = origin
        self.policy = policy
        self.base = base
        self.events = []   # (stop index, step_state, first_write or None, when, registers)


class Walk:
    def __init__(self):
        self.current = None
        self.nodes = []
        self.stats = {"restarts": 0, "stops": 0, "scans": 0}

    def add(self, node):
        self.nodes.append(node)
        if len(self.nodes) > _MAX_NODES:
            self.nodes.pop(0)
        self.current = node
        return node

    def here(self):
        """The node of the current position, if the replay is still there."""
        if self.current is not None and self.current.matches_here():
            return self.current
        self.current = None
        return None


WALK = Walk()


def _checkpoint():
    """The stepper plants no rr checkpoints of its own. In no-PMU mode rr 5.6.0 orders the
    several marks it keeps inside one event by replaying between them, which needs ticks: with
    more than one checkpoint in an event, a later `restart` may replay past its target and rr
    aborts ("Current mark ... is already after target"), ending the session. Nodes are restored
    by `run N` (rr's own event checkpoints) plus a counted walker run instead."""
    return None


def _restore(node):
    """Puts the replay back at `node`, exactly: its checkpoint, its `run N`, or its recipe (the
    parent restored, then the same walker run)."""
    if node.ckpt is not None:
        WALK.stats["restarts"] += 1
        motion.restart_checkpoint(node.ckpt)
    elif node.run is not None:
        WALK.stats["restarts"] += 1
        with motion._UserBreakpointsOff():
            motion.run_to(node.run)
    elif node.recipe is None:
        _anchor(node)  # finding the way there leaves the replay there
    else:
        parent, policy, base, stops, exact = node.recipe
        _restore(parent)
        motion.select_tid(node.tid)
        with motion._UserBreakpointsOff():
            if node.first_write is not None and not exact:
                if _run_to_first_write(node.first_write, node.when, node.regs, node.tid):
                    WALK.current = node
                    return
                _restore(parent)  # it did not land there: count the walker's stops instead
                motion.select_tid(node.tid)
            if stops:
                w = wk.Walker(node.tid, policy, base)
                w.start()
                w.run_count(stops)
                WALK.stats["stops"] += w.stops
            if exact:
                _stop_at_registers(node)
    motion.select_tid(node.tid)
    WALK.current = node


def _first_write(w):
    """(address, value) when the walker's last stop is that value's first write to a watched
    address since it started (a stop one conditional watch finds again), else None."""
    return w.trigger[:2] if w.trigger is not None and w.trigger[2] == 1 else None


def _run_to_first_write(first_write, when, regs, tid):
    """Lands on a walker stop by its first write (one rr-side conditional watch instead of one
    stop per instruction), and checks it is the same place: `when` and every register."""
    address, value = first_write
    if not motion.run_to_write(address, value, when):
        return False
    motion.select_tid(tid)
    return (motion.current_tid() == tid and motion.when() == when and
            dict(motion.registers()) == regs)


def _stop_at_registers(node):
    """Continues to node's pc in its thread until all registers and `when` match."""
    bp = gdb.Breakpoint("*0x%x" % node.pc, internal=True)
    bp.silent = True
    thread = motion.gdb_thread(node.tid)
    if thread is not None:
        bp.thread = thread.num
    try:
        for _ in range(wk.MAX_STOPS):
            if motion.alive() and motion.current_tid() == node.tid and motion.pc() == node.pc \
                    and dict(motion.registers()) == node.regs and motion.when() == node.when:
                return
            gdb.execute("continue", to_string=True)
            if not motion.alive() or motion.when() > node.when:
                break
    finally:
        bp.delete()
    raise PyrError("pyr: could not return to event %d, pc 0x%x" % (node.when, node.pc))


def _anchor(node):
    """Finds a recipe for a node that has none (where a walk began: a breakpoint, a `goto`):
    `run` to before its event, then continue to its pc in its thread until every register
    matches. No watchpoints, so restoring it later costs one `run` and a few stops."""
    origin = _new_restart_point(node.when, node.tid)
    if origin is None:
        raise PyrError("pyr: cannot return to event %d: thread %d is not there before it"
                       % (node.when, node.tid))
    with motion._UserBreakpointsOff():
        _stop_at_registers(node)
    node.recipe = (origin, "none", None, 0, True)


def _tid():
    if not motion.alive():
        raise PyrError("pyr: the program is not running (it ended, or the replay has not "
                       "started); use `pyr goto N` first")
    return motion.current_tid()


def _here_node(tid):
    """The node for where we stand now (new when the replay moved since the last step); it
    finds its way back here only when first needed (_anchor)."""
    node = WALK.here()
    if node is not None:
        return node
    st = wk.Walker(tid).start()
    return WALK.add(Node(_checkpoint(), st, False))


# --- Printing ----------------------------------------------------------------------------------

def location_lines(st):
    if st is None:
        return ["(no Python frame)"]
    line = st["line"] if st["line"] is not None else "?"
    out = ["%s:%s in %s()" % (st["file"], line, st["function"])]
    src = stacks._source(st["file"], st["line"])
    if src:
        out.append("    " + src)
    return out


def _report(node):
    lines = location_lines(node.st)
    lines[0] += "  [event %d, tid %d]" % (node.when, node.tid)
    gdb.write("\n".join(lines) + "\n")


# --- Forward -----------------------------------------------------------------------------------

def _forward(mode, tid):
    start = _here_node(tid)
    w = wk.Walker(tid)
    st0 = w.start()
    if st0 is None:
        raise PyrError("pyr %s: thread %d has no Python frame right now (it runs only C code); "
                       "select a thread that does (`pyr bt --all`)" % (mode, tid))
    depth = st0["depth"]
    if mode == "step":
        want = lambda st: st["event"]
    elif mode == "next-line":
        w.policy, w.base = "next", depth
        want = lambda st: st["event"] and st["depth"] <= depth
    else:  # finish
        if depth <= 1:
            raise PyrError("pyr finish: %s() is the outermost Python frame of thread %d; it has "
                           "no caller to return to" % (st0["function"], tid))
        w.policy, w.base, w.sparse = "next", depth - 1, False  # the caller's first instruction
        want = lambda st: st["depth"] <= depth - 1 and w.moved
    deeper = [False]

    def on_stop(st):
        if st is not None and st["depth"] > depth:
            deeper[0] = True
        return False

    try:
        with motion._UserBreakpointsOff():
            st = w.run(want, on_stop=on_stop)
    except wk.Ended:
        _restore(start)
        raise PyrError("pyr %s: the trace ends before thread %d runs another Python line; "
                       "stayed at %s" % (mode, tid, location_lines(st0)[0])) from None
    WALK.stats["stops"] += w.stops
    motion.select_tid(tid)
    node = Node(_checkpoint(), st, mode != "finish")
    node.prev, node.via, node.saw_deeper = start, mode, deeper[0]
    node.recipe = (start, w.spec(), w.base, w.stops, False)
    node.first_write = _first_write(w)
    return WALK.add(node)


# --- Backward ----------------------------------------------------------------------------------

def _qualifier(mode, depth):
    if mode == "rstep":
        return lambda st: st["event"]
    if mode == "rnext":
        return lambda st: st["event"] and st["depth"] <= depth
    return lambda st: st["event"] and st["depth"] < depth


def _policy(mode, depth):
    return ("step", None) if mode == "rstep" else ("next", depth)


def _shortcut(mode, node):
    """The walked node a backward step lands on without scanning, or None."""
    q = node.prev
    if q is None or not q.is_line or q.tid != node.tid or q.st is None or node.st is None:
        return None
    if node.via == "step" or (node.via == "next-line" and not node.saw_deeper):
        # no line event of any depth lies between q and node
        if mode == "rstep":
            return q
        if mode == "rnext" and q.depth() <= node.depth():
            return q
        if mode == "rfinish" and q.depth() < node.depth():
            return q
    if node.via == "next-line" and mode == "rnext" and q.depth() <= node.depth():
        return q  # no line event at depth <= node's between them
    return None


def _from_scan(mode, node):
    """The target inside the scan that found `node`, as (scan, index, st), or None."""
    if node.scan is None:
        return None
    scan, index = node.scan
    policy = _policy(mode, node.depth())
    if (scan.policy, scan.base) != policy:
        return None
    qualify = _qualifier(mode, node.depth())
    found = [(e[0], e[1]) for e in scan.events if e[0] < index and qualify(e[1])]
    return (scan,) + found[-1] if found else None


def _restart_points(node):
    """Nodes with rr checkpoints known to be before `node`, latest first: the walked chain
    before it, then any node of an earlier event."""
    out, seen = [], {id(node)}
    chain = node.prev
    while chain is not None and id(chain) not in seen:
        seen.add(id(chain))
        out.append(chain)
        chain = chain.prev
    others = [n for n in WALK.nodes if n.when < node.when and id(n) not in seen]
    out.extend(sorted(others, key=lambda n: n.when, reverse=True))
    return [n for n in out if n.tid == node.tid or n.when < node.when]


def _event_before(when, tid, back=1):
    """The `back`-th latest recorded event of thread `tid` before `when`, from the event index:
    where the thread last made a syscall rr records (it blocked there, or started). None before
    the thread's first event."""
    own = [e[0] for e in _sites() if e[1] == tid and e[0] < when]
    if not own:
        return None
    return own[max(0, len(own) - back)]


_run_before = {}  # event -> the `run` argument that lands at or before it


def _sites():
    from .catalog import raw_sites
    return raw_sites()


def _new_restart_point(event, tid):
    """A checkpoint node at the start of (or just before) `event`, by `run`."""
    with motion._UserBreakpointsOff():
        if event in _run_before:  # `run N` lands at N+1 or later: remember what worked
            n = _run_before[event]
            if ("run", n) in motion.CHECKPOINTS.by_key:
                motion.CHECKPOINTS.restart(("run", n))
                WALK.stats["restarts"] += 1
            else:
                motion.run_to(n)
        else:
            n = _run_before[event] = motion.run_before(event)
    if motion.select_tid(tid) is None:
        return None
    try:
        st = wk.Walker(tid).start()
    except PyrError:
        st = None
    # One rr checkpoint where `run` landed, as `pyr goto` keeps at events: restoring it is
    # cheaper than running again, and it is the only checkpoint the stepper makes in that event.
    node = Node(motion.CHECKPOINTS.make(("run", n)), st, False)
    node.run = n
    return WALK.add(node)


def _session_checkpoint(node):
    """A node for the latest rr checkpoint this session made before node's event (`pyr goto`
    keeps one at each event it lands on; the stepper one where each `run` landed), or None."""
    key = motion.CHECKPOINTS.best_before(node.when)
    if key is None:
        return None
    motion.CHECKPOINTS.restart(key)
    WALK.stats["restarts"] += 1
    if motion.select_tid(node.tid) is None:
        return None
    try:
        st = wk.Walker(node.tid).start()
    except PyrError:
        return None
    return WALK.add(Node(motion.CHECKPOINTS.by_key[key][0], st, False))


def _scan(origin, mode, target, tid, cut_after=None):
    """Restarts at `origin` and walks forward to `target` (a Node: exact registers and `when`),
    recording the line events on the way. Returns (Scan, the stop index of target, True), or
    (None, None, False) when the thread has no Python state at origin. A target that is not a
    walker stop (a `goto` or breakpoint position) is met at its pc; its index is then half a stop
    after the walker stop before it.

    With `cut_after`, the walk ends at its first stop past that event: an earlier scan covered
    the rest. It then returns (Scan, one past its last stop, False)."""
    depth = target.depth()
    policy, base = _policy(mode, depth)
    if not (WALK.current is origin and origin.matches_here()):
        _restore(origin)
    WALK.stats["scans"] += 1
    try:
        w = wk.Walker(tid, policy, base)
        w.start()
    except PyrError:
        return None, None, False
    scan = Scan(origin, policy, base)
    found = [None]
    cut = [False]

    def on_stop(st):
        if motion.pc() == target.pc and dict(motion.registers()) == target.regs and \
                motion.when() == target.when:
            found[0] = w.stops if w.counted else w.stops + 0.5
            return True
        if cut_after is not None and motion.when() > cut_after:
            cut[0] = True
            return True
        if w.counted and st is not None and st["event"] and \
                (policy == "step" or st["depth"] <= base):
            scan.events.append((w.stops, st, _first_write(w), motion.when(),
                                dict(motion.registers())))
        if w.stops % 64 == 0 and motion.when() > target.when:
            raise PyrError("pyr: the backward scan passed the position (event %d) without "
                           "stopping there" % target.when)
        return False

    # The target's breakpoint lives and dies inside the walk's always-inserted stretch: deleted
    # after it, gdb would go on counting it as inserted (motion.AlwaysInserted).
    bp = None
    try:
        with motion._UserBreakpointsOff(), motion.AlwaysInserted():
            try:
                if not target.is_line:
                    bp = gdb.Breakpoint("*0x%x" % target.pc, internal=True)
                    bp.silent = True
                    thread = motion.gdb_thread(tid)
                    if thread is not None:
                        bp.thread = thread.num
                w.run(lambda st: False, on_stop=on_stop)
            finally:
                if bp is not None and bp.is_valid():
                    bp.delete()
    except wk.Ended:
        raise PyrError("pyr: the backward scan reached the end of the trace without meeting the "
                       "position it started from") from None
    finally:
        WALK.stats["stops"] += w.stops
    if cut[0]:
        return scan, w.stops + 1, False
    return scan, found[0], True


def _backward(mode, tid):
    node = _here_node(tid)
    try:
        return _backward_from(node, mode, tid)
    except PyrError:
        # Whatever went wrong on the way (memory CPython has unmapped since, a scan that
        # went astray), the step does not leave the user somewhere else.
        if not node.matches_here():
            try:
                _restore(node)
            except PyrError:
                pass
        raise


def _rstep_through_rnext(node, tid):
    """`pyr rstep` as `pyr rnext` then a short scan: the last line at this depth or above before
    the position (R) is where the step-policy scan needs to start, because every line between R
    and the position is deeper, inside calls R's line made. Scanning every frame from an older
    restart point instead can cost thousands of stops (a module's imports). Returns the landed
    node, or None (nothing at this depth or above: the caller scans the old way)."""
    try:
        r = _backward_from(node, "rnext", tid)
    except PyrError:
        return None
    scan, index, met = _scan(r, "rstep", node, tid)
    if scan is None or not met:
        _restore(node)
        return None
    hits = [e for e in scan.events if e[0] < index and e[1]["event"]]
    if hits:
        return _land(scan, hits[-1][0], tid)
    _restore(r)
    return r


def _backward_from(node, mode, tid):
    if node.st is None:
        raise PyrError("pyr %s: thread %d has no Python frame right now (it runs only C code); "
                       "select a thread that does (`pyr bt --all`)" % (mode, tid))
    target = _shortcut(mode, node)
    if target is not None:
        _restore(target)
        return target
    inscan = _from_scan(mode, node)
    if inscan is not None:
        scan, index, _ = inscan
        return _land(scan, index, tid)
    if mode == "rstep":
        landed = _rstep_through_rnext(node, tid)
        if landed is not None:
            return landed
    qualify = _qualifier(mode, node.depth())
    if mode == "rfinish" and node.depth() <= 1:
        raise PyrError("pyr rfinish: %s() is the outermost Python frame of thread %d; nothing "
                       "called it from Python" % (node.st["function"], tid))
    known = [n for n in _restart_points(node) if n.ready()]
    origin = None
    cut_after = None  # the origin of the last scan that found nothing: later scans stop there
    back = 4  # the thread's recorded events to go back by, x4 each time: scans are cheap, runs not
    for _ in range(64):
        # The next origin: a known node before the last one tried, else a new checkpoint
        # before the thread's previous recorded event (the event index says where it blocked).
        if origin is None:
            origin = known[0] if known else (_session_checkpoint(node) or
                                             _new_restart_point(node.when, tid))
        else:
            later = origin
            earlier = [n for n in known[known.index(later) + 1:]] if later in known else []
            earlier = [n for n in earlier if n.when < later.when or n in _chain(later)]
            # further back each time: 4, 16, 64, ... of the thread's recorded events; a known
            # node is reused only when it is no further back than that (a scan's cost grows
            # with its length, and an old node may lie far behind)
            event = _event_before(later.when, tid, back)
            back *= 4
            if earlier and (event is None or earlier[0].when >= event):
                origin = earlier[0]
            else:
                origin = _new_restart_point(event, tid) if event is not None else None
        if origin is None:
            break
        scan, index, met = _scan(origin, mode, node, tid, cut_after)
        if scan is None:
            break  # the thread had no Python state there: nothing earlier to find
        if index is None:
            _restore(node)
            raise PyrError("pyr %s: the scan from event %d did not meet this position again"
                           % (mode, origin.when))
        if met and not node.ready():
            node.recipe = (origin, scan.policy, scan.base, int(index), index != int(index))
        hits = [(e[0], e[1]) for e in scan.events if e[0] < index and qualify(e[1])]
        if hits:
            if met:  # the scan saw everything up to here: later steps back can use it
                node.scan = (scan, index)
            return _land(scan, hits[-1][0], tid)
        cut_after = origin.when
    try:
        _restore(node)
    except PyrError:
        pass
    raise PyrError("pyr %s: no earlier Python line in thread %d in this trace (this is the first "
                   "line it ran%s); stayed here" % (
                       mode, tid, "" if mode == "rstep" else " at this depth or above"))


def _chain(node):
    out, n = [], node.prev
    while n is not None and len(out) < _MAX_NODES:
        out.append(n)
        n = n.prev
    return out


def _land(scan, index, tid):
    """Restore the scan's origin and go to the scan's line event at stop `index`: by its first
    write when it has one, else by counting `index` walker stops."""
    _restore(scan.origin)
    entry = next((e for e in scan.events if e[0] == index), None)
    landed = False
    with motion._UserBreakpointsOff():
        if entry is not None and entry[2] is not None:
            landed = _run_to_first_write(entry[2], entry[3], entry[4], tid)
            if not landed:
                _restore(scan.origin)
        if landed:
            st = entry[1]
        else:
            w = wk.Walker(tid, scan.policy, scan.base)
            w.start()
            st = w.run_count(index)
            WALK.stats["stops"] += w.stops
    motion.select_tid(tid)
    node = Node(_checkpoint(), st, True)
    node.first_write = entry[2] if entry is not None else None
    node.prev, node.via = scan.origin, "scan"
    node.scan = (scan, index)
    node.recipe = (scan.origin, scan.policy, scan.base, index, False)
    return WALK.add(node)


# --- Commands ----------------------------------------------------------------------------------

def _count(argv, name):
    if len(argv) > 1:
        raise PyrError("pyr %s: takes one optional COUNT (see `help pyr %s`)" % (name, name))
    if not argv:
        return 1
    try:
        n = int(argv[0])
    except ValueError:
        raise PyrError("pyr %s: COUNT must be a whole number, not %r" % (name, argv[0])) from None
    if n < 1:
        raise PyrError("pyr %s: COUNT must be at least 1" % name)
    return n


def _repeat(name, argv, one):
    n = _count(argv, name)
    tid = _tid()
    node = None
    for _ in range(n):
        node = one(name, tid)
    motion.select_tid(tid)
    _report(node)


@command("step")
def step(argv):
    """Step to the next Python line in this thread, into calls.

Usage: pyr step [COUNT]

Runs the selected thread forward to its next Python "line" event, exactly where sys.settrace
would see one: into a called Python function, a resumed generator or coroutine, or back in the
caller. Other threads run as recorded but never stop the step; your breakpoints are set aside
meanwhile. Prints the new Python location and its source line.

COUNT: how many steps (default 1)."""
    _repeat("step", argv, _forward)


@command("next-line")
def next_line(argv):
    """Step to the next Python line in this frame, over calls.

Usage: pyr next-line [COUNT]

Like `pyr step`, but calls made by this line run to completion; stops at the next line of this
frame, or of its caller once it returns (or of a handler, when an exception unwinds it).

COUNT: how many lines (default 1)."""
    _repeat("next-line", argv, _forward)


@command("finish")
def finish(argv):
    """Run until the current Python function returns to its caller.

Usage: pyr finish [COUNT]

Stops at the caller's first instruction after the return (still on the calling line), or where
the exception unwinding it is handled.

COUNT: how many frames to finish (default 1)."""
    _repeat("finish", argv, _forward)


@command("rstep")
def rstep(argv):
    """Step back to the previous Python line in this thread, into calls.

Usage: pyr rstep [COUNT]

The exact reverse of `pyr step`: lands on the previous line event, which may be the last line
of a function that just returned. Works without a PMU: it replays forward from an rr
checkpoint and counts, never using rr's reverse execution. Undoing steps just walked is one
checkpoint restore each.

COUNT: how many steps (default 1)."""
    _repeat("rstep", argv, _backward)


@command("rnext")
def rnext(argv):
    """Step back to the previous Python line in this frame, over calls.

Usage: pyr rnext [COUNT]

The reverse of `pyr next-line`: the previous line of this frame; from a function's first line,
the line of the caller that called it.

COUNT: how many lines (default 1)."""
    _repeat("rnext", argv, _backward)


@command("rfinish")
def rfinish(argv):
    """Go back to where the current Python function was called.

Usage: pyr rfinish [COUNT]

Lands on the caller's line that made the call (its line event, before the call began).

COUNT: how many frames (default 1)."""
    _repeat("rfinish", argv, _backward)


def stats():
    return dict(WALK.stats)
