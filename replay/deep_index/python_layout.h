// python_layout.h: CPython's field offsets and runtime address for one interpreter binary,
// learned from its debug info once and cached by build-id.
//
// The deep index pass reads Python frames without gdb, but the offsets must still come from the
// debug info (never guesses). So the first pass for a given python3.11 build asks gdb, statically,
// without a replay (`stacks.layout()` in the gdb layer, the same code `pyr bt` uses), and keeps
// the answer in ~/.cache/pyreplay/layouts/<build-id>.json. Later passes need no gdb at all.
//
//   ASSIGN_OR_RETURN(PythonLayout python, LoadPythonLayout("/usr/bin/python3.11"));
//   FrameDecoder decoder(python.layout, &reader);
#ifndef PYREPLAY_REPLAY_DEEP_INDEX_PYTHON_LAYOUT_H_
#define PYREPLAY_REPLAY_DEEP_INDEX_PYTHON_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/pyframes/cpython_layout.h"

namespace pyreplay {

struct PythonLayout {
  CPythonLayout layout;
  // &_PyRuntime.interpreters.head as linked (add the load bias for a position-independent
  // executable; Debian's python3.11 is not one).
  uint64_t interpreters_head = 0;
  bool from_cache = false;
};

// LoadPythonLayout returns the layout for the interpreter binary at `executable` (the trace's
// copy of it). gdb looks for its debug info where `pyreplay replay` would for `trace_dir`: the
// trace's bundled debug files first (an unpacked .pyrtrace), then the system's. FailedPrecondition
// when it is not CPython 3.11 or its debug symbols are missing, with the package to install.
absl::StatusOr<PythonLayout> LoadPythonLayout(const std::string& executable,
                                              const std::string& trace_dir);

// ReadCachedLayoutDocument returns the cached layout of `executable`'s build, as the JSON text
// the gdb layer printed (`{"layout": {...}, "interpreters_head": N}`), validated. NotFound when
// none is cached; DataLoss when the cache file is damaged. The gdb plugin uses it too, so a
// replay session skips loading CPython's debug types once any session or pass has read them.
absl::StatusOr<std::string> ReadCachedLayoutDocument(const std::string& executable);

// CacheLayoutDocument stores that JSON text for `executable`'s build (atomically), after
// checking that it is a complete layout.
absl::Status CacheLayoutDocument(const std::string& executable, const std::string& answer);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DEEP_INDEX_PYTHON_LAYOUT_H_
