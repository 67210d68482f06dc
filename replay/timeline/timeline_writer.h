// timeline_writer.h: `pyreplay timeline` as a library call: index (built first when missing or
// stale), marks, optional deep-index extras -> an HTML page and/or an SVG picture on disk.
//
//   TimelineRequest request{.trace_dir = "traces/sockets-1", .html_path = "t.html"};
//   ASSIGN_OR_RETURN(TimelineSummary summary, WriteTimeline(request));
#ifndef PYREPLAY_REPLAY_TIMELINE_TIMELINE_WRITER_H_
#define PYREPLAY_REPLAY_TIMELINE_TIMELINE_WRITER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/index/event_index.h"

namespace pyreplay {

struct TimelineRequest {
  std::string trace_dir;
  std::string html_path;   // "" for none
  std::string svg_path;    // "" for none
  std::string json_path;   // "" for none: the page's model, for scripts and tests
  IndexProgress progress;  // while the index is built, if it must be
};

struct TimelineSummary {
  bool index_built = false;          // the index was missing or stale, and was built
  size_t threads = 0;
  size_t processes = 0;
  size_t events = 0;
  size_t connections = 0;            // paired connect -> accept
  size_t marks = 0;
  std::vector<std::string> written;  // the files, in request order
  std::vector<std::string> warnings; // e.g. a corrupt marks file (drawn without marks)
};

// CheckOutputPath is OK when `path` can be written as a file: not a folder, and its parent is a
// folder we may write in (or can be created). PermissionDenied / FailedPrecondition otherwise,
// naming the path and why. WriteTimeline checks every output before any work.
absl::Status CheckOutputPath(const std::string& path);

// WriteTimeline writes the requested files. InvalidArgument when no output is named; the
// index's errors (NotFound, FailedPrecondition, DataLoss) as they come; an unwritable output
// names the file.
absl::StatusOr<TimelineSummary> WriteTimeline(const TimelineRequest& request);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TIMELINE_TIMELINE_WRITER_H_
