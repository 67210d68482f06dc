// deep_pass.h: the deep index's replay pass, driven without gdb.
//
// One forward replay under rr's gdb server, spoken to directly (replay/rsp): breakpoints on the
// libc functions that make the indexed syscalls (rr has no `catch syscall`), addresses computed
// from libc's symbol table and rr's `mmaps` stream; at each stop, rr's `when`, the stopped thread
// and its Python stack read by the C++ frame decoder, and the Python names of all threads; at
// bind and connect, the sockaddr argument too (rsi, rdx at the function's entry).
// gdb is needed at most once per CPython 3.11 build, to learn its layout (python_layout.h); 3.13+
// carry it (_Py_DebugOffsets). Without
// gdb's start-up and symbol loading, the pass costs little more than the replay itself.
#ifndef PYREPLAY_REPLAY_DEEP_INDEX_DEEP_PASS_H_
#define PYREPLAY_REPLAY_DEEP_INDEX_DEEP_PASS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

struct DeepPassOptions {
  PmuChoice pmu = PmuChoice::kAuto;
  // progress is called at each stop with the replay's current event.
  std::function<void(uint64_t when, uint64_t total_events)> progress;
  // When it becomes true the pass stops and returns Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct DeepPassResult {
  std::vector<DeepStop> stops;
  std::vector<std::pair<int32_t, std::string>> names;  // tid -> Python thread name
};

// BreakFunctions maps each libc function the pass breaks on to the indexed kind it stands for.
std::vector<std::pair<std::string, EventKind>> BreakFunctions();

// RunDeepPass replays `trace_dir` once and collects a stop for every call of a break function.
// FailedPrecondition when the program is no CPython pyreplay reads (3.11, 3.13+) or its libc
// cannot be found; Cancelled when `cancel` became true.
absl::StatusOr<DeepPassResult> RunDeepPass(const std::string& trace_dir, const EventIndex& index,
                                           const DeepPassOptions& options);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DEEP_INDEX_DEEP_PASS_H_
