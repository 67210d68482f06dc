"""Moving a replay to exact places, forward only (safe in no-PMU mode).

Nothing here uses rr's reverse execution: every backward move restarts at an rr checkpoint or
with `run N`, then runs forward with a breakpoint, counting hits (docs/RR.md, "Going
backward without a PMU"). Checkpoints are made at every landed event and mark and reused: a jump starts
from the nearest known point at or before its target.
"""

import os
import re
import time

import gdb

from .core import PyrError, core

# gdb's general registers on x86-64 linux, the ones a position is compared on.
GENERAL_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                     "r11", "r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es",
                     "fs", "gs", "fs_base", "gs_base", "orig_rax")
_MAX_STOPS = 200000  # a runaway search ends with an error, never a hang


def _quiet(cmd):
    return gdb.execute(cmd, to_string=True)


def when():
    """rr's event number here (its frame time), the same on every rr release: the C++ core reads
    `when`'s text, which changed in rr 5.8 (replay/common/rr_dialect.h)."""
    out = _quiet("when")
    lib = core()
    try:
        return lib.parse_rr_when(out)
    except lib.Error:
        raise PyrError("pyr: rr did not say where we are (`when` printed %r); is this an rr "
                       "replay of %s?" % (out.strip(), lib.supported_rr_range())) from None


def ticks():
    lib = core()
    try:
        return lib.parse_rr_ticks(_quiet("when-ticks"))
    except (gdb.error, lib.Error):
        return 0


def alive():
    try:
        return gdb.selected_thread() is not None and gdb.selected_inferior().pid > 0
    except (gdb.error, RuntimeError):
        return False


def current_tid():
    """The recorded tid of the selected thread (gdb shows recorded tids; rr's `when-tid` shows
    the replaying process's own tid, which differs)."""
    thread = gdb.selected_thread()
    if thread is None:
        raise PyrError("pyr: no thread is selected (has the program exited?)")
    return thread.ptid[1]


def gdb_thread(tid):
    for thread in gdb.selected_inferior().threads():
        if thread.ptid[1] == tid:
            return thread
    return None


def select_tid(tid):
    thread = gdb_thread(tid)
    if thread is not None:
        thread.switch()
    return thread


def pc():
    return int(gdb.newest_frame().pc())


def registers():
    """[(name, value)] of the general registers in the selected thread's innermost frame."""
    frame = gdb.newest_frame()
    out = []
    for name in GENERAL_REGISTERS:
        try:
            out.append((name, int(frame.read_register(name)) & 0xFFFFFFFFFFFFFFFF))
        except (gdb.error, ValueError):
            continue
    return out


def here():
    """(when, tid, pc) of the selected thread."""
    return when(), current_tid(), pc()


# --- Checkpoints -----------------------------------------------------------------------------

class Checkpoints:
    """rr checkpoints this session made, keyed by what they stand for.

    rr's `run N` starts from the latest checkpoint before event N (explicit ones included), so
    every landing leaves one and later jumps near it replay only the gap. Each checkpoint keeps
    forked copies of the traced processes, so the oldest event checkpoints are deleted beyond
    MAX_EVENT_CHECKPOINTS; marks keep theirs."""

    MAX_EVENT_CHECKPOINTS = 40

    def __init__(self):
        self.by_key = {}   # key -> (checkpoint id, when), oldest first

    def make(self, key):
        if key in self.by_key:
            return self.by_key[key][0]
        if not checkpointable_here():
            return None  # rr could only mark it, and restarting a mark fails without ticks
        lib = core()
        try:
            ckpt = lib.parse_rr_checkpoint(_quiet("checkpoint"))
        except lib.Error:
            return None  # rr refused ("The program is not being run.")
        self.by_key[key] = (ckpt, when())
        self._trim()
        return ckpt

    def _trim(self):
        events = [k for k in self.by_key if k[0] == "event"]
        for key in events[:max(0, len(events) - self.MAX_EVENT_CHECKPOINTS)]:
            ckpt, _ = self.by_key.pop(key)
            try:
                _quiet("delete checkpoint %d" % ckpt)
            except gdb.error:
                pass

    def restart(self, key):
        ckpt, _ = self.by_key[key]
        restart_checkpoint(ckpt)

    def best_before(self, event):
        """The key of the checkpoint with the largest `when` < event, or None."""
        best = None
        for key, (_, w) in self.by_key.items():
            if w < event and (best is None or w > self.by_key[best][1]):
                best = key
        return best

    def forget_all(self):
        self.by_key.clear()


