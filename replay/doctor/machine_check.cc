#include "replay/doctor/machine_check.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/common/atomic_file.h"
#include "replay/common/elf_build_id.h"
#include "replay/common/install_layout.h"
#include "replay/common/subprocess.h"
#include "replay/record/pmu_mode.h"
#include "replay/record/rr_tool.h"
#include "replay/sources/cpython_sources.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

constexpr char kPythonGdbScript[] = "/usr/share/gdb/auto-load/usr/bin/python3.11-gdb.py";

Check CheckRr() {
  Check check{"rr"};
  if (!CheckRrAvailable().ok()) {
    check.level = CheckLevel::kFail;
    check.detail = "rr is not on PATH";
    check.fix = "sudo apt-get install rr";
    return check;
  }
  std::string version = RrVersion().value_or("unknown");
  check.detail = absl::StrCat("rr ", version, " at ", FindOnPath("rr").value_or("?"));
  if (version != kSupportedRrVersion) {
    check.level = CheckLevel::kWarn;
    check.fix = absl::StrCat("pyreplay is built and tested for rr ", kSupportedRrVersion,
                             " (Debian bookworm's); other versions may write another trace format");
  }
  return check;
}

Check CheckGdb() {
  Check check{"gdb"};
  absl::StatusOr<std::string> out = CaptureOutput({"gdb", "--version"});
  if (!out.ok()) {
    check.level = CheckLevel::kFail;
    check.detail = "gdb is not on PATH (replays need it)";
    check.fix = "sudo apt-get install gdb";
    return check;
  }
  check.detail = std::string(absl::StripAsciiWhitespace(out->substr(0, out->find('\n'))));
  return check;
}

// CheckCpythonSources: are the C sources `list` shows in a replay cached (`pyreplay sources`)?
Check CheckCpythonSources(const std::string& python) {
  Check check{"C sources"};
  absl::StatusOr<CpythonSources> sources = FindCachedSources(python);
  if (sources.ok()) {
    check.detail = absl::StrCat(sources->source_package, " ", sources->used_version, " in ",
                                sources->source_dir);
    if (sources->used_version != sources->wanted_version) {
      absl::StrAppend(&check.detail, " (nearest to ", sources->wanted_version,
                      "; line numbers may differ slightly)");
    }
    return check;
  }
  check.level = CheckLevel::kWarn;
  if (absl::IsFailedPrecondition(sources.status())) {
    check.detail = std::string(sources.status().message());
    return check;
  }
  check.detail = "CPython's C sources are not cached, so `list` in a replay shows no C code";
  check.fix = "pyreplay sources   (as root: pyreplay sources --add-deb-src)";
  return check;
}

std::vector<Check> CheckPython(const std::string& python) {
  std::vector<Check> checks;
  Check interp{"python"};
  if (access(python.c_str(), X_OK) != 0) {
    interp.level = CheckLevel::kFail;
    interp.detail = absl::StrCat(python, " is missing (the chapter sessions run on it)");
    interp.fix = "sudo apt-get install python3.11";
    checks.push_back(interp);
    return checks;
  }
  absl::StatusOr<std::string> version = CaptureOutput({python, "--version"});
  interp.detail = absl::StrCat(python, ": ",
                               absl::StripAsciiWhitespace(version.value_or("unknown version")));
  checks.push_back(interp);

  Check symbols{"debug symbols"};
  absl::StatusOr<std::string> build_id = ReadBuildId(python);
  std::string debug_file =
      build_id.ok() ? DebugFileForBuildId("/usr/lib/debug", *build_id) : std::string();
  if (!debug_file.empty() && fs::exists(debug_file)) {
    symbols.detail = absl::StrCat("found ", debug_file);
  } else {
    symbols.level = CheckLevel::kFail;
    symbols.detail = absl::StrCat("no debug symbols for ", python,
                                  build_id.ok() ? absl::StrCat(" (build-id ", *build_id, ")") : "");
    symbols.fix = "sudo apt-get install python3.11-dbg";
  }
  checks.push_back(symbols);

  Check pybt{"py-bt"};
  if (fs::exists(kPythonGdbScript)) {
    pybt.detail = absl::StrCat("usable: pyreplay replay sources ", kPythonGdbScript);
  } else {
    pybt.level = CheckLevel::kWarn;
    pybt.detail = "CPython's python-gdb.py is missing, so py-bt is undefined (pyr bt still works)";
    pybt.fix = "sudo apt-get install python3.11-dbg";
  }
  checks.push_back(pybt);
  checks.push_back(CheckCpythonSources(python));
  return checks;
}

