#include "replay/timeline/timeline_writer.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_index.h"
#include "replay/marks/mark_store.h"
#include "replay/timeline/timeline_model.h"
#include "replay/timeline/timeline_page.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

std::string TraceName(const std::string& trace_dir) {
  fs::path path = fs::path(trace_dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  return path.filename().string();
}

absl::Status WriteOutput(const std::string& path, absl::string_view contents) {
  absl::Status status = WriteFileAtomically(path, contents);
  if (status.ok()) return status;
  // The status names `path` (or the folder it could not make) and the reason: say `path` once.
  absl::string_view reason = status.message();
  absl::ConsumePrefix(&reason, absl::StrCat(path, ": "));
  return absl::Status(status.code(),
                      absl::StrCat("cannot write the timeline to ", path, ": ", reason,
                                   "; give -o/--svg a file in a folder you can write to"));
}

}  // namespace

absl::Status CheckOutputPath(const std::string& path) {
  auto fail = [&](absl::string_view why) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot write the timeline to ", path, ": ", why,
                     "; give -o/--svg a file in a folder you can write to"));
  };
  std::error_code ec;
  fs::path target(path);
  if (fs::is_directory(target, ec)) return fail("it is a folder");
  // The nearest existing ancestor must be a writable folder (missing folders are created).
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  while (!fs::exists(dir, ec)) {
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  if (!fs::is_directory(dir, ec)) return fail(absl::StrCat(dir.string(), " is not a folder"));
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return fail(absl::StrCat("the folder ", dir.string(), " is not writable"));
  }
  if (fs::exists(target, ec) && access(target.c_str(), W_OK) != 0 &&
      access(dir.c_str(), W_OK) != 0) {
    return fail("the file is not writable");
  }
  return absl::OkStatus();
}

absl::StatusOr<TimelineSummary> WriteTimeline(const TimelineRequest& request) {
  if (request.html_path.empty() && request.svg_path.empty() && request.json_path.empty()) {
    return absl::InvalidArgumentError(
        "timeline: name an output: -o FILE.html and/or --svg FILE.svg");
  }
  for (const std::string* path : {&request.html_path, &request.svg_path, &request.json_path}) {
    if (!path->empty()) RETURN_IF_ERROR(CheckOutputPath(*path));
  }

  TimelineSummary summary;
  bool saved = true;
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(request.trace_dir, request.progress,
                                                      &summary.index_built, &saved));
  if (!saved) summary.warnings.push_back(kIndexNotSavedNote);

  std::vector<Mark> marks;
  absl::StatusOr<std::vector<Mark>> listed = MarkStore(request.trace_dir).List();
  if (listed.ok()) {
    marks = *std::move(listed);
  } else if (absl::IsDataLoss(listed.status())) {
    // A damaged marks file is the user's to recover: a picture without its marks would look
    // like a trace that never had any.
    return listed.status();
  } else {
    summary.warnings.push_back(
        absl::StrCat("drawn without marks: ", listed.status().message()));
  }

  // The deep index, when there is a fresh one: Python locations and thread names.
  TimelineExtras extras;
  absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(request.trace_dir, index);
  if (absl::IsDataLoss(deep.status())) return deep.status();  // damaged: say so, draw nothing
  if (deep.ok()) {
    extras.deep_indexed = true;
    ApplyDeepAddresses(*deep, &index);  // Unix connections are paired through bind's path
    for (const DeepEntry& entry : deep->entries) {
      std::string location = PythonLocation(entry);
      if (!location.empty()) extras.python_locations[entry.event] = std::move(location);
    }
    for (const auto& [tid, name] : deep->thread_names) extras.thread_names[tid] = name;
  } else if (!absl::IsNotFound(deep.status())) {
    summary.warnings.push_back(
        absl::StrCat("drawn without Python locations: ", deep.status().message()));
  }
  TimelineModel model = BuildTimelineModel(index, marks, extras, TraceName(request.trace_dir));
  model.trace_path = request.trace_dir;
  summary.threads = model.lanes.size();
  summary.processes = model.processes.size();
  summary.events = model.events.size();
  summary.connections = model.PairCount();
  summary.marks = model.marks.size();

  if (!request.html_path.empty()) {
    RETURN_IF_ERROR(WriteOutput(request.html_path, RenderTimelineHtml(model)));
    summary.written.push_back(request.html_path);
  }
  if (!request.svg_path.empty()) {
    RETURN_IF_ERROR(WriteOutput(request.svg_path, RenderTimelineSvg(model)));
    summary.written.push_back(request.svg_path);
  }
  if (!request.json_path.empty()) {
    RETURN_IF_ERROR(WriteOutput(request.json_path, TimelineModelToJson(model)));
    summary.written.push_back(request.json_path);
  }
  return summary;
}

}  // namespace pyreplay
