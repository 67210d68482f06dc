"""The indexed events of the trace, as the C++ event index has them: thread creations and exits,
forks, execs, process exits and socket calls, with their threads, results and addresses, and
connects paired with the accepts that answered them (`_pyreplay.load_index`).

rr's frames (`_pyreplay.event_sites`, read once per session) add only what the index does not
hold: where to stop for an event (the recorded rip, the syscall phase) and whether rr can make a
checkpoint there. An event lands where it begins, in the thread it happens in: a syscall at its
`syscall` instruction, a thread creation in the creating thread. rr cannot stop at two kinds'
own frames, so they land at the nearest place it can: an exec at the new program's first stop,
a thread's (or process's) exit at that thread's last syscall, its `exit`.
"""

from . import core

# The index's kinds, in its order. The C++ core names them; this copy only serves when the
# module is missing (every command then says so anyway).
_FALLBACK_KINDS = ("thread", "thread-exit", "fork", "exec", "exit", "socket", "bind", "listen",
                   "connect", "accept")


def _kinds():
    try:
        return tuple(core.core().event_kinds())
    except Exception:
        return _FALLBACK_KINDS


KINDS = _kinds()
_SYS_EXECVE, _SYS_EXECVEAT, _SYS_EXIT, _SYS_EXIT_GROUP = 59, 322, 60, 231

_cache = {}
_sites = {}


def raw_sites(trace=None):
    """rr's frames as `_pyreplay.event_sites` gives them (event N is [N - 1]), read once per
    trace and session: the catalog, checkpoints and the stepper share them."""
    trace = trace or core.trace_dir()
    if trace not in _sites:
        _sites[trace] = core.call(core.core().event_sites, trace)
    return _sites[trace]


def _site_dict(r):
    return {"event": r[0], "tid": r[1], "phase": r[2], "syscall": r[3], "rip": r[4], "rax": r[5],
            "rdi": r[6], "local": r[7], "remote": r[8],
            "checkpointable": bool(r[9]) if len(r) > 9 else True}


class Catalog:
    def __init__(self, loaded, sites):
        self.state = loaded["state"]      # the saved index: fresh, or missing/stale/corrupt
        self._sites = sites
        self.events = []                  # indexed events, in event order
        for order, entry in enumerate(loaded["entries"]):
            e = dict(entry)
            e["order"] = order
            e["tid"] = entry["acting_tid"]  # where it happens (and where pyr lands)
            e["new_tid"] = entry["tid"] if e["kind"] in ("thread", "fork") else None
            e["land"], e["land_note"] = self._landing(e)
            self.events.append(e)
        self.by_event = {}
        self.by_land = {}
        for e in self.events:
            self.by_event.setdefault(e["event"], e)
            self.by_land.setdefault(e["land"], e)

    def _landing(self, e):
        """(the event to stop at for entry e, a note when that is not e's own event)."""
        event, tid, sites = e["event"], e["tid"], self._sites
        if not 1 <= event <= len(sites):
            return event, None
        if e["kind"] == "exec":
            for n in range(event, len(sites) + 1):
                r = sites[n - 1]
                if r[1] == tid and r[3] not in (_SYS_EXECVE, _SYS_EXECVEAT):
                    return n, ("landed at event %d, the new program's first stop: rr cannot "
                               "stop inside an exec" % n)
        elif e["kind"] in ("thread-exit", "exit"):
            for n in range(event, 0, -1):
                r = sites[n - 1]
                if r[1] == tid and r[2] == "entering":
                    what = {_SYS_EXIT: " (exit)", _SYS_EXIT_GROUP: " (exit_group)"}.get(r[3], "")
                    return n, ("landed at event %d, thread %d's last syscall%s: rr cannot stop "
                               "where a thread ends" % (n, tid, what))
        return event, None

    @property
    def last_event(self):
        return len(self._sites)

    def site(self, event):
        if not 1 <= event <= len(self._sites):
            raise core.PyrError("pyr: event %d is out of range: this trace has events 1 to %d"
                                % (event, len(self._sites)))
        return _site_dict(self._sites[event - 1])

    def select(self, kind=None, tid=None):
        if kind is not None:
            try:
                kind = core.core().parse_event_kind(kind)
            except core.core().Error:
                raise core.PyrError("pyr: unknown event kind %r (kinds: %s)" %
                                    (kind, ", ".join(KINDS))) from None
        return [e for e in self.events if (kind is None or e["kind"] == kind)
                and (tid is None or e["tid"] == tid)]


def index_note(trace, state):
    """An offer to build the event index when the trace has no saved one (or a stale or corrupt
    one), else None."""
    if state == "fresh":
        return None
    what = {"missing": "no event index yet", "stale": "a stale event index",
            "corrupt": "a corrupt event index"}.get(state, "no usable event index")
    return ("pyr: note: %s has %s (pyreplay/index); build it now with `pyr index` (no replay, "
            "a few seconds), or outside gdb with `pyreplay index %s`. Until then pyr builds it "
            "in memory in every session." % (trace, what, trace))


def catalog():
    trace = core.trace_dir()
    if trace not in _cache:
        loaded = core.call(core.core().load_index, trace)
        _cache[trace] = Catalog(loaded, raw_sites(trace))
        note = index_note(trace, loaded["state"])
        if note:
            print(note)
    return _cache[trace]


def reload():
    """Forget the catalog (after `pyr index` saved a new index): the next use reads it again."""
    _cache.pop(core.trace_dir(), None)


def describe(e):
    """One line about an indexed event, without its number: the kind, the thread it happens in,
    and the index's own description of it."""
    return "%-11s tid %-7d %s" % (e["kind"], e["tid"], e["description"])
