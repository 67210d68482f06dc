// subprocess.h: start a program, wait for it, and report how it ended.
//
//   ASSIGN_OR_RETURN(ExitStatus st, RunProcess({"rr", "record", ...}, {{"LD_PRELOAD", so}}));
//   return st.ShellCode();   // 0..255, or 128+signal
#ifndef PYREPLAY_REPLAY_COMMON_SUBPROCESS_H_
#define PYREPLAY_REPLAY_COMMON_SUBPROCESS_H_

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace pyreplay {

// ExitStatus is how a child process ended: an exit code, or the signal that killed it.
struct ExitStatus {
  int code = 0;    // valid when signal == 0
  int signal = 0;  // the fatal signal, or 0
  // ShellCode is the status a shell would report: the code, or 128 + signal.
  int ShellCode() const { return signal != 0 ? 128 + signal : code; }
  bool ok() const { return signal == 0 && code == 0; }
};

// EnvChange sets a variable (value) or removes it (nullopt).
using EnvChange = std::pair<std::string, std::optional<std::string>>;

struct ProcessOptions {
  std::vector<EnvChange> env;
  // When set, the child's stdout (and stderr when also_stderr) is captured into *output.
  std::string* output = nullptr;
  bool also_stderr = false;
  // While the child runs, SIGINT/SIGTERM/SIGQUIT are ignored by us: the terminal delivers them to
  // the child (same process group), and we wait to report its status.
  bool forward_signals = true;
  // When set, the child leads a new process group (its pid is the group id): signals from the
  // terminal no longer reach it. `on_start` is called with its pid right after it starts.
  bool own_process_group = false;
  std::function<void(int pid)> on_start;
};

// FindOnPath returns the full path of `program` (as execvp would find it), or NotFound.
absl::StatusOr<std::string> FindOnPath(const std::string& program);

// RunProcess runs argv[0] (searched on PATH) and waits. NotFound when it cannot be started.
absl::StatusOr<ExitStatus> RunProcess(const std::vector<std::string>& argv,
                                      const ProcessOptions& options = {});

// CaptureOutput runs argv and returns its stdout; FailedPrecondition when it does not exit 0.
absl::StatusOr<std::string> CaptureOutput(const std::vector<std::string>& argv,
                                          const std::vector<EnvChange>& env = {});

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_SUBPROCESS_H_