CHECKPOINTS = Checkpoints()


def checkpointable_here():
    """Whether an rr `checkpoint` here is a real clone that `restart` restores exactly: not while
    the next event to replay is a syscallbuf flush/reset/abort, a map growth or an exit (rr
    5.6.0 cannot clone then, and its restart to a mere mark fails without ticks)."""
    from .catalog import raw_sites
    sites = raw_sites()
    event = when()
    return 1 <= event <= len(sites) and (len(sites[event - 1]) <= 9 or bool(sites[event - 1][9]))
STATS = {"runs": 0, "restarts": 0, "stops": 0}


# --- User breakpoints stay out of our way ------------------------------------------------------

class _UserBreakpointsOff:
    def __enter__(self):
        self.disabled = []
        for bp in gdb.breakpoints() or ():
            if bp.enabled and bp.is_valid() and bp.number > 0:
                bp.enabled = False
                self.disabled.append(bp)
        return self

    def __exit__(self, *exc):
        for bp in self.disabled:
            if bp.is_valid():
                bp.enabled = True
        return False


# --- Restarting the replay without gdb's re-run ------------------------------------------------
#
# gdb's `restart N` (rr's `run cN`) and `run N` make gdb kill and re-run its inferior: rr restores
# its checkpoint in about 4 ms, and gdb then spends 50-120 ms re-reading every shared library's
# symbols, although the replayed process, its pid and its mappings are the same. The pyr
# commands send rr the same `vRun` request themselves and bring gdb's view up to date by hand:
# registers and frames (flushed), the thread list and shared libraries (re-read), the thread rr reads registers
# for (`Hg`, which gdb caches and rr resets on a restart), and the stop rr owes gdb's `run`. gdb's breakpoints and watchpoints are
# out of the target whenever it is stopped (gdb's default, `breakpoint always-inserted off`), so
# rr dropping them on a restart changes nothing gdb relies on; gdb inserts them on the next
# resume. A gdb `restart` is still used when the program is not running, and when rr refuses.

_RAW_RESTART = {"enabled": not os.environ.get("PYREPLAY_GDB_RESTART")}


def _raw_restart(argument):
    """Sends rr `vRun` with `argument` ("c3": checkpoint 3; "1386": event 1386). Returns the
    stopped thread's recorded tid, or None when this cannot be done here (gdb re-runs then)."""
    if not _RAW_RESTART["enabled"] or not alive() or \
            _RAW_RESTART.pop("breakpoints_inserted", False):
        return None
    thread = gdb.selected_thread()
    pid, lwp = thread.ptid[0], thread.ptid[1]
    # gdb caches the thread rr reads registers for, and skips `Hg` when it thinks rr already
    # has the one it wants. Make that cache name this thread (reading a register sends `Hg`
    # if it named another), then tell rr the same after its restart.
    _quiet("maint flush register-cache")
    gdb.newest_frame().read_register("rip")
    out = _quiet("maint packet vRun;;%s" % argument.encode().hex())
    m = re.search(r'received: "[TS][0-9a-fA-F]{2}(?:.*?thread:p([0-9a-f]+)\.([0-9a-f]+);)?', out)
    if not m:
        # rr refused (no such checkpoint): its own message is in `out`; let gdb's re-run say it
        return None
    # rr answers the first resume after a restart with an immediate stop (gdb's `run` eats it
    # as "Thread 1 stopped."); take it now, or the next `continue` would stop where it began.
    _quiet("maint packet vCont;c")
    _quiet("maint packet Hgp%x.%x" % (pid, lwp))
    if _RAW_RESTART.get("reinsert"):
        _reinsert_internal_breakpoints()
    _quiet("maint flush register-cache")
    # gdb learns of shared libraries at the dynamic loader's breakpoint, which a jump can skip
    # (from the start of a replay, before any was mapped, straight past their loading): read
    # the loader's list as it is now. Costs a few reads when nothing changed.
    _quiet("sharedlibrary")
    _quiet("info threads %d" % thread.num if thread.is_valid() else "info threads")
    stopped = int(m.group(2), 16) if m.group(2) else lwp
    if select_tid(stopped) is None:
        select_tid(lwp)
    return stopped


