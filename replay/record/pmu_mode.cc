#include "replay/record/pmu_mode.h"

#include <cpuid.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pyreplay {

absl::string_view PmuModeName(PmuMode mode) { return mode == PmuMode::kPmu ? "pmu" : "nopmu"; }

absl::StatusOr<PmuMode> ParsePmuModeName(absl::string_view name) {
  if (name == "pmu") return PmuMode::kPmu;
  if (name == "nopmu") return PmuMode::kNoPmu;
  return absl::InvalidArgumentError(absl::StrCat("unknown recording mode '", name, "'"));
}

absl::StatusOr<PmuChoice> ParsePmuChoice(absl::string_view text) {
  if (text == "auto") return PmuChoice::kAuto;
  if (text == "on") return PmuChoice::kOn;
  if (text == "off") return PmuChoice::kOff;
  return absl::InvalidArgumentError(
      absl::StrCat("--pmu takes auto, on or off, not '", text, "'"));
}

bool MachineHasPmu() {
  if (const char* forced = std::getenv("PYREPLAY_ASSUME_NO_PMU"); forced && *forced == '1') {
    return false;
  }
  perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_HARDWARE;
  attr.config = PERF_COUNT_HW_BRANCH_INSTRUCTIONS;
  attr.exclude_kernel = 1;
  attr.exclude_guest = 1;
  attr.disabled = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return false;
  close(static_cast<int>(fd));
  return true;
}

absl::StatusOr<PmuMode> ResolvePmuMode(PmuChoice choice) {
  switch (choice) {
    case PmuChoice::kOff:
      return PmuMode::kNoPmu;
    case PmuChoice::kAuto:
      return MachineHasPmu() ? PmuMode::kPmu : PmuMode::kNoPmu;
    case PmuChoice::kOn:
      if (MachineHasPmu()) return PmuMode::kPmu;
      return absl::FailedPreconditionError(
          "--pmu on: this machine has no hardware performance counters (a VM or container "
          "without PMU passthrough); use --pmu auto or --pmu off to record in no-PMU mode");
  }
  return absl::InternalError("unreachable");
}

std::string NoPmuMicroarch() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  __get_cpuid(0, &eax, &ebx, &ecx, &edx);
  char vendor[13] = {};
  memcpy(vendor, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  return absl::string_view(vendor) == "AuthenticAMD" ? "AMD Zen" : "Intel Skylake";
}

absl::string_view NoPmuLimits() {
  return "ticks are always 0, threads switch only at blocking syscalls, and async signals "
         "(timers) that land in user code cannot be replayed";
}

RrLaunch RrLaunchFor(PmuMode mode, const InstallLayout& layout) {
  RrLaunch launch;
  launch.argv.push_back("rr");
  if (mode == PmuMode::kNoPmu) {
    launch.argv.push_back("--microarch");
    launch.argv.push_back(NoPmuMicroarch());
    std::string preload = layout.preload;
    if (const char* existing = std::getenv("LD_PRELOAD"); existing && *existing) {
      preload = absl::StrCat(preload, ":", existing);
    }
    launch.env.emplace_back("LD_PRELOAD", preload);
  }
  return launch;
}

}  // namespace pyreplay
