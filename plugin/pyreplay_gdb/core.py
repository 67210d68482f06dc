"""Shared plumbing for the `pyr` commands: the trace, the C++ core, errors, the command table.

Commands register through `command(...)`, a table of name, handler and completer like rr's
GdbCommand registry: the handler's docstring is the single source of its `help` text.
"""

import os
import re

import gdb

try:
    import _pyreplay
except ImportError as _e:  # the gdb layer still loads; commands explain what is missing
    _pyreplay = None
    _IMPORT_ERROR = str(_e)


class PyrError(gdb.GdbError):
    """A user-facing error: gdb prints its one line, no traceback."""


def core():
    """The `_pyreplay` module, or a clear error when it was not built."""
    if _pyreplay is None:
        raise PyrError("pyr: the plugin's C++ module _pyreplay is missing (%s); build pyreplay "
                       "(cmake --build) and load lib/pyreplay/load.py from the build or install "
                       "tree" % _IMPORT_ERROR)
    return _pyreplay


def call(fn, *args):
    """Calls into the C++ core, turning its errors into one-line gdb errors."""
    lib = core()
    try:
        return fn(*args)
    except lib.Error as e:
        raise PyrError("pyr: " + str(e.args[0] if e.args else e)) from None


# --- The trace -----------------------------------------------------------------------------

_trace_dir = None


def _looks_like_trace(path):
    return path and os.path.isfile(os.path.join(path, "version")) and \
        os.path.isfile(os.path.join(path, "events"))


def trace_dir():
    """The trace being replayed: $PYREPLAY_TRACE, else found from rr's copy of the executable
    (`mmap_hardlink_*` / `mmap_pack_*` sit in the trace folder), for a plain `rr replay` session
    with the plugin sourced by hand."""
    global _trace_dir
    if _trace_dir:
        return _trace_dir
    candidates = [os.environ.get("PYREPLAY_TRACE")]
    try:
        candidates.append(gdb.current_progspace().filename)
    except (gdb.error, RuntimeError):
        pass
    try:
        candidates.extend(o.filename for o in gdb.objfiles())
    except (gdb.error, RuntimeError):
        pass
    for path in candidates:
        if not path:
            continue
        for d in (path, os.path.dirname(path)):
            if _looks_like_trace(d):
                _trace_dir = os.path.abspath(d)
                return _trace_dir
    env = os.environ.get("PYREPLAY_TRACE")
    if env:
        raise PyrError("pyr: PYREPLAY_TRACE=%s is not an rr trace folder (it has no `version` and "
                       "`events`); was the trace moved? Start again with `pyreplay replay "
                       "NEW/PATH`" % env)
    raise PyrError("pyr: cannot tell which trace this is: not started by `pyreplay replay`, and "
                   "gdb's executable is not a file in an rr trace folder; set PYREPLAY_TRACE")


def mark_store():
    return core().MarkStore(trace_dir())


# --- Arguments ---------------------------------------------------------------------------------

def split_options(argv, options):
    """Pulls `--name VALUE` options out of argv. Returns (positional, {name: value})."""
    positional, values = [], {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        name = arg.split("=", 1)[0]
        if name in options:
            if "=" in arg:
                values[name] = arg.split("=", 1)[1]
            elif i + 1 < len(argv):
                values[name] = argv[i + 1]
                i += 1
            else:
                raise PyrError("pyr: %s needs a value" % name)
        elif arg.startswith("--"):
            raise PyrError("pyr: unknown option %s (known: %s)" % (arg, ", ".join(options) or
                                                                   "none"))
        else:
            positional.append(arg)
        i += 1
    return positional, values


def parse_tid(text):
    try:
        return int(text)
    except ValueError:
        raise PyrError("pyr: --thread wants a thread id (a tid as `info threads` shows after the "
                       "dot), not %r" % text) from None


# --- Completion helpers ------------------------------------------------------------------------

def thread_ids():
    try:
        return sorted(str(t.ptid[1]) for t in gdb.selected_inferior().threads())
    except (gdb.error, RuntimeError):
        return []


def mark_names():
    try:
        return [m["name"] for m in mark_store().list()]
    except Exception:  # completion must never fail loudly
        return []


def last_token(text):
    """The argument being typed: what follows the last blank of `text` ("" after a blank)."""
    text = text or ""
    if not text or text[-1].isspace():
        return ""
    return text.split()[-1]


def complete_words(text, word, choices):
    """The choices that complete the argument being typed, as gdb wants them back.

    gdb breaks completion words at `-`, `@`, `:` and more, and replaces only its `word` (the
    end of the argument after the last such character) with what a completer returns. So match
    the whole argument (the last token of `text`: `--a`, `@m-h`), and return each choice minus
    the part of it gdb already has before `word`."""
    word = word or ""
    token = last_token(text)
    if not token.endswith(word):  # not gdb's split after all: match its word as is
        token = word
    already = len(token) - len(word)
    return [c[already:] for c in choices if c.startswith(token)]


# --- The command table -------------------------------------------------------------------------

COMMANDS = []  # (name, handler, completer)
_RAW = set()  # handlers that get the argument text as typed (quotes kept), not an argv


def command(name, completer=None, raw=False):
    """Registers `pyr NAME`; the handler's docstring is its help (summary, blank line, Usage:,
    a paragraph per parameter). The handler gets the argv from gdb.string_to_argv, or with
    raw=True the argument text itself (for `pyr print d["k"]`, whose quotes argv would drop)."""
    def register(handler):
        COMMANDS.append((name, handler, completer))
        if raw:
            _RAW.add(handler)
        return handler
    return register


class _PyrCommand(gdb.Command):
    def __init__(self, name, handler, completer):
        self._handler = handler
        self._completer = completer
        super().__init__("pyr " + name, gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        self.dont_repeat()
        try:
            self._handler(argument if self._handler in _RAW else gdb.string_to_argv(argument))
        except gdb.GdbError:
            raise
        except (gdb.error, RuntimeError) as e:
            raise gdb.GdbError("pyr %s: %s" % (self._name_for_errors(), e)) from None

    def _name_for_errors(self):
        return next((n for n, h, _ in COMMANDS if h is self._handler), "?")

    def complete(self, text, word):
        if self._completer is None:
            return gdb.COMPLETE_NONE
        try:
            return self._completer(text, word)
        except Exception:
            return []


def register_all():
    from .catalog import KINDS  # the index's kind names, for the help of the KIND arguments
    for name, handler, completer in COMMANDS:
        doc = (handler.__doc__ or name).replace("{KINDS}", ", ".join(KINDS))
        cls = type("Pyr_" + re.sub(r"\W", "_", name), (_PyrCommand,), {"__doc__": doc})
        cls(name, handler, completer)
