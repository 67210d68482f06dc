#include "replay/deep_index/deep_builder.h"

#include <signal.h>

#include <atomic>
#include <chrono>

#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_pass.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay {
namespace {

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) { g_interrupted = true; }

// InterruptGuard turns Ctrl-C (and SIGTERM) into a flag the pass polls while it is installed, so
// the pass can kill its replay and return with nothing written instead of dying mid-write.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = false;
    struct sigaction action = {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

}  // namespace

absl::StatusOr<DeepBuildResult> BuildAndWriteDeepIndex(const std::string& trace_dir,
                                                       const DeepBuildOptions& options) {
  auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckTraceDir(trace_dir));
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));

  InterruptGuard guard;
  DeepPassOptions pass;
  pass.pmu = options.pmu;
  pass.progress = options.progress;
  pass.cancel = &g_interrupted;
  absl::StatusOr<DeepPassResult> stops = RunDeepPass(trace_dir, index, pass);
  if (g_interrupted.load() || absl::IsCancelled(stops.status())) {
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
