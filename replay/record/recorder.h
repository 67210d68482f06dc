// recorder.h: record a program with rr, in the right PMU mode, into a pyreplay trace.
//
//   RecordRequest request;
//   request.command = {"/usr/bin/python3.11", "app.py"};
//   ASSIGN_OR_RETURN(RecordResult result, Record(request));
//   // result.trace_dir == "traces/app-1", result.program_status: the program's own exit.
#ifndef PYREPLAY_REPLAY_RECORD_RECORDER_H_
#define PYREPLAY_REPLAY_RECORD_RECORDER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/common/subprocess.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

struct RecordRequest {
  std::vector<std::string> command;  // the program and its arguments
  std::string output_dir;            // the exact trace folder; "" picks <traces_root>/<name>-<n>
  std::string traces_root;           // "" means $PYREPLAY_TRACES, else ./traces
  std::string name;                  // "" derives it from the session or the script
  std::string session;               // chapter session name, when recording one
  PmuChoice pmu = PmuChoice::kAuto;
  bool chaos = false;                // rr's chaos scheduling (used by `hunt`)
  bool quiet = false;                // no mode notice on stderr
  std::vector<EnvChange> program_env;
  // For `hunt`: when set, the program's stdout and stderr (and rr's) are captured here instead of
  // shown. `own_process_group` starts rr in a process group of its own, so a terminal's Ctrl-C
  // reaches only us; `on_start` is told rr's pid (the group id) as soon as it runs.
  std::string* program_output = nullptr;
  bool own_process_group = false;
  std::function<void(int pid)> on_start;
  // For `hunt`, which records many traces and keeps two: skip the event index (built later for
  // the kept ones) and reuse an rr version asked once, instead of a process start per recording.
  bool index = true;
  std::optional<std::string> rr_version;
};

struct RecordResult {
  std::string trace_dir;
  PmuMode mode = PmuMode::kNoPmu;
  ExitStatus program_status;  // how the recorded program ended
  uint64_t event_count = 0;   // events in the trace, from its event index (0 if not indexed)
  std::string index_error;    // why the index could not be built, or ""
};

// DefaultTracesRoot is $PYREPLAY_TRACES, or "traces" in the current folder.
std::string DefaultTracesRoot();

// NextTraceNumber is one more than the highest n of the <root>/<name>-<n> folders (1 if none).
int NextTraceNumber(const std::string& root, const std::string& name);

// NextTraceDir picks <root>/<name>-<n> with n = NextTraceNumber(root, name).
std::string NextTraceDir(const std::string& root, const std::string& name);

// Record runs `rr record` and writes the trace's metadata. Errors (rr missing, the program
// missing, an unwritable folder, rr itself failing) are statuses with one actionable message.
// A program that runs and fails is not an error: see RecordResult::program_status.
absl::StatusOr<RecordResult> Record(const RecordRequest& request);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_RECORDER_H_
