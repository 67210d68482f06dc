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
#include "replay/doctor/python_survey.h"
#include "replay/record/pmu_mode.h"
#include "replay/record/rr_tool.h"
#include "replay/common/rr_dialect.h"
#include "replay/sources/cpython_sources.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

// Debian's default interpreter (python3.11 on Debian 12, python3.13 on Debian 13).
constexpr char kDebianPython[] = "/usr/bin/python3";

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
  std::optional<RrRelease> release = ParseRrRelease(version);
  if (!release || !IsSupportedRr(*release)) {
    check.level = CheckLevel::kWarn;
    check.fix = absl::StrCat("pyreplay is tested with ", SupportedRrRange(),
                             " (Debian 12 has 5.6, Debian 13 5.9, unstable 5.10); other "
                             "releases may write another trace format");
  } else if (std::optional<int> format = TraceFormatOf(*release)) {
    absl::StrAppend(&check.detail, " (trace format ", *format, ")");
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

// PythonGdbScript is CPython's python-gdb.py (py-bt) for `python`, where gdb's auto-load or the
// install put it, or "".
std::string PythonGdbScript(const PythonInstall& python) {
  for (const std::string& elf : {python.executable, python.interpreter_elf}) {
    for (const std::string& script : {absl::StrCat("/usr/share/gdb/auto-load", elf, "-gdb.py"),
                                      absl::StrCat(elf, "-gdb.py")}) {
      if (fs::exists(script)) return script;
    }
  }
  return "";
}

// CheckPython: the interpreter the chapter runs on (`given`, else Debian's python3), as the
// checks always showed it, then one "interpreter" line for every CPython found.
std::vector<Check> CheckPython(const std::string& given, const std::vector<PythonInstall>& found) {
  std::vector<Check> checks;
  Check interp{"python"};
  std::string path = given;
  if (path.empty() && access(kDebianPython, X_OK) == 0) path = kDebianPython;
  if (path.empty() && !found.empty()) path = found.front().path;
  if (path.empty() || access(path.c_str(), X_OK) != 0) {
    interp.level = CheckLevel::kFail;
    interp.detail = path.empty() ? "no CPython interpreter found (the chapter sessions run on one)"
                                 : absl::StrCat(path, " is missing (the chapter sessions run on it)");
    interp.fix = given.empty() ? "sudo apt-get install python3"
                               : "pass an existing interpreter with --python";
    checks.push_back(interp);
    return checks;
  }
  PythonInstall selected = DescribePython(path, given.empty() ? "/usr/bin" : "given");
  interp.detail = SummaryLine(selected);
  if (!selected.ran) interp.level = CheckLevel::kWarn;
  checks.push_back(interp);

  // Recording never needs symbols; Python stacks, the deep index and stepping do, unless the
  // interpreter publishes _Py_DebugOffsets (3.13+).
  Check symbols{"debug symbols"};
  if (selected.debug_info.where != DebugInfo::kNone) {
    symbols.detail = absl::StrCat("found ", selected.debug_info.file);
  } else if (selected.debug_offsets != 0) {
    symbols.detail = absl::StrCat("none for ", selected.interpreter_elf,
                                  ", and none needed: it publishes _Py_DebugOffsets");
  } else {
    symbols.level = CheckLevel::kWarn;
    symbols.detail = absl::StrCat("no debug info for ", selected.interpreter_elf,
                                  ": recording works; Python stacks and stepping do not");
    symbols.fix = selected.works.fix;
  }
  checks.push_back(symbols);

  Check pybt{"py-bt"};
  if (std::string script = PythonGdbScript(selected); !script.empty()) {
    pybt.detail = absl::StrCat("usable: pyreplay replay sources ", script);
  } else {
    pybt.level = CheckLevel::kWarn;
    pybt.detail = "CPython's python-gdb.py is missing, so py-bt is undefined (pyr bt still works)";
    if (selected.debian && selected.major == 3) {
      pybt.fix = absl::StrCat("sudo apt-get install python3.", selected.minor, "-dbg");
    }
  }
  checks.push_back(pybt);
  checks.push_back(CheckCpythonSources(selected.executable));

  for (const PythonInstall& python : found) {
    Check line{"interpreter"};
    line.detail = SummaryLine(python);
    bool readable = python.ran && python.major == 3 && python.minor >= 11;
    line.level = python.works.stacks ? CheckLevel::kOk
                 : readable          ? CheckLevel::kWarn
                                     : CheckLevel::kInfo;
    if (readable && !python.works.stacks) line.fix = python.works.fix;
    checks.push_back(line);
  }
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

std::vector<Check> CheckMachine(const MachineCheckOptions& options,
                                std::vector<PythonInstall>* pythons) {
  std::vector<Check> checks;
  checks.push_back(CheckRr());
  checks.push_back(CheckGdb());
  std::vector<PythonInstall> found = SurveyPythons(options.places);
  for (Check& c : CheckPython(options.python, found)) checks.push_back(std::move(c));
  if (pythons != nullptr) *pythons = std::move(found);
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
