// trace_pack.h: write a trace into one `.pyrtrace` file for a colleague.
//
// Steps: `rr pack` the trace in place (mapped files become copies, so nothing refers to this
// machine); collect the pyreplay sidecar (metadata, index, marks) and the debug files of every
// mapped ELF (debug_bundle.h); hash everything (SHA-256) into the manifest; write a tar
// (libarchive) compressed into one checksummed zstd frame (zstd_stream.h): the manifest first,
// then the sidecar, rr's files and the debug files. Entries are sorted and their metadata fixed
// (mtime 0, uid/gid 0, modes 0644/0755), so packing the same trace twice gives the same bytes.
// `rr pack` is skipped when rr's files are unchanged since the last one (a stamp in the sidecar,
// never packed).
//
//   PackOptions options{.trace_dir = "traces/sockets-1", .output = "bug.pyrtrace"};
//   ASSIGN_OR_RETURN(PackSummary summary, PackTrace(options));
#ifndef PYREPLAY_REPLAY_PACK_TRACE_PACK_H_
#define PYREPLAY_REPLAY_PACK_TRACE_PACK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/pack/pack_manifest.h"

namespace pyreplay {

// The file name extension of packs.
inline constexpr char kPackExtension[] = ".pyrtrace";

struct PackOptions {
  std::string trace_dir;
  std::string output;             // NAME.pyrtrace; replaced atomically
  bool run_rr_pack = true;        // `rr pack` the trace first (skipping it is for tests/benchmarks)
  int compression_level = 3;      // zstd level; tar --zstd's default is 3 too
  int threads = 0;                // zstd worker threads; 0 (measured fastest on a busy 2-core
                                  // machine) compresses on the calling thread
  bool progress = true;           // a progress bar on a terminal
};

struct PackSummary {
  std::string output;
  PackManifest manifest;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  std::vector<std::string> without_debug;  // mapped ELF files with no debug info on this machine
};

// PackTrace packs `options.trace_dir` into `options.output`. NotFound / FailedPrecondition for a
// missing or unfinished trace, FailedPrecondition when `rr pack` fails or a file changes while
// being packed.
absl::StatusOr<PackSummary> PackTrace(const PackOptions& options);

// PackInputs is what PackTrace would write for `trace_dir`, in archive order: each entry's
// path, kind and size (no checksums yet) with its source file on this machine (parallel to
// manifest.files). No `rr pack`, no archive.
struct PackInputs {
  PackManifest manifest;
  std::vector<std::string> sources;
  std::vector<std::string> without_debug;
};
absl::StatusOr<PackInputs> CollectPackInputs(const std::string& trace_dir);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_TRACE_PACK_H_
