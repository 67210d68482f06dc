#include "replay/record/replay_launcher.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/common/atomic_file.h"
#include "replay/common/rr_dialect.h"
#include "replay/common/status_macros.h"
#include "replay/index/event_index.h"
#include "replay/marks/mark_store.h"
#include "replay/pack/debug_bundle.h"
#include "replay/record/recording_meta.h"
#include "replay/record/rr_tool.h"
#include "replay/sources/cpython_sources.h"
#include "replay/trace/mapped_files.h"
#include "replay/trace/trace_digests.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {
namespace fs = std::filesystem;

absl::Status CheckTraceDir(const std::string& trace_dir) {
  std::error_code ec;
  if (!fs::is_directory(trace_dir, ec)) {
    return absl::NotFoundError(absl::StrCat(trace_dir, ": no such trace folder"));
  }
  std::string version_path = trace_dir + "/version";
  if (!fs::exists(version_path, ec)) {
    if (fs::exists(trace_dir + "/incomplete", ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          trace_dir, ": the recording did not finish (rr left `incomplete`); record it again"));
    }
    return absl::NotFoundError(
        absl::StrCat(trace_dir, " is not an rr trace (it has no `version` file)"));
  }
  absl::StatusOr<std::string> text = ReadFileToString(version_path);
  if (!text.ok()) return text.status();
  absl::string_view first_line = *text;
  first_line = first_line.substr(0, first_line.find('\n'));
  int version = 0;
  if (!absl::SimpleAtoi(first_line, &version)) {
    return absl::DataLossError(absl::StrCat(version_path, ": not an rr version file"));
  }
  if (version != kSupportedTraceVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        trace_dir, ": rr trace format ", version, " is not supported; pyreplay reads format ",
        kSupportedTraceVersion, " (", SupportedRrRange(), "); replay it with the rr that "
        "recorded it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PmuMode> ReplayModeFor(const std::string& trace_dir, PmuChoice choice) {
  absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(trace_dir);
  if (!meta.ok() && !absl::IsNotFound(meta.status())) return meta.status();
  if (!meta.ok()) {
    // A plain rr trace: replay it the way this machine can.
    return ResolvePmuMode(choice);
  }
  if (meta->mode == PmuMode::kNoPmu) {
    if (choice == PmuChoice::kOn) {
      return absl::FailedPreconditionError(absl::StrCat(
          trace_dir, " was recorded in no-PMU mode (every tick is 0), so it must be replayed in "
                     "no-PMU mode; drop --pmu on"));
    }
    return PmuMode::kNoPmu;
  }
  if (choice == PmuChoice::kOff) {
    return absl::FailedPreconditionError(absl::StrCat(
        trace_dir, " was recorded with hardware counters and cannot replay in no-PMU mode; "
                   "drop --pmu off"));
  }
  if (!MachineHasPmu()) {
    return absl::FailedPreconditionError(absl::StrCat(
        trace_dir, " was recorded with hardware counters, and this machine has none; replay it "
                   "on a machine with a PMU"));
  }
  return PmuMode::kPmu;
}

absl::Status CheckGotoTarget(const std::string& trace_dir, const std::string& target) {
  if (absl::StartsWith(target, "@")) {
    std::string name = target.substr(1);
    if (name.empty()) {
      return absl::InvalidArgumentError("--goto @ needs a mark name, e.g. --goto @before-connect");
    }
    absl::StatusOr<Mark> mark = MarkStore(trace_dir).Find(name);
    if (!mark.ok()) {
      return absl::Status(mark.status().code(),
                          absl::StrCat("--goto ", target, ": ", mark.status().message(),
                                       "; `pyreplay marks ", trace_dir, "` lists them"));
    }
    return absl::OkStatus();
  }
  if (target.empty()) {
    return absl::InvalidArgumentError(
        "--goto needs a target: an event number N, +K (the K-th indexed event) or @MARK");
  }
  absl::string_view digits = target;
  bool relative = absl::ConsumePrefix(&digits, "+");
  const bool all_digits = !digits.empty() && std::all_of(digits.begin(), digits.end(),
                                                         [](char c) { return absl::ascii_isdigit(c); });
  uint64_t value = 0;
  if (all_digits && !relative && !absl::SimpleAtoi(digits, &value)) {
    // Too large for 64 bits: out of range, in the words `pyr goto` uses for the same number.
    ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));
    return absl::OutOfRangeError(absl::StrCat("--goto ", target, ": event ", digits,
                                              " is out of range: this trace has events 1 to ",
                                              index.event_count));
  }
  if (!all_digits || !absl::SimpleAtoi(digits, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--goto ", target, " is not a target: use an event number N, +K (the K-th indexed "
        "event) or @MARK (-K has nothing before the start of the replay)"));
  }
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));
  if (relative) {
    if (value < 1 || value > index.entries.size()) {
      return absl::OutOfRangeError(absl::StrCat(
          "--goto ", target, ": ", trace_dir, " has ", index.entries.size(),
          " indexed events, so K goes from 1 to ", index.entries.size()));
    }
    return absl::OkStatus();
  }
  if (value < 1 || value > index.event_count) {
    return absl::OutOfRangeError(absl::StrCat("--goto ", target, ": event ", value,
                                              " is out of range: this trace has events 1 to ",
                                              index.event_count));
  }
  return absl::OkStatus();
}

