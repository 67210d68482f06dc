"""The stepper's engine: run one thread forward, stopping at each Python instruction that matters.

Watches (hardware write watchpoints, docs/CPYTHON.md "Where a line changes"):
  - `prev_instr` (3.13+: `instr_ptr`) of one frame B: every instruction B executes;
  - `tstate->cframe` (3.11, 3.12 only): a C-level eval loop is entered or left (generators,
    coroutines, calls from C);
  - `tstate->cframe->current_frame` (3.13+: `tstate->current_frame`): a Python-to-Python call or
    return, and the frames an exception unwinds.
From 3.13 on there is no _PyCFrame: the thread state itself plays the one "C frame", so the
walk needs one watchpoint fewer.
B is the innermost frame under policy "step", and the frame at depth `base` (or the innermost,
if shallower) under policy "next", so a `next` stops on calls and returns but never inside them.

The watch set at each stop is a function of the thread's state only, so from the same rr
checkpoint the same policy stops at the same places: a position is (checkpoint, policy, number
of stops), and a backward step is a scan forward plus a counted run (docs/RR.md "Going
backward without a PMU").
"""

import os

import gdb

from . import core
from . import line_starts
from . import motion
from . import stacks
from .core import PyrError

MAX_STOPS = 100000  # a runaway step ends with an error, never a hang
EVERY = "/every"    # a policy suffix: no sparse watches (see Walker)


class Ended(Exception):
    """The replay reached the end of the trace."""


_last_stop = {"breakpoints": ()}


def _on_stop(event):
    _last_stop["breakpoints"] = tuple(getattr(event, "breakpoints", ()) or ())


gdb.events.stop.connect(_on_stop)


_layout = {}


def _u64(address):
    data = stacks._read_memory(address, 8)
    if data is None:
        raise PyrError("pyr: cannot read memory at 0x%x" % address)
    return int.from_bytes(data, "little")


def layout():
    """The offsets the walker needs, from the recorded version's layout, and CPython's deopt
    table (only with debug info: `_PyOpcode_Deopt` is not exported)."""
    if not _layout:
        lay = stacks.layout()
        direct = bool(lay.get("tstate_current_frame"))
        minor = (lay.get("python_version", 0x030B0000) >> 16) & 0xff
        _layout.update({
            "direct": direct,  # 3.13+: the frame hangs off the thread state
            "tstate_cframe": lay["tstate_cframe"],
            # the "C frame"'s current_frame: 3.13+ the thread state's own
            "cframe_current_frame": lay["tstate_current_frame"] if direct
            else lay["cframe_current_frame"],
            "cframe_previous": lay.get("cframe_previous", 16),
            "frame_prev_instr": lay["frame_prev_instr"],
            "frame_previous": lay["frame_previous"],
            "frame_code": lay["frame_code"],
            "code_tag_mask": 7 if minor >= 14 else 0,  # _PyStackRef tag bits
            "code_code_adaptive": lay["code_code_adaptive"],
        })
        dec = stacks.decoder()
        try:  # specialised opcodes (RESUME_QUICK) count as their base opcode
            table = int(gdb.parse_and_eval("(unsigned long)&_PyOpcode_Deopt"))
            data = stacks._read_memory(table, 256)
            if data is not None:
                dec.set_deopt(data)
                _layout["deopt"] = data
        except gdb.error:
            pass
    return _layout


def _cframe(tstate):
    """The thread's current _PyCFrame (3.11, 3.12), or the thread state itself (3.13+)."""
    lay = layout()
    return tstate if lay["direct"] else _u64(tstate + lay["tstate_cframe"])


def _deopt_table():
    return layout().get("deopt")


def thread_tstate(tid):
    """The PyThreadState address of native thread `tid`, or a clear error."""
    interp = stacks.interpreter()
    if interp == 0:
        raise PyrError("pyr: the Python interpreter is not initialised at this point; there is "
                       "no Python line to step to yet")
    lib = core.core()
    try:
        return stacks.decoder().thread(interp, tid)["tstate"]
    except lib.Error:
        raise PyrError("pyr: thread %d has no Python frame here (it is not a Python thread, or "
                       "not yet); select another thread (`pyr bt --all` lists them)" % tid) \
            from None


