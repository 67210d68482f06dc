// pmu_mode.h: which recording mode this machine needs, and how to start rr in it.
//
// PMU mode is plain rr. No-PMU mode loads our preload library into the rr process (see
// replay/nopmu/nopmu_preload.cc) and names a CPU microarchitecture for rr, since with no counters
// to read the choice only has to be one rr accepts.
//
//   ASSIGN_OR_RETURN(PmuMode mode, ResolvePmuMode(PmuChoice::kAuto));
//   RrLaunch launch = RrLaunchFor(mode, layout);   // launch.argv = {"rr", "--microarch", ...}
#ifndef PYREPLAY_REPLAY_RECORD_PMU_MODE_H_
#define PYREPLAY_REPLAY_RECORD_PMU_MODE_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "replay/common/install_layout.h"
#include "replay/common/subprocess.h"

namespace pyreplay {

enum class PmuMode { kPmu, kNoPmu };
enum class PmuChoice { kAuto, kOn, kOff };

// PmuModeName is "pmu" or "nopmu", as stored in a trace's metadata.
absl::string_view PmuModeName(PmuMode mode);
absl::StatusOr<PmuMode> ParsePmuModeName(absl::string_view name);
absl::StatusOr<PmuChoice> ParsePmuChoice(absl::string_view text);  // auto|on|off

// MachineHasPmu opens a hardware branch counter on ourselves, as rr would.
bool MachineHasPmu();

// ResolvePmuMode turns the user's choice into a mode. `on` on a machine without a PMU is
// FailedPrecondition, with the fix in the message.
absl::StatusOr<PmuMode> ResolvePmuMode(PmuChoice choice);

// NoPmuMicroarch is the rr --microarch name used in no-PMU mode: "AMD Zen" on AMD, else
// "Intel Skylake". rr 5.6.0 refuses CPU models newer than itself; with no counters to program,
// any model rr knows will do.
std::string NoPmuMicroarch();

// NoPmuLimits is the plain-language summary printed when recording without a PMU.
absl::string_view NoPmuLimits();

// RrLaunch is how to start rr in a mode: the argv prefix and the environment changes.
struct RrLaunch {
  std::vector<std::string> argv;  // {"rr", ["--microarch", NAME]}
  std::vector<EnvChange> env;     // LD_PRELOAD of the no-PMU library
};
RrLaunch RrLaunchFor(PmuMode mode, const InstallLayout& layout);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_PMU_MODE_H_
