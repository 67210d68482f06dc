// machine_check.h: what this machine can do for pyreplay, as a list of checks with fixes.
//
// `pyreplay doctor` prints these. Each check says what it found and, when something is missing,
// the one command or step that fixes it.
//
//   std::vector<Check> checks = CheckMachine({.smoke_test = true});
//   bool can_record = RecordingWillWork(checks);
#ifndef PYREPLAY_REPLAY_DOCTOR_MACHINE_CHECK_H_
#define PYREPLAY_REPLAY_DOCTOR_MACHINE_CHECK_H_

#include <string>
#include <vector>

#include "replay/common/debian_python.h"

namespace pyreplay {

enum class CheckLevel { kOk, kInfo, kWarn, kFail };

struct Check {
  std::string name;    // "rr", "gdb", "pmu", ...
  CheckLevel level = CheckLevel::kOk;
  std::string detail;  // what was found
  std::string fix;     // what to do, when level is kWarn or kFail
};

struct MachineCheckOptions {
  // Record and replay /bin/true for real, in the mode recording would use.
  bool smoke_test = true;
  std::string python = DebianPython();
};

std::vector<Check> CheckMachine(const MachineCheckOptions& options);

// RecordingWillWork is true when no check failed.
bool RecordingWillWork(const std::vector<Check>& checks);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DOCTOR_MACHINE_CHECK_H_
