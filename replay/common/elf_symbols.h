// elf_symbols.h: symbol values from a 64-bit ELF file's dynamic symbol table.
//
// The deep index pass breaks on libc's socket functions without gdb: their addresses are the
// library's load base (from rr's `mmaps` stream) plus the values read here.
//
//   ASSIGN_OR_RETURN(auto values, ReadDynamicSymbols("/usr/lib/x86_64-linux-gnu/libc.so.6",
//                                                    {"connect", "accept4"}));
#ifndef PYREPLAY_REPLAY_COMMON_ELF_SYMBOLS_H_
#define PYREPLAY_REPLAY_COMMON_ELF_SYMBOLS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace pyreplay {

struct ElfSymbols {
  bool position_independent = false;             // ET_DYN: values are relative to the base
  uint64_t entry = 0;                            // e_entry, likewise
  absl::flat_hash_map<std::string, uint64_t> values;  // the defined functions asked for
};

// ReadDynamicSymbols looks `names` up in `.dynsym`. Names not defined there are absent from the
// result. InvalidArgument (naming the file) when it is not a 64-bit little-endian ELF or its
// tables are out of bounds; NotFound when it cannot be opened.
absl::StatusOr<ElfSymbols> ReadDynamicSymbols(const std::string& path,
                                              const std::vector<std::string>& names);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_ELF_SYMBOLS_H_
