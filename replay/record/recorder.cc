#include "replay/record/recorder.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "replay/common/install_layout.h"
#include "replay/common/status_macros.h"
#include "replay/index/event_index.h"
#include "replay/record/recording_meta.h"
#include "replay/record/rr_tool.h"
#include "replay/sources/script_sources.h"
#include "replay/trace/trace_digests.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

std::string DeriveName(const RecordRequest& request) {
  if (!request.name.empty()) return request.name;
  if (!request.session.empty()) return request.session;
  // For `python3.11 app.py`, the script names the recording better than the interpreter.
  for (size_t i = 1; i < request.command.size(); ++i) {
    if (absl::EndsWith(request.command[i], ".py")) {
      return fs::path(request.command[i]).stem().string();
    }
  }
  return fs::path(request.command[0]).filename().string();
}

absl::Status PrepareParent(const fs::path& trace_dir) {
  fs::path parent = trace_dir.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec || access(parent.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write traces to ", parent.string(), ": ",
        ec ? ec.message() : "permission denied", "; choose another folder with -o"));
  }
  if (fs::exists(trace_dir)) {
    return absl::AlreadyExistsError(absl::StrCat(
        trace_dir.string(), " already exists; choose another -o or remove it first"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string DefaultTracesRoot() {
  const char* env = std::getenv("PYREPLAY_TRACES");
  return env != nullptr && *env != 0 ? env : "traces";
}

int NextTraceNumber(const std::string& root, const std::string& name) {
  int highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string file = entry.path().filename().string();
    absl::string_view rest = file;
    int n = 0;
    if (absl::ConsumePrefix(&rest, name + "-") && absl::SimpleAtoi(rest, &n)) {
      highest = std::max(highest, n);
    }
  }
  return highest + 1;
}

std::string NextTraceDir(const std::string& root, const std::string& name) {
  return (fs::path(root) / absl::StrCat(name, "-", NextTraceNumber(root, name))).string();
}

absl::StatusOr<RecordResult> Record(const RecordRequest& request) {
  if (request.command.empty()) {
    return absl::InvalidArgumentError("nothing to record: give a program after --, or --session");
  }
  ASSIGN_OR_RETURN(InstallLayout layout, FindInstallLayout());
  RETURN_IF_ERROR(CheckRrAvailable());
  if (absl::StatusOr<std::string> program = FindOnPath(request.command[0]); !program.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot record ", request.command[0], ": ",
                                            program.status().message()));
  }
  ASSIGN_OR_RETURN(PmuMode mode, ResolvePmuMode(request.pmu));

  std::string name = DeriveName(request);
  std::string trace_dir = request.output_dir;
  if (trace_dir.empty()) {
    std::string root = request.traces_root.empty() ? DefaultTracesRoot() : request.traces_root;
    std::error_code ec;
    fs::create_directories(root, ec);
    trace_dir = NextTraceDir(root, name);
  }
  RETURN_IF_ERROR(PrepareParent(trace_dir));

  if (mode == PmuMode::kNoPmu && !request.quiet) {
    fprintf(stderr,
            "pyreplay: recording in no-PMU mode (no hardware performance counters here): %s.\n",
            std::string(NoPmuLimits()).c_str());
  }
  RrLaunch launch = RrLaunchFor(mode, layout);
  std::vector<std::string> argv = launch.argv;
  argv.insert(argv.end(), {"record", "-o", trace_dir});
  if (request.chaos) argv.push_back("--chaos");
  for (const auto& [var, value] : request.program_env) {
    if (value) argv.insert(argv.end(), {"-v", absl::StrCat(var, "=", *value)});
  }
  argv.insert(argv.end(), request.command.begin(), request.command.end());

  // Asking rr for its version costs a process start; do it while rr records, not after.
  std::future<std::optional<std::string>> rr_version =
      request.rr_version ? std::async(std::launch::deferred, [&] { return request.rr_version; })
                         : std::async(std::launch::async, RrVersion);
  ProcessOptions options;
  options.env = launch.env;
  options.output = request.program_output;
  options.also_stderr = request.program_output != nullptr;
  options.own_process_group = request.own_process_group;
  options.forward_signals = !request.own_process_group;
  options.on_start = request.on_start;
  // rr prints "Saving execution to" on a terminal; we print our own summary instead.
  ASSIGN_OR_RETURN(ExitStatus status, RunProcess(argv, options));
  if (!fs::exists(fs::path(trace_dir) / "version")) {
    return absl::InternalError(absl::StrCat(
        "rr record failed (status ", status.ShellCode(), ") and left no complete trace in ",
        trace_dir, "; run `pyreplay doctor` to check this machine"));
  }

  RecordingMeta meta;
  meta.pyreplay_version = PYREPLAY_VERSION;
  meta.rr_version = rr_version.get().value_or("");
  meta.mode = mode;
  meta.microarch = mode == PmuMode::kNoPmu ? NoPmuMicroarch() : "";
  meta.name = name;
  meta.session = request.session;
  meta.command = request.command;
  meta.cwd = fs::current_path().string();
  meta.chaos = request.chaos;
  meta.exit_code = status.ShellCode();
  meta.recorded_at = absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  RETURN_IF_ERROR(WriteRecordingMeta(trace_dir, meta));
  // rr keeps only mapped files; keep the program's own .py files so listings show them as run.
  if (absl::StatusOr<int> copied = CopyScriptSources(trace_dir, meta.command, meta.cwd);
      !copied.ok()) {
    fprintf(stderr, "pyreplay: warning: the script's sources were not kept in the trace: %s\n",
            std::string(copied.status().message()).c_str());
  }

  // Last: what every file is now, so any later change is caught (trace_digests.h).
  RETURN_IF_ERROR(WriteTraceDigests(trace_dir));

  RecordResult result;
  result.trace_dir = trace_dir;
  result.mode = mode;
  result.program_status = status;
  // Index now, so `events` and the gdb plugin start at once. A failure here keeps the trace.
  if (!request.index) return result;
  if (absl::StatusOr<EventIndex> index = LoadOrBuildIndex(trace_dir); index.ok()) {
    result.event_count = index->event_count;
  } else {
    result.index_error = std::string(index.status().message());
  }
  return result;
}

}  // namespace pyreplay
