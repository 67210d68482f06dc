"""gdb's own reverse-execution commands, made safe in no-PMU mode.

In no-PMU mode rr's tick counter reads 0, and rr 5.6.0's reverse single-step searches for tick
-1 forever: `reverse-step`, `reverse-next`, `reverse-stepi` and `reverse-nexti` hang rr, and a
`reverse-continue` with a watchpoint set crashes it ("Probable duplicated states"), taking the
gdb session down (docs/RR.md, "Going backward without a PMU"). So in that mode each of them gets a gdb
pre-hook (`define hook-reverse-step`) that refuses at once, in one line saying why and what to
use instead. A failing pre-hook aborts the command before gdb sends anything to rr, and hooks
follow the command's aliases (`rs`, `rn`, `rsi`, `rni`, `rc`). With a PMU, nothing is hooked:
the commands reach rr unchanged.
"""

import json
import os
import tempfile

import gdb

from .core import PyrError

# command -> (why it is refused, what to use instead)
_REFUSED = {
    "reverse-step": ("hangs rr without a PMU (its reverse single-step needs tick counts)",
                     "use `pyr rstep` (Python lines) or `pyr goto`"),
    "reverse-next": ("hangs rr without a PMU (its reverse single-step needs tick counts)",
                     "use `pyr rnext` (Python lines) or `pyr goto`"),
    "reverse-stepi": ("hangs rr without a PMU (its reverse single-step needs tick counts)",
                      "use `pyr goto` to an event or mark, or `pyr rstep`"),
    "reverse-nexti": ("hangs rr without a PMU (its reverse single-step needs tick counts)",
                      "use `pyr goto` to an event or mark, or `pyr rnext`"),
}
_WATCH_TYPES = (gdb.BP_WATCHPOINT, gdb.BP_HARDWARE_WATCHPOINT, gdb.BP_READ_WATCHPOINT,
                gdb.BP_ACCESS_WATCHPOINT)


def mode():
    """'pmu' or 'nopmu': $PYREPLAY_MODE (set by `pyreplay replay`), else the trace's meta.json,
    else 'nopmu' unless this machine has a hardware PMU."""
    env = os.environ.get("PYREPLAY_MODE")
    if env in ("pmu", "nopmu"):
        return env
    try:
        from .core import trace_dir
        with open(os.path.join(trace_dir(), "pyreplay", "meta.json")) as f:
            value = json.load(f).get("mode")
        if value in ("pmu", "nopmu"):
            return value
    except (OSError, ValueError, gdb.GdbError):
        pass
    return "pmu" if os.path.isdir("/sys/bus/event_source/devices/cpu") else "nopmu"


def check(command):
    """Called by the pre-hook of `command`: raises (aborting the command) when it is unsafe."""
    if command in _REFUSED:
        why, instead = _REFUSED[command]
        raise PyrError("pyr: %s refused: it %s; %s" % (command, why, instead))
    if command == "reverse-continue":
        watches = [b for b in gdb.breakpoints() or ()
                   if b.is_valid() and b.enabled and b.type in _WATCH_TYPES and b.number > 0]
        if watches:
            raise PyrError("pyr: reverse-continue refused: with a watchpoint set (%s) it crashes "
                           "rr without a PMU and ends the session; `disable %s` first, or use "
                           "`pyr rstep`/`pyr rnext`/`pyr goto`"
                           % (", ".join("#%d" % b.number for b in watches),
                              " ".join(str(b.number) for b in watches)))
        stops = [b for b in gdb.breakpoints() or ()
                 if b.is_valid() and b.enabled and b.number > 0]
        if not stops:
            raise PyrError("pyr: reverse-continue refused: with no breakpoint to stop at it "
                           "hangs rr without a PMU; set a breakpoint first, or use `pyr goto 1`")


class _Guard(gdb.Command):
    """Used by pyreplay's pre-hooks of gdb's reverse commands in no-PMU mode (not for people).

Usage: pyreplay-guard COMMAND"""

    def __init__(self):
        super().__init__("pyreplay-guard", gdb.COMMAND_OBSCURE)

    def invoke(self, argument, from_tty):
        check(argument.strip())  # a gdb.GdbError prints as one line and aborts the hooked command


def install():
    """Hooks the unsafe commands in no-PMU mode; does nothing with a PMU."""
    if mode() != "nopmu":
        return False
    _Guard()
    script = []
    for command in list(_REFUSED) + ["reverse-continue"]:
        script += ["define hook-%s" % command, "pyreplay-guard %s" % command, "end"]
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write("\n".join(script) + "\n")
        path = f.name
    try:
        gdb.execute("source " + path, to_string=True)
    finally:
        os.unlink(path)
    return True
