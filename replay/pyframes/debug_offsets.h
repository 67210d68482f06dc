// debug_offsets.h: a CPython 3.13+ layout read from `_Py_DebugOffsets`, the table CPython puts at
// the start of `_PyRuntime` for out-of-process readers (py-spy, austin, its own remote debugging).
//
// The table is statically initialised, so it is read from the ELF file, no process needed: at
// `_PyRuntime` (exported in `.dynsym`, which `strip` keeps) or at the start of the `.PyRuntime`
// section 3.13+ emit. The table's own shape is per version (Include/internal/pycore_runtime.h at
// v3.13.5, pycore_debug_offsets.h at v3.14); the few fields it lacks (_co_firsttraceable,
// co_exceptiontable, ht_cached_keys, ...) are fixed distances from ones it has, checked against
// the debug info in the tests (docs/CPYTHON.md, "_Py_DebugOffsets").
//
//   ASSIGN_OR_RETURN(RuntimeLayout rt, LayoutFromDebugOffsets("/usr/bin/python3.13"));
//   rt.layout.tstate_current_frame;  // 3.13.5: 72
#ifndef PYREPLAY_REPLAY_PYFRAMES_DEBUG_OFFSETS_H_
#define PYREPLAY_REPLAY_PYFRAMES_DEBUG_OFFSETS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "replay/pyframes/cpython_layout.h"

namespace pyreplay {

// RuntimeLayout is a layout and where the runtime state sits, as linked (add the load bias of a
// position-independent file).
struct RuntimeLayout {
  CPythonLayout layout;
  uint64_t runtime = 0;            // &_PyRuntime
  uint64_t interpreters_head = 0;  // &_PyRuntime.interpreters.head
};

// ParseDebugOffsets decodes a table's bytes (starting with the cookie "xdebugpy") into a layout.
// FailedPrecondition when the cookie is wrong or the version is one whose table shape is unknown.
absl::StatusOr<CPythonLayout> ParseDebugOffsets(const std::string& table);

// LayoutFromDebugOffsets reads the table of the interpreter file at `path` (the executable of a
// static build, or libpython3.X.so) and the type objects' addresses from its `.dynsym`.
absl::StatusOr<RuntimeLayout> LayoutFromDebugOffsets(const std::string& path);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_DEBUG_OFFSETS_H_
