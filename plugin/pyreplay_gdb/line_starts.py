"""Where a CPython 3.11 code object can start a "line" event: the instructions the stepper needs
to stop at. Every other instruction is reached only by falling through from one on the same line,
so by 3.11's rule (replay/stepping/line_events.h) it never starts a line event, and the stepper
lets rr skip it (a watchpoint condition, motion.py) instead of stopping there.

An instruction can start a line event when it is the first after RESUME, when its line differs
from the instruction before it, or when something jumps to it (a jump, `for`, an exception
handler). Instructions that leave the frame (return, yield, raise) are included so the walker
sees a watched frame go. The instruction after each line start is included too: the second half of a fused
superinstruction (STORE_FAST__LOAD_FAST, ...) does not write `prev_instr`, so a line that starts
there is first seen one instruction later (docs/CPYTHON.md, "Where a line changes").

The analysis uses gdb's own Python 3.11 (`dis`, and a code object rebuilt from the recorded
bytes), so the line table and jump rules are CPython's, not a copy.
"""

import dis
import sys
import types

from . import stacks

_EMPTY = compile("", "<pyreplay>", "exec")
_EXITS = {dis.opmap[name] for name in ("RETURN_VALUE", "YIELD_VALUE", "RAISE_VARARGS", "RERAISE",
                                       "RETURN_GENERATOR")}
_cache = {}   # code address -> (identity bytes, frozenset of code-unit offsets) or None


def _read_bytes_object(address, layout):
    """The contents of a bytes object, or None."""
    head = stacks._read_memory(address, layout["bytes_sval"])
    if head is None:
        return None
    size = int.from_bytes(head[layout["var_size"]:layout["var_size"] + 8], "little")
    if size < 0 or size > (1 << 22):
        return None
    return stacks._read_memory(address + layout["bytes_sval"], size) if size else b""


def candidates(code, deopt):
    """frozenset of code-unit offsets of `code` (a PyCodeObject address) that can start a line
    event, or None when the code object cannot be analysed (the stepper then stops at every
    instruction, as before). `deopt` is CPython's _PyOpcode_Deopt table (256 bytes)."""
    if "layout" not in _offsets:
        _offsets["layout"] = stacks.layout()
    lay = _offsets["layout"]
    # The analysis runs gdb's own `dis`: only right for the recorded version's bytecode.
    recorded = lay.get("python_version", 0x030B0000) >> 16
    if recorded != (sys.version_info[0] << 8 | sys.version_info[1]):
        return None
    header = stacks._read_memory(code, lay["code_code_adaptive"])
    if header is None or deopt is None:
        return None
    identity = header[lay["code_linetable"]:lay["code_linetable"] + 8] + \
        header[lay["code_firstlineno"]:lay["code_firstlineno"] + 4]
    known = _cache.get(code)
    if known is not None and known[0] == identity:
        return known[1]
    try:
        result = _analyse(code, header, lay, deopt)
    except Exception:  # dis's private helpers differ between versions: stop at every instruction
        result = None
    _cache[code] = (identity, result)
    return result


def _exceptiontable_offset():
    if "exceptiontable" not in _offsets:
        lay = _offsets["layout"]
        _offsets["exceptiontable"] = lay.get("code_exceptiontable") or \
            stacks._offset("PyCodeObject", ("co_exceptiontable",))
    return _offsets["exceptiontable"]


_offsets = {}


def _u64(data, offset):
    return int.from_bytes(data[offset:offset + 8], "little")


def _analyse(code, header, lay, deopt):
    units = _u64(header, lay["var_size"])
    if units <= 0 or units > (1 << 20):
        return None
    raw = stacks._read_memory(code + lay["code_code_adaptive"], 2 * units)
    linetable = _read_bytes_object(_u64(header, lay["code_linetable"]), lay)
    exceptiontable = _read_bytes_object(_u64(header, _exceptiontable_offset()), lay)
    if raw is None or linetable is None or exceptiontable is None:
        return None
    # Specialised opcodes (LOAD_ATTR_INSTANCE_VALUE, ...) back to their base ones; inline cache
    # entries hold counters, not code: zero them so nothing reads them as instructions.
    plain = bytearray(raw)
    i = 0
    while i < len(plain):
        op = deopt[plain[i]]
        plain[i] = op
        caches = dis._inline_cache_entries[op]
        for c in range(i + 2, min(len(plain), i + 2 + 2 * caches)):
            plain[c] = 0
        i += 2 + 2 * caches
    first_line = int.from_bytes(header[lay["code_firstlineno"]:lay["code_firstlineno"] + 4],
                                "little", signed=True)
    try:
        rebuilt = _EMPTY.replace(co_code=bytes(plain), co_linetable=linetable,
                                 co_firstlineno=first_line, co_exceptiontable=exceptiontable)
        line_of = {}
        for start, end, line in rebuilt.co_lines():
            for b in range(start, end, 2):
                line_of[b // 2] = line
        jumps = {b // 2 for b in dis.findlabels(bytes(plain))}
        jumps |= {entry.target // 2 for entry in dis._parse_exception_table(rebuilt)}
    except (ValueError, TypeError, IndexError, SystemError):
        return None
    first_traceable = int.from_bytes(
        header[lay["code_firsttraceable"]:lay["code_firsttraceable"] + 4], "little", signed=True)
    starts = set()
    instructions = list(dis._unpack_opargs(bytes(plain)))
    order = [offset // 2 for offset, _, _ in instructions]
    # Where the frame's own code leaves it: the walker must see these writes too, or a frame it
    # watches alone could return unseen (walker.py, "deep inside a call under next").
    starts.update(offset // 2 for offset, op, _ in instructions if op in _EXITS)
    previous_line = object()
    for position, unit in enumerate(order):
        if unit <= first_traceable:
            continue
        line = line_of.get(unit)
        if unit in jumps or line != previous_line:
            starts.add(unit)
            if position + 1 < len(order):
                starts.add(order[position + 1])
        previous_line = line
    return frozenset(starts)
