// replay_launcher.h: start `rr replay` on a trace, in the mode it was recorded in, with gdb and
// the pyreplay plugin.
//
//   ReplayRequest request{.trace_dir = "traces/threads-1", .batch = true,
//                         .commands = {"break sock_connect", "continue", "when"}};
//   ASSIGN_OR_RETURN(ExitStatus status, Replay(request));
#ifndef PYREPLAY_REPLAY_RECORD_REPLAY_LAUNCHER_H_
#define PYREPLAY_REPLAY_RECORD_REPLAY_LAUNCHER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/common/install_layout.h"
#include "replay/common/subprocess.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

struct ReplayRequest {
  std::string trace_dir;
  PmuChoice pmu = PmuChoice::kAuto;
  bool batch = false;
  std::vector<std::string> commands;  // gdb -ex commands, run once gdb is connected
  std::string goto_target;            // "N" or "@mark", or ""
  bool goto_given = false;            // --goto was given (so an empty target is an error)
  bool autopilot = false;
  bool no_plugin = false;
  std::vector<std::string> gdb_args;  // passed to gdb last
  // gdb `directory` folders for CPython's C sources; Replay() fills it from the sources cache
  // (`pyreplay sources`) when empty.
  std::vector<std::string> source_dirs;
  // When set, rr's and gdb's stdout and stderr are captured here instead of shown.
  std::string* output = nullptr;
};

// CheckTraceDir is OK for a folder that holds a finished rr trace of the supported format.
// NotFound / FailedPrecondition otherwise, naming the folder and what to do.
absl::Status CheckTraceDir(const std::string& trace_dir);

// ReplayModeFor decides the mode for replaying `trace_dir`: the recorded mode, checked against
// the user's choice and this machine.
absl::StatusOr<PmuMode> ReplayModeFor(const std::string& trace_dir, PmuChoice choice);

// CheckGotoTarget is OK when `target` (what `--goto` got: "N", "+K" or "@NAME") names a place
// in the trace: a mark that exists, an event from 1 to the trace's last, or at most as many
// indexed events as there are. Otherwise NotFound / OutOfRange / InvalidArgument, naming the
// marks that exist or the valid range, so `replay` refuses before starting rr.
absl::Status CheckGotoTarget(const std::string& trace_dir, const std::string& target);

// GdbArguments is what follows `rr replay TRACE --`: connect first (an empty `-ex` makes rr put
// its `target extended-remote` there), then the plugin, the goto, the user's commands.
std::vector<std::string> GdbArguments(const ReplayRequest& request, const InstallLayout& layout);

// Replay runs rr replay and returns how it ended (gdb's or rr's status).
absl::StatusOr<ExitStatus> Replay(const ReplayRequest& request);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_REPLAY_LAUNCHER_H_
