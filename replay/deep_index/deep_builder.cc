#include "replay/deep_index/deep_builder.h"

#include <atomic>
#include <chrono>

#include "replay/common/interrupt_guard.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_pass.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay {
absl::StatusOr<DeepBuildResult> BuildAndWriteDeepIndex(const std::string& trace_dir,
                                                       const DeepBuildOptions& options) {
  auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckTraceDir(trace_dir));
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));

  InterruptGuard guard;
  DeepPassOptions pass;
  pass.pmu = options.pmu;
  pass.progress = options.progress;
  pass.cancel = guard.flag();
  absl::StatusOr<DeepPassResult> stops = RunDeepPass(trace_dir, index, pass);
  if (guard.interrupted() || absl::IsCancelled(stops.status())) {
    return absl::CancelledError("the deep index pass was interrupted; nothing was written");
  }
  RETURN_IF_ERROR(stops.status());

  DeepBuildResult out;
  out.deep = AssembleDeepIndex(index, stops->stops, std::move(stops->names));
  out.indexed = index.entries.size();
  out.located = out.deep.entries.size();
  RETURN_IF_ERROR(WriteDeepIndex(trace_dir, out.deep));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace pyreplay
