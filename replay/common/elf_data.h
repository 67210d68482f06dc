// elf_data.h: the initialised bytes of a data symbol or a section, read from an ELF file.
//
// CPython exports `Py_Version` (its PY_VERSION_HEX) and `_PyRuntime` (whose first bytes are, from
// 3.13 on, the `_Py_DebugOffsets` table) as data symbols in `.dynsym`, which `strip` keeps. Both
// are statically initialised, so their values are in the file: no process is needed to read them.
//
//   ASSIGN_OR_RETURN(ElfData v, ReadDataSymbol("/usr/bin/python3.13", "Py_Version", 4));
//   ASSIGN_OR_RETURN(ElfData r, ReadSectionData("/usr/bin/python3.13", ".PyRuntime", 4096));
#ifndef PYREPLAY_REPLAY_COMMON_ELF_DATA_H_
#define PYREPLAY_REPLAY_COMMON_ELF_DATA_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace pyreplay {

struct ElfData {
  uint64_t address = 0;               // the link-time virtual address (add the load bias of a PIE)
  bool position_independent = false;  // ET_DYN
  std::string bytes;                  // what the file holds there (zeros for .bss parts)
};

// ReadDataSymbol reads up to `max_len` bytes (at most the symbol's own size) of the object symbol
// `name`, looked up in `.dynsym` and then `.symtab`. NotFound when the file has no such symbol,
// InvalidArgument when it is no 64-bit little-endian ELF or its tables are out of bounds.
absl::StatusOr<ElfData> ReadDataSymbol(const std::string& path, const std::string& name,
                                       size_t max_len);

// ReadSectionData reads up to `max_len` bytes of the section called `name`. NotFound when none.
absl::StatusOr<ElfData> ReadSectionData(const std::string& path, const std::string& name,
                                        size_t max_len);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_ELF_DATA_H_