def restart_checkpoint(ckpt):
    """Back to rr checkpoint `ckpt` (what gdb's `restart ckpt` does, 30x cheaper)."""
    STATS["restarts"] += 1
    if _raw_restart("c%d" % ckpt) is None:
        _quiet("restart %d" % ckpt)


class AlwaysInserted:
    """`set breakpoint always-inserted on` for a while: gdb then inserts a watchpoint once, when
    it is made, instead of at every resume, so a condition we gave rr for it (condition_watch)
    stays; and no breakpoint is removed and re-inserted at every stop (8 fewer packets per stop).

    Afterwards gdb still counts its internal breakpoints (the dynamic loader's) as inserted until
    the next stop; a restart behind its back (_raw_restart) must put them back in rr, or gdb's
    next removal of one rr no longer has would abort rr."""

    depth = 0

    def __enter__(self):
        if AlwaysInserted.depth == 0:
            _quiet("set breakpoint always-inserted on")
            _RAW_RESTART["reinsert"] = True
        AlwaysInserted.depth += 1
        return self

    def __exit__(self, *exc):
        AlwaysInserted.depth -= 1
        if AlwaysInserted.depth == 0:
            _quiet("set breakpoint always-inserted off")
        return False


def condition_watch(address, values):
    """Replaces, inside rr, gdb's watchpoint on the 8 bytes at `address` (inserted already, under
    AlwaysInserted) by one that stops only when they change to one of `values`: rr tests each
    write itself. Returns False (the watchpoint stays as it was) if rr refuses."""
    values = sorted(values)
    if not values or len(values) > 1500:  # rr evaluates at most 10,000 steps (4 per value)
        return False
    code = bytearray(b"\x25" + address.to_bytes(8, "big") + b"\x1a")  # const64; ref64
    code += b"\x25" + values[0].to_bytes(8, "big") + b"\x03"           # minus the lowest
    hit = []
    for value in values:   # dup; const32 offset; equal; if_goto hit
        code += b"\x28\x24" + (value - values[0]).to_bytes(4, "big") + b"\x13\x20"
        hit.append(len(code))
        code += b"\x00\x00"
    code += b"\x22\x00\x27"         # const8 0; end
    target = len(code)
    code += b"\x22\x01\x27"         # const8 1; end
    if target > 0xffff or values[-1] - values[0] >= 1 << 32:
        return False
    for at in hit:
        code[at:at + 2] = target.to_bytes(2, "big")
    reply = _quiet("maint packet Z2,%x,8;X%x,%s" % (address, len(code), bytes(code).hex()))
    return 'received: "OK"' in reply


def _reinsert_internal_breakpoints():
    """Puts gdb's enabled internal breakpoints (the dynamic loader's) back into rr after a
    restart behind gdb's back, in case gdb counts them as inserted (see AlwaysInserted).
    Inserting one gdb counts as removed is harmless: gdb's own insertion replaces it."""
    out = _quiet("maint info breakpoints")
    enabled = False
    for line in out.splitlines():
        top = re.match(r"^(-\d+)\s+.*?\s(keep|del|dis)\s+([yn])\s", line)
        if top:
            enabled = top.group(3) == "y"
            continue
        loc = re.match(r"^-\d+\.\d+\s+y\s+0x([0-9a-f]+)\s", line)
        if loc and enabled:
            _quiet("maint packet Z0,%s,1" % loc.group(1))
        elif re.match(r"^\d", line):
            enabled = False


def _equals_condition(address, value):
    """An agent expression (gdb's bytecode for target-side conditions) for
    `*(uint64_t *) address == value`, as a Z packet's `;X` argument."""
    code = (b"\x25" + address.to_bytes(8, "big") + b"\x1a" +   # const64 address; ref64
            b"\x25" + value.to_bytes(8, "big") + b"\x13\x27")  # const64 value; equal; end
    return "X%x,%s" % (len(code), code.hex())


