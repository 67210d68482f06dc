// timeline_model.h: what the timeline draws, built from the event index, the marks and (when
// there is one) the deep index, with no replay.
//
// The model has one lane per thread (from its creation to its exit, grouped by process), the
// indexed events on those lanes, the connect -> accept pairs, and the marks. Every item carries
// both x coordinates the page can switch between: rr's event number and seconds since the start.
//
//   ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir));
//   ASSIGN_OR_RETURN(std::vector<Mark> marks, MarkStore(trace_dir).List());
//   TimelineModel model = BuildTimelineModel(index, marks, {}, "sockets-1");
//   std::string json = TimelineModelToJson(model);   // what timeline.html reads
#ifndef PYREPLAY_REPLAY_TIMELINE_TIMELINE_MODEL_H_
#define PYREPLAY_REPLAY_TIMELINE_TIMELINE_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "replay/index/event_index.h"
#include "replay/marks/mark_store.h"

namespace pyreplay {

// TimelineExtras is what a deep index adds: Python locations per event, and thread names.
// Both are optional; an empty TimelineExtras draws a timeline from the event index alone.
struct TimelineExtras {
  std::map<uint64_t, std::string> python_locations;  // event -> "file.py:12 in func"
  std::map<int32_t, std::string> thread_names;       // tid -> "server"
  bool deep_indexed = false;
};

struct TimelineProcess {
  int32_t pid = 0;
  int32_t parent_pid = 0;
  std::string exe;
  uint64_t start = 0;  // events
  uint64_t end = 0;
};

struct TimelineLane {
  int32_t tid = 0;
  int32_t pid = 0;
  int32_t parent_tid = 0;
  std::string name;
  uint64_t start = 0;      // event of its creation (0: there from the start)
  uint64_t end = 0;        // event of its exit, or the trace's last event
  double start_time = 0;   // seconds since the trace's first frame
  double end_time = 0;
  bool exited = false;     // the exit is in the trace
};

struct TimelineEvent {
  uint64_t event = 0;
  uint64_t exit_event = 0;  // 0 when not a syscall or it never returned
  std::string kind;         // EventKindName
  int32_t tid = 0;
  int32_t pid = 0;
  double time = 0;          // seconds since the start
  double exit_time = 0;
  int32_t syscall = -1;
  int64_t fd = -1;
  int64_t result = 0;
  std::string local;
  std::string remote;
  int64_t peer = -1;        // index into TimelineModel::events
  std::string detail;
  std::string text;         // DescribeEntry's one line
  std::string python_location;
};

struct TimelineMark {
  std::string id;
  std::string name;
  std::string note;
  std::string author;
  uint64_t event = 0;
  int32_t tid = 0;
  double time = 0;
  std::string python_location;
};

struct TimelineModel {
  std::string trace_name;
  std::string trace_path;   // as the user named it, for the page's `pyreplay replay` hint
  uint64_t event_count = 0;
  double duration = 0;      // seconds from the first to the last frame
  bool deep_indexed = false;
  std::vector<TimelineProcess> processes;  // by creation
  std::vector<TimelineLane> lanes;         // grouped by process, by creation within one
  std::vector<TimelineEvent> events;       // by event number
  std::vector<TimelineMark> marks;         // by event number

  // PairCount is the number of connects whose accept is known.
  size_t PairCount() const;
};

// BuildTimelineModel turns an index, its marks and the optional extras into the model.
TimelineModel BuildTimelineModel(const EventIndex& index, const std::vector<Mark>& marks,
                                 const TimelineExtras& extras, const std::string& trace_name);

// TimelineModelToJson is the model as the page reads it (compact, ASCII only).
std::string TimelineModelToJson(const TimelineModel& model);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TIMELINE_TIMELINE_MODEL_H_
