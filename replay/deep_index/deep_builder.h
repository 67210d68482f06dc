// deep_builder.h: build the deep index with one forward replay pass.
//
// `catch syscall` does not work in rr replays, so the pass breaks on the libc functions that make
// the indexed syscalls (`connect`, `accept4`, `pthread_create`, ...). At each stop it reads `when`
// and the stopped thread, and decodes that thread's Python stack and all threads' Python names
// (deep_pass.h: rr's gdb server driven directly, with the C++ frame decoder; no gdb). AssembleDeepIndex then matches the
// stops to the index's entries. The result is written atomically: an interrupted pass (Ctrl-C)
// leaves no deep index and no temporary file behind.
//
//   DeepBuildOptions options;
//   options.progress = [&](uint64_t when, uint64_t total) { bar.Update(when); };
//   ASSIGN_OR_RETURN(DeepBuildResult result, BuildAndWriteDeepIndex("traces/sockets-1", options));
#ifndef PYREPLAY_REPLAY_DEEP_INDEX_DEEP_BUILDER_H_
#define PYREPLAY_REPLAY_DEEP_INDEX_DEEP_BUILDER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/deep_index/deep_index.h"
#include "replay/deep_index/deep_pass.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

// The pass's options; `cancel` is ignored: the builder cancels on Ctrl-C (SIGINT/SIGTERM) itself.
using DeepBuildOptions = DeepPassOptions;

struct DeepBuildResult {
  DeepIndex deep;
  size_t indexed = 0;     // entries in the event index
  size_t located = 0;     // entries that got a stack
  double seconds = 0;
};

// BuildAndWriteDeepIndex loads (or builds) the event index, replays the trace once in gdb, and
// writes `<trace>/pyreplay/deep`. Cancelled when interrupted; FailedPrecondition when the
// recorded program is not CPython 3.11 with debug symbols (naming the package to install).
absl::StatusOr<DeepBuildResult> BuildAndWriteDeepIndex(const std::string& trace_dir,
                                                       const DeepBuildOptions& options);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DEEP_INDEX_DEEP_BUILDER_H_
