// elf_build_id.h: the GNU build-id of an ELF file, and where its separate debug info would be.
//
//   ASSIGN_OR_RETURN(std::string id, ReadBuildId("/usr/bin/python3.11"));  // "a1b2c3..."
//   std::string debug = DebugFileForBuildId("/usr/lib/debug", id);
//   // "/usr/lib/debug/.build-id/a1/b2c3....debug"
#ifndef PYREPLAY_REPLAY_COMMON_ELF_BUILD_ID_H_
#define PYREPLAY_REPLAY_COMMON_ELF_BUILD_ID_H_

#include <string>

#include "absl/status/statusor.h"

namespace pyreplay {

// ReadBuildId returns the lowercase hex build-id from the NT_GNU_BUILD_ID note of a 64-bit
// little-endian ELF file. NotFound when the file has none, InvalidArgument when it is no ELF.
absl::StatusOr<std::string> ReadBuildId(const std::string& path);

// DebugFileForBuildId is <debug_root>/.build-id/<first 2 hex>/<rest>.debug (gdb's layout).
std::string DebugFileForBuildId(const std::string& debug_root, const std::string& build_id);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_ELF_BUILD_ID_H_
