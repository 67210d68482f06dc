#include "replay/deep_index/deep_builder.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay {
namespace fs = std::filesystem;

namespace {

// TempDir is a private folder for the pass's request and output, removed on every path out.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pyreplay-deep-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string LastLine(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  size_t nl = trimmed.rfind('\n');
  return nl == std::string::npos ? trimmed : trimmed.substr(nl + 1);
}

// Tail is the last few lines of the replay's output, for an error message.
std::string Tail(const std::string& text, int lines) {
  std::vector<std::string> all = absl::StrSplit(text, '\n', absl::SkipEmpty());
  std::string out;
  for (size_t i = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
       i < all.size(); ++i) {
    absl::StrAppend(&out, "\n  ", all[i]);
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, EventKind>> BreakFunctions() {
  return {
      {"pthread_create", EventKind::kThreadStart},
      {"fork", EventKind::kFork},
      {"execve", EventKind::kExec},
      {"socket", EventKind::kSocket},
      {"bind", EventKind::kBind},
      {"listen", EventKind::kListen},
      {"connect", EventKind::kConnect},
      {"accept", EventKind::kAccept},
      {"accept4", EventKind::kAccept},
  };
}

absl::StatusOr<std::vector<DeepStop>> ParseDeepStops(
    const std::string& text, std::vector<std::pair<int32_t, std::string>>* names) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("stops") ||
      !doc["stops"].is_array()) {
    return absl::DataLossError("the deep index pass wrote malformed output");
  }
  std::vector<DeepStop> stops;
  try {
    for (const auto& s : doc["stops"]) {
      DeepStop stop;
      stop.when = s.at("when").get<uint64_t>();
      stop.tid = s.at("tid").get<int32_t>();
      ASSIGN_OR_RETURN(stop.kind, ParseEventKind(s.at("kind").get<std::string>()));
      for (const auto& f : s.at("stack")) {
        DeepFrame frame;
        frame.file = f.at(0).get<std::string>();
        frame.line = f.at(1).is_null() ? -1 : f.at(1).get<int32_t>();
        frame.function = f.at(2).get<std::string>();
        stop.stack.push_back(std::move(frame));
      }
      if (s.contains("child_name")) stop.child_name = s["child_name"].get<std::string>();
      stops.push_back(std::move(stop));
    }
    if (names != nullptr && doc.contains("names")) {
      for (const auto& [tid, name] : doc["names"].items()) {
        names->emplace_back(std::stoi(tid), name.get<std::string>());
      }
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("the deep index pass wrote malformed output: ",
                                            e.what()));
  }
  return stops;
}

absl::StatusOr<DeepBuildResult> BuildAndWriteDeepIndex(const std::string& trace_dir,
                                                       const DeepBuildOptions& options) {
  auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(CheckTraceDir(trace_dir));
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));

  TempDir temp;
  if (temp.path().empty()) {
    return absl::InternalError("cannot create a temporary folder for the deep index pass");
  }
  const std::string request_path = temp.path() + "/request.json";
  const std::string progress_path = temp.path() + "/progress";
  const std::string output_path = temp.path() + "/stops.json";

  // Break only on the functions of kinds the index has: fewer stops.
  std::set<EventKind> kinds;
  for (const IndexEntry& e : index.entries) kinds.insert(e.kind);
  nlohmann::json request;
  request["functions"] = nlohmann::json::object();
  for (const auto& [function, kind] : BreakFunctions()) {
    if (kinds.count(kind)) request["functions"][function] = std::string(EventKindName(kind));
  }
  request["progress"] = progress_path;
  request["output"] = output_path;
  request["events"] = index.event_count;
  RETURN_IF_ERROR(WriteFileAtomically(request_path, request.dump()));

  std::atomic<bool> done{false};
  std::thread watcher;
  if (options.progress) {
    watcher = std::thread([&] {
      while (!done.load()) {
        std::ifstream in(progress_path);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::string last = LastLine(content);
        uint64_t when = 0;
        if (!last.empty() && absl::SimpleAtoi(last, &when)) options.progress(when, index.event_count);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ReplayRequest replay;
  replay.trace_dir = trace_dir;
  replay.pmu = options.pmu;
  replay.batch = true;
  replay.commands = {absl::StrCat("python import pyreplay_gdb.deep as _d; _d.run(",
                                  nlohmann::json(request_path).dump(), ")")};
  std::string output;
  replay.output = &output;
  absl::StatusOr<ExitStatus> status = Replay(replay);
  done = true;
  if (watcher.joinable()) watcher.join();
  RETURN_IF_ERROR(status.status());

  if (status->signal == SIGINT || status->code == 130 ||
      absl::StrContains(output, "pyreplay-deep: interrupted") ||
      absl::StrContains(output, "KeyboardInterrupt")) {
    return absl::CancelledError("the deep index pass was interrupted; nothing was written");
  }
  absl::StatusOr<std::string> result = ReadFileToString(output_path);
  if (!result.ok()) {
    // The pass says why it stopped in its last line ("pyreplay-deep: error: ...").
    std::string why;
    for (absl::string_view line : absl::StrSplit(output, '\n')) {
      if (absl::StartsWith(line, "pyreplay-deep: error: ")) {
        why = std::string(line.substr(strlen("pyreplay-deep: error: ")));
      }
    }
    if (!why.empty()) return absl::FailedPreconditionError(why);
    if (!status->ok()) {
      return absl::InternalError(absl::StrCat("the deep index replay failed (exit ",
                                              status->ShellCode(), "); nothing was written:",
                                              Tail(output, 8)));
    }
    return absl::InternalError(absl::StrCat(
        "the deep index replay ended without reaching the end of the trace; nothing was written:",
        Tail(output, 8)));
  }
  std::vector<std::pair<int32_t, std::string>> names;
  ASSIGN_OR_RETURN(std::vector<DeepStop> stops, ParseDeepStops(*result, &names));

  DeepBuildResult out;
  out.deep = AssembleDeepIndex(index, stops, std::move(names));
  out.indexed = index.entries.size();
  out.located = out.deep.entries.size();
  RETURN_IF_ERROR(WriteDeepIndex(trace_dir, out.deep));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace pyreplay
