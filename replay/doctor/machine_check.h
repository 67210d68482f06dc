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

#include "replay/doctor/python_survey.h"

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
  // The interpreter the "python", "debug symbols", "py-bt" and "C sources" checks are about;
  // "" is Debian's /usr/bin/python3 (else the newest one found).
  std::string python;
  // Where to look for interpreters (one "interpreter" check each).
  SurveyPlaces places = SurveyPlaces::ForThisMachine();
};

// CheckMachine runs the checks; `pythons`, when given, receives the interpreters found.
std::vector<Check> CheckMachine(const MachineCheckOptions& options,
                                std::vector<PythonInstall>* pythons = nullptr);

// RecordingWillWork is true when no check failed.
bool RecordingWillWork(const std::vector<Check>& checks);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DOCTOR_MACHINE_CHECK_H_
