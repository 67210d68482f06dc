// debug_bundle.h: the separate debug-info files that travel in a pack, and how gdb finds them.
//
// Every ELF file a trace mapped (rr copies them into the trace as mmap_pack_*) carries a GNU
// build-id. Its debug info, when installed, is <root>/.build-id/xx/yyyy.debug (python3.11's comes
// from python3.11-dbg). A pack bundles those files under <trace>/pyreplay/debug in the same
// layout, and `replay` puts that folder first in gdb's debug-file-directory.
//
//   std::vector<std::string> no_debug;
//   ASSIGN_OR_RETURN(std::vector<DebugFile> files,
//                    FindDebugFiles(trace, DebugRootsForPacking(trace), &no_debug));
//   std::vector<std::string> gdb = GdbDebugArguments(trace);  // {"-iex", "set ...", ...}
#ifndef PYREPLAY_REPLAY_PACK_DEBUG_BUNDLE_H_
#define PYREPLAY_REPLAY_PACK_DEBUG_BUNDLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pyreplay {

struct DebugFile {
  std::string build_id;
  std::string source_path;   // where it was found on this machine
  std::string archive_path;  // pyreplay/debug/.build-id/xx/yyyy.debug
  std::string debug_for;     // the trace file it describes, e.g. mmap_pack_6_python3.11
};

// SystemDebugDirectory is $PYREPLAY_SYSTEM_DEBUG_DIR when set, else /usr/lib/debug: the system
// part of gdb's debug-file-directory (a ':'-separated list).
std::string SystemDebugDirectory();

// BundledDebugDirectory is <trace>/pyreplay/debug (absolute).
std::string BundledDebugDirectory(const std::string& trace_dir);

// DebugRootsForPacking is where packing looks, in order: the trace's own bundle (so a trace that
// was unpacked keeps its debug files when packed again), then SystemDebugDirectory()'s folders.
std::vector<std::string> DebugRootsForPacking(const std::string& trace_dir);

// FindDebugFiles returns the debug file of every mapped ELF file at the top of `trace_dir`, once
// per build-id, sorted by archive path. The names of mapped ELF files with no debug file found go
// to `without_debug` (when given).
absl::StatusOr<std::vector<DebugFile>> FindDebugFiles(const std::string& trace_dir,
                                                      const std::vector<std::string>& roots,
                                                      std::vector<std::string>* without_debug);

// GdbDebugArguments is what gdb needs to use a trace's bundled debug files:
//   -iex "set auto-load safe-path <system debug dirs>:$datadir/auto-load"
//   -iex "set debug-file-directory <bundle>:<system debug dirs>"
// (the bundle only when <trace>/pyreplay/debug exists). The safe path is set first and names the
// system folders explicitly: gdb's default safe path includes $debugdir, which would otherwise
// make scripts inside the received trace trusted. Always given, so $PYREPLAY_SYSTEM_DEBUG_DIR
// decides the system part for every trace.
std::vector<std::string> GdbDebugArguments(const std::string& trace_dir);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_DEBUG_BUNDLE_H_
