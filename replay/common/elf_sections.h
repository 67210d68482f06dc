// elf_sections.h: the section table of a 64-bit ELF file, and the bytes of one section.
//
// `doctor` uses it to tell, without gdb, whether an interpreter carries its debug info (a
// `.debug_info` section), names a separate file for it (`.gnu_debuglink`), and publishes
// CPython's `_Py_DebugOffsets` (the "xdebugpy" cookie at the start of `.PyRuntime`, 3.13+).
//
//   ASSIGN_OR_RETURN(std::vector<ElfSection> sections, ReadElfSections(path));
//   if (const ElfSection* s = FindSection(sections, ".gnu_debuglink")) ...
#ifndef PYREPLAY_REPLAY_COMMON_ELF_SECTIONS_H_
#define PYREPLAY_REPLAY_COMMON_ELF_SECTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pyreplay {

struct ElfSection {
  std::string name;
  uint32_t type = 0;     // SHT_PROGBITS, SHT_NOBITS (no bytes in the file), ...
  uint64_t offset = 0;   // in the file
  uint64_t size = 0;
};

// ReadElfSections reads the section headers and their names. NotFound when the file cannot be
// opened, InvalidArgument (naming the file) when it is not a 64-bit little-endian ELF or its
// tables are out of bounds.
absl::StatusOr<std::vector<ElfSection>> ReadElfSections(const std::string& path);

// FindSection is the first section called `name`, or nullptr.
const ElfSection* FindSection(const std::vector<ElfSection>& sections, const std::string& name);

// ReadSectionBytes reads up to `max_bytes` of `section` from the file (none for SHT_NOBITS).
absl::StatusOr<std::string> ReadSectionBytes(const std::string& path, const ElfSection& section,
                                             size_t max_bytes);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_ELF_SECTIONS_H_