std::vector<std::string> GdbArguments(const ReplayRequest& request, const InstallLayout& layout) {
  std::vector<std::string> args;
  // rr's own gdb macros redefine `restart` and `jump`; without this gdb asks about each.
  args.insert(args.end(), {"-iex", "set confirm off"});
  // A received trace's bundled debug files come first; nothing inside a trace is auto-loaded.
  std::vector<std::string> debug = GdbDebugArguments(request.trace_dir);
  args.insert(args.end(), debug.begin(), debug.end());
  // CPython's C sources (`pyreplay sources`), so `list` shows ../Python/thread_pthread.h.
  for (const std::string& dir : request.source_dirs) {
    args.insert(args.end(), {"-iex", "directory " + dir});
  }
  // rr inserts `target extended-remote` before the first -ex that is a prefix of "continue";
  // the empty command is one, so everything after it runs on a connected gdb.
  args.insert(args.end(), {"-ex", ""});
  if (!request.no_plugin) args.insert(args.end(), {"-x", layout.plugin_loader});
  if (!request.goto_target.empty()) {
    args.insert(args.end(), {"-ex", "pyr goto " + request.goto_target});
  }
  for (const std::string& command : request.commands) args.insert(args.end(), {"-ex", command});
  if (request.batch) args.push_back("-batch");
  args.insert(args.end(), request.gdb_args.begin(), request.gdb_args.end());
  return args;
}

namespace {

// CpythonSourceDirsFor is where gdb finds the recorded interpreter's C sources, when cached.
std::vector<std::string> CpythonSourceDirsFor(const std::string& trace_dir, bool quiet) {
  std::string python = DebianPython();
  if (absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(trace_dir);
      meta.ok() && !meta->command.empty() &&
      fs::path(meta->command[0]).filename().string().rfind("python", 0) == 0 &&
      fs::exists(meta->command[0])) {
    python = meta->command[0];
  }
  absl::StatusOr<CpythonSources> sources = FindCachedSources(python);
  if (!sources.ok()) {
    if (!quiet) {
      fprintf(stderr, "pyreplay: no CPython C sources cached, so `list` cannot show them; "
                      "fetch them once with `pyreplay sources`\n");
    }
    return {};
  }
  return GdbSourceDirectories(*sources);
}

// NoteChangedMetadata explains, in one line before rr starts, the "Metadata of ... changed" lines
// rr 5.6 logs (at error level, so they cannot be silenced without hiding rr's real errors) for a
// trace copied by other means than `pyreplay pack`: the copies of the mapped files have new
// inodes and times. The bytes are what matters, and the digests checked them.
void NoteChangedMetadata(const std::string& trace_dir) {
  absl::StatusOr<std::vector<MappedFile>> maps = ReadMappedFiles(trace_dir);
  if (!maps.ok()) return;
  const int changed = CountChangedMetadata(*maps);
  if (changed == 0) return;
  absl::StatusOr<std::optional<TraceDigests>> digests = LoadTraceDigests(trace_dir);
  const bool checked = digests.ok() && digests->has_value();
  fprintf(stderr,
          "pyreplay: this trace was copied, not packed: rr will say \"Metadata of ... changed\" "
          "for %d mapped file%s (new inodes and times, %s); `pyreplay pack` and `unpack` give a "
          "copy it does not warn about\n",
          changed, changed == 1 ? "" : "s",
          checked ? "harmless: their bytes match the digests" : "harmless if their bytes are unchanged");
}

}  // namespace

absl::StatusOr<ExitStatus> Replay(const ReplayRequest& request) {
  RETURN_IF_ERROR(CheckRrAvailable());
  RETURN_IF_ERROR(CheckTraceDir(request.trace_dir));
  if (!request.goto_target.empty() || request.goto_given) {
    RETURN_IF_ERROR(CheckGotoTarget(request.trace_dir, request.goto_target));
  }
  // A damaged trace makes rr die with a FATAL and a long backtrace, or diverge: check every
  // file against the digests first (a few hundred MB/s), and name the damaged one instead.
  RETURN_IF_ERROR(CheckTraceFiles(request.trace_dir));
  NoteChangedMetadata(request.trace_dir);
  ASSIGN_OR_RETURN(PmuMode mode, ReplayModeFor(request.trace_dir, request.pmu));
  ASSIGN_OR_RETURN(InstallLayout layout, FindInstallLayout());
  if (!request.autopilot && !FindOnPath("gdb").ok()) {
    return absl::NotFoundError(
        "gdb is not installed or not on PATH; install it with `sudo apt-get install gdb`, or "
        "use --autopilot to replay without gdb");
  }
  RrLaunch launch = RrLaunchFor(mode, layout);
  std::vector<std::string> argv = launch.argv;
  argv.push_back("replay");
  ReplayRequest with_sources = request;
  if (with_sources.source_dirs.empty() && !request.autopilot) {
    with_sources.source_dirs = CpythonSourceDirsFor(request.trace_dir, request.batch);
  }
  if (request.autopilot) {
    argv.insert(argv.end(), {"-a", request.trace_dir});
  } else {
    argv.insert(argv.end(), {request.trace_dir, "--"});
    std::vector<std::string> gdb = GdbArguments(with_sources, layout);
    argv.insert(argv.end(), gdb.begin(), gdb.end());
  }
  ProcessOptions options;
  options.env = launch.env;
  options.env.emplace_back("PYREPLAY_TRACE", fs::absolute(request.trace_dir).string());
  options.env.emplace_back("PYREPLAY_MODE", std::string(PmuModeName(mode)));
  options.env.emplace_back("PYREPLAY_PLUGIN_DIR", layout.plugin_dir);
  options.output = request.output;
  options.also_stderr = request.output != nullptr;
  return RunProcess(argv, options);
}

}  // namespace pyreplay
