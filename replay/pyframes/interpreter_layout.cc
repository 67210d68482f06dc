#include "replay/pyframes/interpreter_layout.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "replay/common/elf_data.h"

namespace pyreplay {
namespace {

// offsetof(_PyRuntimeState, interpreters.head) in 3.11 (Include/internal/pycore_runtime.h at
// v3.11.2: _initialized, preinitializing, preinitialized, core_initialized, initialized (5 ints),
// _finalizing (a pointer, at 24), then interpreters {mutex (8), head}).
constexpr uint64_t kInterpretersHead311 = 40;

}  // namespace

absl::StatusOr<uint32_t> ReadPythonVersion(const std::string& path) {
  absl::StatusOr<ElfData> data = ReadDataSymbol(path, "Py_Version", 4);
  if (!data.ok()) return data.status();
  if (data->bytes.size() != 4) {
    return absl::DataLossError(absl::StrCat(path, ": Py_Version is not 4 bytes"));
  }
  uint32_t version = 0;
  memcpy(&version, data->bytes.data(), 4);
  return version;
}

std::string VersionText(uint32_t v) {
  return absl::StrCat(v >> 24, ".", (v >> 16) & 0xff, ".", (v >> 8) & 0xff);
}

CPythonLayout KnownLayout311() { return CPythonLayout(); }

absl::StatusOr<RuntimeLayout> LayoutWithoutDebugInfo(const std::string& path) {
  absl::StatusOr<uint32_t> version = ReadPythonVersion(path);
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " defines no Py_Version: it is not a CPython 3.11+ interpreter or libpython"));
  }
  const int minor = MinorVersion(*version);
  if (minor >= 13) return LayoutFromDebugOffsets(path);
  if (minor != 11) {
    return absl::FailedPreconditionError(absl::StrCat(
        "CPython ", VersionText(*version), " has no _Py_DebugOffsets, and pyreplay knows its "
        "layout only from its debug symbols: install them (the python3.", minor, "-dbg package "
        "or the build's own debug info)"));
  }
  RuntimeLayout out;
  out.layout = KnownLayout311();
  out.layout.python_version = *version;
  absl::StatusOr<ElfData> runtime = ReadDataSymbol(path, "_PyRuntime", 0);
  if (!runtime.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " exports no _PyRuntime, so its threads cannot be found"));
  }
  out.runtime = runtime->address;
  out.interpreters_head = out.runtime + kInterpretersHead311;
  for (auto [symbol, field] : {std::pair{"PyUnicode_Type", &CPythonLayout::unicode_type},
                               std::pair{"PyBytes_Type", &CPythonLayout::bytes_type},
                               std::pair{"PyCode_Type", &CPythonLayout::code_type}}) {
    absl::StatusOr<ElfData> type = ReadDataSymbol(path, symbol, 0);
    if (type.ok()) out.layout.*field = type->address;
  }
  return out;
}

}  // namespace pyreplay