def run_to_write(address, value, last_event):
    """Continues until the 8 bytes at `address` next change to `value`, with rr testing each
    change itself: one stop where a plain watchpoint makes one per write. Returns False, having
    moved, if the replay ends or passes `last_event` first.

    gdb sends no conditions for watchpoints, so we give rr ours: gdb's own watchpoint on the
    same 8 bytes is inserted first (`breakpoint always-inserted on` makes that happen at once),
    then the same `Z2` with a condition replaces it inside rr. With always-inserted off again,
    gdb does not insert it a second time on `continue`, and removes it at the stop as usual."""
    if AlwaysInserted.depth:
        return False  # it needs gdb to take its breakpoints out at the stop
    _quiet("set breakpoint always-inserted on")
    _RAW_RESTART["reinsert"] = True
    watch, reply = None, ""
    try:
        watch = gdb.Breakpoint("*(long *) 0x%x" % address, gdb.BP_WATCHPOINT, gdb.WP_WRITE,
                               internal=True)
        watch.silent = True
        reply = _quiet("maint packet Z2,%x,8;%s" % (address, _equals_condition(address, value)))
    finally:
        _quiet("set breakpoint always-inserted off")
    try:
        if 'received: "OK"' not in reply:
            # gdb still counts its breakpoints as inserted (always-inserted was on), so a
            # restart behind its back would lose them: the next one goes through gdb.
            _RAW_RESTART["breakpoints_inserted"] = True
            return False
        STATS["stops"] += 1
        _quiet("continue")
        return alive() and when() <= last_event
    finally:
        if watch is not None and watch.is_valid():
            watch.delete()


def run_to(n):
    """`run n`: restart the replay and land at the first stop rr makes at or after event n+1."""
    STATS["runs"] += 1
    if _raw_restart("%d" % max(n, 0)) is None:
        _quiet("run %d" % max(n, 0))
    return when()


def run_before(event):
    """`run event-k` for k = 1, 2, ... until it lands at `when` <= event. rr's `run` starts from
    the nearest of its checkpoints (ours included) or the current state before the target, so this
    is as cheap as the replay allows. Returns the `run` argument used."""
    n = event - 1
    while n >= 0:
        landed = run_to(n)
        if landed <= event:
            return n
        n -= max(1, landed - event)
    raise PyrError("pyr: rr cannot stop before event %d" % event)


def _stop_at(address, tid, until):
    """Continues with a breakpoint at `address` (in thread `tid`) until `until(when)` says
    "stop" (True) or "overshot" (None). Returns the number of hits in `tid`."""
    thread = gdb_thread(tid)
    bp = gdb.Breakpoint("*0x%x" % address, type=gdb.BP_BREAKPOINT, internal=True, temporary=False)
    bp.silent = True
    if thread is not None:
        bp.thread = thread.num
    hits = 0
    try:
        for _ in range(_MAX_STOPS):
            if alive() and current_tid() == tid and pc() == address:
                verdict = until(when())
                if verdict:
                    return hits
            _quiet("continue")
            STATS["stops"] += 1
            if not alive():
                raise PyrError("pyr: the program ended before the target was reached")
            w = when()
            if current_tid() == tid and pc() == address:
                hits += 1
                verdict = until(w)
                if verdict:
                    return hits
                if verdict is None:
                    raise PyrError("pyr: passed the target (now at event %d) without stopping "
                                   "there" % w)
            elif until(w) is None:
                raise PyrError("pyr: passed the target (now at event %d) without stopping "
                               "there" % w)
        raise PyrError("pyr: gave up after %d stops" % _MAX_STOPS)
    finally:
        bp.delete()


def syscall_pc(site):
    """Where the thread stands when a syscall entering event begins: the `syscall` instruction,
    2 bytes before the recorded rip."""
    return site["rip"] - 2 if site["phase"] == "entering" and site["rip"] else None


def land_at_event(site):
    """Moves to the instant event `site` begins, in its thread: for a syscall, at its `syscall`
    instruction with `when` == the event. Returns a note about how, for people.

    This session's checkpoint at that event is used as is. Otherwise rr's `run` lands there: it
    starts from the nearest of its checkpoints before the target (every landing and mark made
    one, see Checkpoints), or from the current state when that is closer, and replays forward.
    Continuing from an earlier point with a breakpoint on the `syscall` instruction does not: the
    traced syscalls run in rr's own page (0x70000000), and in our tests such a breakpoint never
    stopped the replay there; the run went on to the end."""
    event, tid = site["event"], site["tid"]
    key = ("event", event)
    if key in CHECKPOINTS.by_key:
        CHECKPOINTS.restart(key)
        select_tid(tid)
        return "its checkpoint"
    address = syscall_pc(site)
    with _UserBreakpointsOff():
        n = run_before(event)
        select_tid(tid)
        if address is not None:
            def until(w):
                if w == event:
                    return True
                return None if w > event else False
            _stop_at(address, tid, until)
    select_tid(tid)
    CHECKPOINTS.make(key)
    return "run %d" % n


