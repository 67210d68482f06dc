"""The indexed events of the trace: thread creations and socket calls, with their threads,
results and addresses, and connects paired with the accepts that answered them.

Built from the trace's own `events` stream through the C++ core (`_pyreplay.event_sites`), so it
needs no replay. Each event is the syscall's *entering* frame: the instant the call begins, in
the calling thread.
"""

import os

from . import core

# x86-64 syscall numbers -> kind.
_SYSCALL_KINDS = {41: "socket", 42: "connect", 43: "accept", 288: "accept", 49: "bind",
                  50: "listen", 56: "thread", 435: "thread"}
KINDS = ("thread", "socket", "bind", "listen", "connect", "accept")
_CLONE_THREAD = 0x10000
_ERRNO_MAX = 4095

_cache = {}


class Catalog:
    def __init__(self, sites):
        self.sites = sites          # event number - 1 -> site dict
        self.events = []            # indexed events, in order
        self.by_event = {}
        pending = {}                # (tid, syscall) -> entering event dict
        for s in sites:
            kind = _SYSCALL_KINDS.get(s["syscall"])
            if kind is None or not s["phase"]:
                continue
            key = (s["tid"], s["syscall"])
            if s["phase"] == "entering":
                e = {"event": s["event"], "kind": kind, "tid": s["tid"], "syscall": s["syscall"],
                     "fd": s["rdi"] if kind != "thread" else None, "result": None,
                     "local": "", "remote": "", "exit_event": None, "peer": None}
                if kind == "thread" and s["syscall"] == 56 and not s["rdi"] & _CLONE_THREAD:
                    e["kind"] = kind = "fork"
                pending[key] = e
            elif key in pending:
                e = pending.pop(key)
                result = s["rax"]
                e["result"] = result - (1 << 64) if result >= (1 << 64) - _ERRNO_MAX else result
                e["exit_event"] = s["event"]
                e["local"], e["remote"] = s["local"], s["remote"]
                if e["kind"] in ("thread", "fork") and e["result"] <= 0:
                    continue  # glibc's failed clone3 try before clone, or a failed clone
                if e["kind"] in KINDS:
                    self.events.append(e)
        # Calls still blocked at the end of the recording.
        for e in pending.values():
            if e["kind"] in KINDS and e["kind"] != "thread":
                self.events.append(e)
        self.events.sort(key=lambda e: e["event"])
        self.by_event = {e["event"]: e for e in self.events}
        accepts = {}
        for e in self.events:
            if e["kind"] == "accept" and e["local"]:
                accepts[(e["remote"], e["local"])] = e
        for e in self.events:
            if e["kind"] == "connect" and e["local"]:
                peer = accepts.get((e["local"], e["remote"]))
                if peer is not None:
                    e["peer"], peer["peer"] = peer["event"], e["event"]

    @property
    def last_event(self):
        return len(self.sites)

    def site(self, event):
        if not 1 <= event <= len(self.sites):
            raise core.PyrError("pyr: event %d is out of range: this trace has events 1 to %d"
                                % (event, len(self.sites)))
        return self.sites[event - 1]

    def select(self, kind=None, tid=None):
        if kind is not None and kind not in KINDS:
            raise core.PyrError("pyr: unknown event kind %r (kinds: %s)" % (kind, ", ".join(KINDS)))
        return [e for e in self.events if (kind is None or e["kind"] == kind)
                and (tid is None or e["tid"] == tid)]


def index_note(trace):
    """An offer to build the event index when the trace has none (or a stale one), else None."""
    try:
        freshness = core.core().index_freshness(trace)
    except Exception:  # a trace we cannot judge: say nothing here, the commands will
        return None
    if freshness == "fresh":
        return None
    what = "no event index yet" if freshness == "missing" else "a stale event index"
    return ("pyr: note: %s has %s (pyreplay/index); build it now with `pyr index` (no replay, "
            "a few seconds), or outside gdb with `pyreplay index %s`. Until then pyr reads rr's "
            "events stream directly." % (trace, what, trace))


_noted = set()


def catalog():
    trace = core.trace_dir()
    if trace not in _noted:
        _noted.add(trace)
        note = index_note(trace)
        if note:
            print(note)
    if trace not in _cache:
        raw = core.call(core.core().event_sites, trace)
        sites = [{"event": r[0], "tid": r[1], "phase": r[2], "syscall": r[3], "rip": r[4],
                  "rax": r[5], "rdi": r[6], "local": r[7], "remote": r[8]} for r in raw]
        _cache[trace] = Catalog(sites)
    return _cache[trace]


def describe(e):
    """One line about an indexed event, without its number."""
    kind = e["kind"]
    result = e["result"]
    if kind == "thread":
        what = "creates thread %s" % result if result is not None else "creating a thread"
    elif kind == "connect":
        what = "fd %s -> %s" % (e["fd"], e["remote"] or "?")
        if e["local"]:
            what += " (from %s)" % e["local"]
        if e["peer"]:
            what += ", accepted at event %d" % e["peer"]
    elif kind == "accept":
        what = "listener fd %s" % e["fd"]
        if result is not None and result >= 0:
            what += " -> fd %d" % result
        if e["remote"]:
            what += " from %s" % e["remote"]
        if e["peer"]:
            what += ", connect at event %d" % e["peer"]
        if result is None:
            what += " (still waiting at the end)"
    elif kind == "socket":
        what = "-> fd %s" % result
    else:
        what = "fd %s" % e["fd"]
        if result is not None and result < 0:
            what += " (error %d)" % -result
    return "%-8s tid %-7d %s" % (kind, e["tid"], what)