std::vector<Check> CheckPmuAndKernel() {
  std::vector<Check> checks;
  Check pmu{"pmu"};
  if (MachineHasPmu()) {
    pmu.detail = "hardware performance counters available: recording uses PMU mode (plain rr)";
  } else {
    pmu.level = CheckLevel::kInfo;
    pmu.detail = absl::StrCat(
        "no hardware performance counters: recording uses no-PMU mode (rr with pyreplay's "
        "preload, --microarch '", NoPmuMicroarch(), "'); limits: ", NoPmuLimits());
  }
  checks.push_back(pmu);

  Check kernel{"kernel"};
  struct utsname uts;
  uname(&uts);
  std::string quirks;
  absl::StatusOr<std::string> maps = ReadFileToString("/proc/self/maps");
  if (maps.ok() && absl::StrContains(*maps, "[vvar_vclock]")) {
    quirks = "splits [vvar]/[vvar_vclock] (merged for rr by the preload in no-PMU mode)";
  } else {
    quirks = "single [vvar] mapping (no workaround needed)";
  }
  absl::StatusOr<std::string> paranoid = ReadFileToString("/proc/sys/kernel/perf_event_paranoid");
  std::string paranoid_text(absl::StripAsciiWhitespace(paranoid.value_or("?")));
  kernel.detail = absl::StrCat("Linux ", uts.release, ": ", quirks, "; perf_event_paranoid=",
                               paranoid_text);
  int paranoid_level = 0;
  if (paranoid.ok() && absl::SimpleAtoi(paranoid_text, &paranoid_level) && paranoid_level > 1 &&
      geteuid() != 0) {
    kernel.level = CheckLevel::kFail;
    kernel.fix = "rr needs perf_event_paranoid <= 1: sudo sysctl kernel.perf_event_paranoid=1";
  }
  checks.push_back(kernel);
  return checks;
}

Check SmokeTest() {
  Check check{"smoke test"};
  absl::StatusOr<InstallLayout> layout = FindInstallLayout();
  if (!layout.ok()) {
    check.level = CheckLevel::kFail;
    check.detail = std::string(layout.status().message());
    return check;
  }
  PmuMode mode = MachineHasPmu() ? PmuMode::kPmu : PmuMode::kNoPmu;
  char tmpl[] = "/tmp/pyreplay-doctor-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    check.level = CheckLevel::kFail;
    check.detail = "cannot create a temporary folder in /tmp";
    return check;
  }
  std::string trace = std::string(tmpl) + "/true";
  RrLaunch launch = RrLaunchFor(mode, *layout);
  std::vector<std::string> record = launch.argv, replay = launch.argv;
  record.insert(record.end(), {"record", "-o", trace, "/bin/true"});
  replay.insert(replay.end(), {"replay", "-a", trace});
  std::string output;
  ProcessOptions options{launch.env, &output, /*also_stderr=*/true, /*forward_signals=*/false};
  absl::StatusOr<ExitStatus> recorded = RunProcess(record, options);
  absl::StatusOr<ExitStatus> replayed =
      recorded.ok() && recorded->ok() ? RunProcess(replay, options) : recorded;
  std::error_code ec;
  fs::remove_all(tmpl, ec);
  if (recorded.ok() && recorded->ok() && replayed.ok() && replayed->ok()) {
    check.detail = absl::StrCat("recorded and replayed /bin/true in ", PmuModeName(mode), " mode");
  } else {
    check.level = CheckLevel::kFail;
    std::string first_line = output.substr(0, output.find('\n'));
    check.detail = absl::StrCat("rr could not record and replay /bin/true in ", PmuModeName(mode),
                                " mode: ", first_line);
    check.fix = "fix the checks above; if they pass, report this output as a pyreplay bug";
  }
  return check;
}

}  // namespace

std::vector<Check> CheckMachine(const MachineCheckOptions& options) {
  std::vector<Check> checks;
  checks.push_back(CheckRr());
  checks.push_back(CheckGdb());
  for (Check& c : CheckPython(options.python)) checks.push_back(std::move(c));
  for (Check& c : CheckPmuAndKernel()) checks.push_back(std::move(c));
  if (options.smoke_test && checks[0].level != CheckLevel::kFail) checks.push_back(SmokeTest());
  return checks;
}

bool RecordingWillWork(const std::vector<Check>& checks) {
  for (const Check& check : checks) {
    // gdb and debug symbols matter for replays, not for recording; still, the doctor's exit
    // status reflects everything the chapter needs.
    if (check.level == CheckLevel::kFail) return false;
  }
  return true;
}

}  // namespace pyreplay
