// interpreter_layout.h: which CPython an interpreter file is, and its layout without debug info.
//
// The version comes from the exported `Py_Version` (PY_VERSION_HEX, in `.dynsym` of the
// executable or of libpython3.X.so, present even when stripped), never from the file's name.
// 3.13+ carry their own layout (`_Py_DebugOffsets`, debug_offsets.h). 3.11 has no such table:
// its layout comes from the debug info when there is some (the gdb layer), else from the table
// of known builds here, which the tests check against python3.11-dbg's debug info.
//
//   ASSIGN_OR_RETURN(uint32_t version, ReadPythonVersion("/usr/bin/python3.13"));  // 0x030d05f0
//   ASSIGN_OR_RETURN(RuntimeLayout rt, LayoutWithoutDebugInfo("/usr/bin/python3.13"));
#ifndef PYREPLAY_REPLAY_PYFRAMES_INTERPRETER_LAYOUT_H_
#define PYREPLAY_REPLAY_PYFRAMES_INTERPRETER_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "replay/pyframes/debug_offsets.h"

namespace pyreplay {

// ReadPythonVersion is the PY_VERSION_HEX in `Py_Version` of the ELF file at `path`. NotFound
// when the file defines no Py_Version (it is not the interpreter, or it links libpython).
absl::StatusOr<uint32_t> ReadPythonVersion(const std::string& path);

// VersionText is "3.13.5" for 0x030d05f0.
std::string VersionText(uint32_t version_hex);

// LayoutWithoutDebugInfo is the layout of the interpreter file at `path` from the file alone:
// `_Py_DebugOffsets` for 3.13+, the known-build table for 3.11. FailedPrecondition for a version
// with neither (3.12: no build to check a table against here), naming what would help.
absl::StatusOr<RuntimeLayout> LayoutWithoutDebugInfo(const std::string& path);

// KnownLayout311 is the layout of CPython 3.11 (Debian's 3.11.2, checked against its debug info
// by the tests; the 3.11 structs did not change within 3.11.x).
CPythonLayout KnownLayout311();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_INTERPRETER_LAYOUT_H_
