"""pyreplay's gdb layer: the `pyr` commands. Thin Python over the C++ core (`_pyreplay`)."""

import os

import gdb

_PYTHON_GDB_SCRIPTS = (
    "/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py",
)


class PyrPrefix(gdb.Command):
    """pyreplay commands: move through a replay by its thread and socket events.

Usage: pyr SUBCOMMAND [ARGS]

Type `help pyr SUBCOMMAND` for each command's help."""

    def __init__(self):
        super().__init__("pyr", gdb.COMMAND_USER, gdb.COMPLETE_COMMAND, prefix=True)


def _load_python_gdb():
    """Sources python-gdb.py once, so py-bt works in a replay."""
    try:
        gdb.parameter("print pretty")  # cheap probe that gdb is alive
        gdb.execute("py-bt --help", to_string=True)
        return  # already defined
    except gdb.error:
        pass
    for script in _PYTHON_GDB_SCRIPTS:
        if os.path.exists(script):
            gdb.execute("source " + script, to_string=True)
            return


def load():
    PyrPrefix()
    _load_python_gdb()
    from . import listing  # pyr list (after python-gdb.py: it reads Python frames through it)
    listing.register()
    # Per-concept modules add to core's command table (name, handler, completer) on import.
    from . import core, events, marks  # noqa: F401  pyr goto/next/prev/follow/where/events, marks
    from . import stacks  # noqa: F401  pyr bt [--all]
    from . import stepping  # noqa: F401  pyr step/next-line/finish/rstep/rnext/rfinish
    from . import values  # noqa: F401  pyr locals/print/up/down/frame
    core.register_all()
    from . import safety  # gdb's reverse-step family refuses at once in no-PMU mode
    safety.install()