# --- Exact positions inside an event (marks) -------------------------------------------------

def capture_position(key):
    """The exact position of the selected thread now, with its discriminator: the `run` argument
    and hit count that replay to it. Leaves the replay where it was (all registers equal), with
    an rr checkpoint there under `key`."""
    if not alive():
        raise PyrError("pyr: the program is not running; go to an event first (pyr goto N)")
    event, tid, address = here()
    regs = registers()
    target = dict(regs)
    CHECKPOINTS.by_key.pop(key, None)
    saved = CHECKPOINTS.make(key)
    n = event - 1
    result = None
    with _UserBreakpointsOff():
        while n >= 0 and result is None:
            landed = run_to(n)
            if landed > event:
                n -= max(1, landed - event)
                continue
            if _matches(event, tid, address, target):
                result = (n, 0)
                break
            def until(w):
                if w > event:
                    return None
                return w == event and _regs_equal(target)

            try:
                hits = _stop_at(address, tid, until)
                result = (n, hits)
            except PyrError:
                n -= 1  # the position is before this landing: start earlier
    if saved is not None:
        CHECKPOINTS.restart(key)
        select_tid(tid)
    if result is None:
        raise PyrError("pyr: cannot pin this position down by replaying forward")
    return {"event": event, "ticks": ticks(), "tid": tid, "pc": address,
            "restart_event": result[0], "hit_count": result[1], "registers": regs}


def _regs_equal(target):
    now = dict(registers())
    return all(now.get(name) == value for name, value in target.items())


def _matches(event, tid, address, target):
    return (alive() and when() == event and current_tid() == tid and pc() == address
            and _regs_equal(target))


def land_at_position(position, key):
    """Replays to an exact position (a mark's): its checkpoint when this session has one, else
    (PMU mode) rr's `seek-ticks` when that lands exactly, else `run restart_event` and the hit
    count. Raises unless all general registers then equal the saved ones."""
    event, tid, address = position["event"], position["tid"], position["pc"]
    target = dict((name, value) for name, value in position["registers"])
    if key in CHECKPOINTS.by_key:
        CHECKPOINTS.restart(key)
        select_tid(tid)
    elif not _seek_ticks(position, target):
        with _UserBreakpointsOff():
            run_to(position["restart_event"])
            if position["hit_count"]:
                _stop_at_count(address, tid, position["hit_count"], event)
        select_tid(tid)
    if not _matches(event, tid, address, target):
        now = "event %d, tid %d, pc 0x%x" % here() if alive() else "the program's end"
        raise PyrError("pyr: replaying the mark's position arrived at %s, not the marked event %d,"
                       " tid %d, pc 0x%x with the saved registers; was the trace re-recorded?"
                       % (now, event, tid, address))
    CHECKPOINTS.make(key)


def _seek_ticks(position, target):
    """PMU mode only, for a position with ticks > 0: the start of its event, then rr's
    `seek-ticks T` in its thread. True when that arrived exactly (when, tid, pc and every saved
    register); otherwise False, and the caller replays the hit-count discriminator. Without a
    PMU every tick is 0 and this returns at once: it is unexercised on such machines."""
    wanted = position.get("ticks") or 0
    if wanted <= 0:
        return False
    event, tid = position["event"], position["tid"]
    try:
        with _UserBreakpointsOff():
            run_before(event)
            if when() != event or select_tid(tid) is None:
                return False
            _quiet("seek-ticks %d" % wanted)
        select_tid(tid)
    except (gdb.error, PyrError):
        return False
    return _matches(event, tid, position["pc"], target)


def _stop_at_count(address, tid, wanted, event):
    """Continues to the `wanted`-th time thread `tid` reaches `address`."""
    thread = gdb_thread(tid)
    bp = gdb.Breakpoint("*0x%x" % address, type=gdb.BP_BREAKPOINT, internal=True)
    bp.silent = True
    if thread is not None:
        bp.thread = thread.num
    hits = 0
    try:
        while hits < wanted:
            _quiet("continue")
            STATS["stops"] += 1
            if not alive():
                raise PyrError("pyr: the program ended before the marked position")
            if current_tid() == tid and pc() == address:
                hits += 1
            if when() > event:
                raise PyrError("pyr: passed event %d before the marked position" % event)
    finally:
        bp.delete()


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start