class Walker:
    """Runs thread `tid` forward under a watch policy ("step", or "next" with a base depth)."""

    def __init__(self, tid, policy="step", base=None):
        self.tid = tid
        # "next/every": stop at every instruction of the watched frames, not only where a line
        # can start (`pyr finish` wants the caller's very first instruction after a return)
        self.sparse = not policy.endswith(EVERY) and not os.environ.get("PYREPLAY_DENSE_STEPS")
        self.policy = policy[:-len(EVERY)] if not self.sparse else policy
        self.base = base
        self.lay = layout()
        self.tstate = thread_tstate(tid)
        self.decoder = stacks.decoder()
        self.last = {}        # frame address -> (code, lasti) at the last stop
        self.cframe = None
        self.current = None   # step_state of the innermost frame, or None
        self.moved = False    # the innermost frame executed an instruction at this stop
        self.watched = None   # B, the frame whose prev_instr is watched
        self.watches = {}     # address -> gdb.Breakpoint
        self.conditions = {}  # address -> what _condition gave when its watch was set
        self.stops = 0
        self.counted = True   # the last stop was a watch stop (not only some other breakpoint)
        self.entering = False
        self.pending = False
        self.cstack = []      # the C eval loops' _PyCFrames, outermost first
        self.fstack = []      # the thread's Python frames, outermost first
        self.candidate = None
        self.resync = False
        self.deep_frames = ()
        self.armed_from = {}  # watched address -> the stop count when its watch was set
        self.writes = {}      # (address, new value) -> stops it made, watched since the start
        self.trigger = None   # (address, value, n): the last stop was value's n-th write there
        self.frame_of = {}    # watched prev_instr address -> its frame, for _wanted's caller

    def spec(self):
        """The policy as Walker() takes it again (a recipe replays the same stops)."""
        return self.policy + ("" if self.sparse else EVERY)

    # --- State ---------------------------------------------------------------------------------

    def _load_stacks(self):
        """Our C-eval-loop and frame stacks, read from memory (a settled state only)."""
        cframe = _cframe(self.tstate)
        chain = []
        while cframe and len(chain) < 1024:
            chain.append(cframe)
            if self.lay["direct"]:
                break
            cframe = _u64(cframe + self.lay["cframe_previous"])
        self.cstack = chain[::-1]
        frames = []
        frame = _u64(self.cstack[-1] + self.lay["cframe_current_frame"]) if self.cstack else 0
        while frame and len(frames) < 1024:
            frames.append(frame)
            frame = _u64(frame + self.lay["frame_previous"])
        self.fstack = frames[::-1]
        self.pending = False

    def observe(self):
        """Reads the thread's Python state; returns the innermost frame's step_state (its
        "depth" from our own frame stack) or None."""
        lay = self.lay
        if self.resync:  # a prev_instr write after a call we did not follow
            cframe = _cframe(self.tstate)
            frame = _u64(cframe + lay["cframe_current_frame"]) if cframe else 0
            if frame not in self.deep_frames:
                # The caller's own store of its CALL position, which the compiler may order
                # after the callee's push: still inside the call.
                self.moved = False
                return None
            self._load_stacks()  # control is back: the stacks are settled
            self.resync = False
        cframe = _cframe(self.tstate)
        self.moved = False
        if cframe in self.cstack:
            del self.cstack[self.cstack.index(cframe) + 1:]
        elif cframe:
            self.cstack.append(cframe)
            self.pending = True
        self.cframe = cframe
        if cframe == 0:
            self.current = None
            return None
        frame = _u64(cframe + lay["cframe_current_frame"])
        if self.pending:
            # A C eval loop was entered. Trust its entry frame only once CPython has linked it
            # (`frame->previous = prev_cframe->current_frame; cframe.current_frame = frame`):
            # the compiler may order those stores after `tstate->cframe = &cframe`, and a
            # generator resumed from the same C stack depth finds its own stale pointer there,
            # so the store may not even change the value. Meanwhile the candidate's prev_instr
            # is watched too.
            outer = self.cstack[-2] if len(self.cstack) > 1 else 0
            outer_frame = _u64(outer + lay["cframe_current_frame"]) if outer else 0
            linked = stacks._read_memory(frame + lay["frame_previous"], 8) if frame else None
            if frame == 0 or frame == outer_frame or linked is None or \
                    int.from_bytes(linked, "little") != outer_frame:
                self.entering = True
                plausible = (linked is not None and frame % 8 == 0 and
                             self.decoder.step_state(frame, 0, -1) is not None)
                self.candidate = frame if plausible else None
                return None
            self.pending = False
        self.entering = False
        self.candidate = None
        if frame == 0:
            self.current = None
            return None
        # Depth from the calls and returns we saw, not from `previous`: a Python-to-Python call
        # may store `cframe.current_frame` before `new_frame->previous`.
        if frame in self.fstack:
            del self.fstack[self.fstack.index(frame) + 1:]
        else:
            self.fstack.append(frame)
        code, lasti = self.last.get(frame, (0, -1))
        st = self.decoder.step_state(frame, code, lasti)
        if st is None:
            self.current = None
            return None
        st["depth"] = len(self.fstack)
        self.moved = code == st["code"] and lasti != st["lasti"]
        self.last[frame] = (st["code"], st["lasti"])
        self.current = st
        return st

    def _frame_at_depth(self, st, depth):
        return self.fstack[depth - 1] if 0 < depth <= len(self.fstack) else 0

    def _wanted(self):
        if self.policy == "none":
            return []
        lay = self.lay
        st = self.current
        if self.policy == "next" and st is not None and not self.entering and \
                st["depth"] > self.base and self.base >= 1:
            # Deep inside a call under "next": watch only the base frame and its caller, so
            # the calls below cost no stops. Both write prev_instr when control comes back
            # (a return, a yield, or a handler after an exception unwound the frames between);
            # the stacks are read again from memory then, calls and returns unseen.
            if self.watched is None:
                self.watched = self._frame_at_depth(st, self.base)
            caller = self._frame_at_depth(st, self.base - 1)
            wanted = []
            # Only the base frame's watch is sparse: its code cannot change while it lives, and
            # the caller's next instruction (a return seen, or the call that reuses the base
            # frame's address for other code) must stop the walk at once.
            self.frame_of = {}
            for frame in (self.watched, caller):
                if not frame:
                    continue
                wanted.append(frame + lay["frame_prev_instr"])
                if frame == self.watched:
                    self.frame_of[wanted[-1]] = frame
                if frame not in self.last:  # where it stands before it runs again
                    known = self.decoder.step_state(frame, 0, -1)
                    if known is not None:
                        self.last[frame] = (known["code"], known["lasti"])
            self.resync = True
            self.deep_frames = (self.watched, caller)
            return wanted
        wanted = [] if lay["direct"] else [self.tstate + lay["tstate_cframe"]]
        if self.cframe:
            wanted.append(self.cframe + lay["cframe_current_frame"])
        st = self.current
        if st is not None and not self.entering:
            if self.policy == "step" or st["depth"] <= self.base:
                self.watched = st["address"]
            elif self.watched is None:
                self.watched = self._frame_at_depth(st, self.base)
        self.frame_of = {}
        if self.watched:
            wanted.append(self.watched + lay["frame_prev_instr"])
            self.frame_of[wanted[-1]] = self.watched
        if self.entering and self.candidate:  # not sparse: its code may not be set yet
            wanted.append(self.candidate + lay["frame_prev_instr"])
        return wanted

    def _condition(self, address):
        """For a watched prev_instr under a sparse walk: (code object, the addresses its
        instructions that can start a line event have), else None (stop at every write)."""
        frame = self.frame_of.get(address)
        if not self.sparse or not frame:
            return None
        data = stacks._read_memory(frame + self.lay["frame_code"], 8)
        code = int.from_bytes(data, "little") & ~self.lay["code_tag_mask"] if data else 0
        starts = line_starts.candidates(code, _deopt_table()) if code else None
        if not starts:
            return None
        base = code + self.lay["code_code_adaptive"]
        return code, tuple(sorted(base + 2 * unit for unit in starts))

    def arm(self):
        wanted = {address: self._condition(address) for address in self._wanted()}
        for address in list(self.watches):
            if address not in wanted or self.conditions.get(address) != wanted[address]:
                self.watches.pop(address).delete()
                self.conditions.pop(address, None)
                self.armed_from.pop(address, None)
        for address, condition in wanted.items():
            if address not in self.watches:
                self.armed_from[address] = self.stops
                wp = gdb.Breakpoint("*(long *) 0x%x" % address, gdb.BP_WATCHPOINT, gdb.WP_WRITE,
                                    internal=True)
                wp.silent = True
                self.watches[address] = wp
                self.conditions[address] = condition
                if condition is not None and not motion.condition_watch(address, condition[1]):
                    self.conditions[address] = None  # rr refused: every write stops

    def disarm(self):
        for wp in self.watches.values():
            if wp.is_valid():
                wp.delete()
        self.watches.clear()
        self.conditions.clear()
        self.armed_from.clear()

    # --- Running -------------------------------------------------------------------------------

    def start(self):
        self._load_stacks()
        st = self.observe()
        if st is None and self.cframe:
            frame = _u64(self.cframe + self.lay["cframe_current_frame"])
            if frame:
                raise PyrError("pyr: the current Python frame (0x%x) of thread %d is unreadable "
                               "(its code object cannot be decoded); cannot tell its lines"
                               % (frame, self.tid))
        return st

    def advance(self):
        """One `continue` with the watch set of this state; returns the new state. A stop at
        another breakpoint only (a scan's target pc) is not counted and changes no state."""
        self.arm()
        _last_stop["breakpoints"] = ()
        gdb.execute("continue", to_string=True)
        if not motion.alive():
            raise Ended()
        ours = set(w.number for w in self.watches.values())
        hit = _last_stop["breakpoints"]
        self.counted = any(b.is_valid() and b.number in ours for b in hit) or not hit
        if motion.current_tid() != self.tid:
            motion.select_tid(self.tid)
        if not self.counted:
            return self.current
        self.stops += 1
        self._note_trigger(hit)
        return self.observe()

    def _note_trigger(self, hit):
        """Which watched write made this stop, and how many times since the start that address
        changed to this value. A stop that is a value's first write to an address watched all
        along is found again by one rr-side conditional watch (motion.run_to_write)."""
        self.trigger = None
        by_number = {wp.number: address for address, wp in self.watches.items()}
        for bp in hit:
            address = by_number.get(bp.number) if bp.is_valid() else None
            if address is None or self.armed_from.get(address) != 0:
                continue
            data = stacks._read_memory(address, 8)
            if data is None:  # unmapped since (a data-stack chunk CPython freed)
                continue
            key = (address, int.from_bytes(data, "little"))
            self.writes[key] = self.writes.get(key, 0) + 1
            if self.trigger is None:
                self.trigger = key + (self.writes[key],)

    def run(self, want, limit=MAX_STOPS, on_stop=None):
        """Advances until want(st) is true for a stop's state; returns that state. on_stop(st)
        sees every stop first and may return True to end the run there (returns None then)."""
        with motion.AlwaysInserted():
            try:
                for _ in range(limit):
                    st = self.advance()
                    if on_stop is not None and on_stop(st):
                        return None
                    if st is not None and want(st):
                        return st
            finally:
                self.disarm()
        raise PyrError("pyr: gave up after %d stops without reaching a Python line" % limit)

    def run_count(self, n):
        """Advances exactly n stops (a counted run, replaying a scan)."""
        with motion.AlwaysInserted():
            try:
                st = self.current
                while self.stops < n:
                    st = self.advance()
                return st
            finally:
                self.disarm()
