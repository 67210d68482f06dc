"""pyreplay's gdb layer: the `pyr` commands. Thin Python over the C++ core (`_pyreplay`)."""

import os

import gdb

_AUTO_LOAD = "/usr/share/gdb/auto-load"


class PyrPrefix(gdb.Command):
    """pyreplay commands: move through a replay by its thread and socket events.

Usage: pyr SUBCOMMAND [ARGS]

Type `help pyr SUBCOMMAND` for each command's help."""

    def __init__(self):
        super().__init__("pyr", gdb.COMMAND_USER, gdb.COMPLETE_COMMAND, prefix=True)


def _python_gdb_scripts():
    """CPython's python-gdb.py for the recorded interpreter, where Debian puts it: beside the
    executable's or libpython's path under gdb's auto-load folder, named for the version its
    Py_Version says (python3.13-gdb.py, libpython3.13.so.1.0-gdb.py)."""
    from . import core, stacks
    names, version = [], None
    for path in stacks._runtime_files():
        names.append(_AUTO_LOAD + os.path.realpath(path) + "-gdb.py")
        names.append(_AUTO_LOAD + path + "-gdb.py")
        try:
            version = version or core.core().python_version(path)
        except Exception:  # no core module: the file names alone
            pass
    if version is not None:
        minor = "%d.%d" % (version >> 24, (version >> 16) & 0xff)
        names.append("%s/usr/bin/python%s-gdb.py" % (_AUTO_LOAD, minor))
    return names


def _load_python_gdb():
    """Sources python-gdb.py once, so py-bt works in a replay. When there is none for this
    interpreter (no -dbg package, a stripped or self-built one), says so once: `pyr bt` does not
    need it."""
    try:
        gdb.execute("py-bt --help", to_string=True)
        return  # already defined
    except gdb.error:
        pass
    scripts = _python_gdb_scripts()
    for script in scripts:
        if os.path.exists(script):
            gdb.execute("source " + script, to_string=True)
            return
    if scripts:
        gdb.write("pyr: no python-gdb.py for this interpreter, so py-bt is unavailable; "
                  "pyr bt works without it\n")


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
