// python_layout.h: CPython's field offsets and runtime address for the recorded interpreter.
//
// The version comes from `Py_Version` in the file that holds the runtime (the executable, or the
// libpython3.X.so it maps; replay/pyframes/interpreter_layout.h). 3.13+ carry `_Py_DebugOffsets`:
// read from the file, no gdb and no debug symbols. For 3.11 the first pass of a build asks gdb
// for the debug info, statically, without a replay (`stacks.layout()` in the gdb layer, the same
// code `pyr bt` uses), and keeps the answer in ~/.cache/pyreplay/layouts/<build-id>.json; a
// build without debug info uses the known 3.11 table instead.
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
  // &_PyRuntime.interpreters.head as linked in `runtime_file` (add that file's load bias when it
  // is position-independent; Debian's python3.11 and python3.13 executables are not).
  uint64_t interpreters_head = 0;
  // The mapped path (as recorded) of the file holding _PyRuntime: the executable or libpython.
  std::string runtime_file;
  bool position_independent = false;
  bool from_cache = false;
  // Where the offsets came from: "_Py_DebugOffsets", "debug info", or "3.11 table".
  std::string source;
};

// LoadPythonLayout returns the layout for the interpreter binary at `executable` (the trace's
// copy of it), recorded at `mapped_executable`. For 3.11, gdb looks for its debug info where
// `pyreplay replay` would for `trace_dir`: the trace's bundled debug files first (an unpacked
// .pyrtrace), then the system's. FailedPrecondition when it is no CPython pyreplay reads.
absl::StatusOr<PythonLayout> LoadPythonLayout(const std::string& executable,
                                              const std::string& trace_dir,
                                              const std::string& mapped_executable = "");

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
