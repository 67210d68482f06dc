#include "replay/timeline/timeline_model.h"

#include <algorithm>
#include <utility>

#include "nlohmann/json.hpp"
#include "replay/common/text_escape.h"

namespace pyreplay {
namespace {

// EventClock maps rr event numbers to seconds since the start, interpolating between the
// (event, time) pairs the index knows.
class EventClock {
 public:
  explicit EventClock(const EventIndex& index) {
    points_.push_back({0, 0.0});
    for (const IndexEntry& e : index.entries) {
      points_.push_back({e.event, std::max(0.0, e.time - index.first_time)});
    }
    points_.push_back({std::max<uint64_t>(index.event_count, 1),
                       std::max(0.0, index.last_time - index.first_time)});
    std::stable_sort(points_.begin(), points_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  double SecondsAt(uint64_t event) const {
    auto it = std::lower_bound(points_.begin(), points_.end(), event,
                               [](const auto& p, uint64_t e) { return p.first < e; });
    if (it == points_.end()) return points_.back().second;
    if (it->first == event || it == points_.begin()) return it->second;
    const auto& b = *it;
    const auto& a = *(it - 1);
    if (b.first == a.first) return a.second;
    return a.second + (b.second - a.second) * static_cast<double>(event - a.first) /
                          static_cast<double>(b.first - a.first);
  }

 private:
  std::vector<std::pair<uint64_t, double>> points_;
};

std::string DefaultThreadName(const ThreadInfo& t) {
  return t.tid == t.pid ? "main" : "";
}

}  // namespace

size_t TimelineModel::PairCount() const {
  return static_cast<size_t>(std::count_if(events.begin(), events.end(), [](const TimelineEvent& e) {
    return e.kind == "connect" && e.peer >= 0;
  }));
}

TimelineModel BuildTimelineModel(const EventIndex& index, const std::vector<Mark>& marks,
                                 const TimelineExtras& extras, const std::string& trace_name) {
  TimelineModel model;
  model.trace_name = trace_name;
  model.event_count = index.event_count;
  model.duration = std::max(0.0, index.last_time - index.first_time);
  model.deep_indexed = extras.deep_indexed;
  const EventClock clock(index);
  const uint64_t last_event = std::max<uint64_t>(index.event_count, 1);

  // Processes by creation; a thread whose process the index lacks gets one of its own.
  for (const ProcessInfo& p : index.processes) {
    model.processes.push_back({.pid = p.pid, .parent_pid = p.parent_pid, .exe = p.exe,
                               .start = p.created_at,
                               .end = p.exited_at ? p.exited_at : last_event});
  }
  for (const ThreadInfo& t : index.threads) {
    const int32_t pid = t.pid ? t.pid : t.tid;
    bool known = std::any_of(model.processes.begin(), model.processes.end(),
                             [&](const TimelineProcess& p) { return p.pid == pid; });
    if (!known) {
      model.processes.push_back({.pid = pid, .start = t.created_at, .end = last_event});
    }
  }
  std::stable_sort(model.processes.begin(), model.processes.end(),
                   [](const TimelineProcess& a, const TimelineProcess& b) {
                     return a.start < b.start;
                   });

  // Lanes: grouped by process (in process order), by creation within a process.
  std::vector<const ThreadInfo*> threads;
  for (const ThreadInfo& t : index.threads) threads.push_back(&t);
  auto process_rank = [&](int32_t pid) {
    for (size_t i = 0; i < model.processes.size(); ++i) {
      if (model.processes[i].pid == pid) return i;
    }
    return model.processes.size();
  };
  std::stable_sort(threads.begin(), threads.end(), [&](const ThreadInfo* a, const ThreadInfo* b) {
    size_t ra = process_rank(a->pid ? a->pid : a->tid);
    size_t rb = process_rank(b->pid ? b->pid : b->tid);
    if (ra != rb) return ra < rb;
    return a->created_at < b->created_at;
  });
  for (const ThreadInfo* t : threads) {
    TimelineLane lane;
    lane.tid = t->tid;
    lane.pid = t->pid ? t->pid : t->tid;
    lane.parent_tid = t->parent_tid;
    auto name = extras.thread_names.find(t->tid);
    lane.name = name != extras.thread_names.end() ? name->second : DefaultThreadName(*t);
    lane.start = t->created_at;
    lane.exited = t->exited_at != 0;
    lane.end = lane.exited ? t->exited_at : last_event;
    lane.start_time = clock.SecondsAt(lane.start);
    lane.end_time = clock.SecondsAt(lane.end);
    model.lanes.push_back(std::move(lane));
  }

  // Events, in the index's order, so `peer` stays an index into the same vector.
  model.events.reserve(index.entries.size());
  for (const IndexEntry& e : index.entries) {
    TimelineEvent out;
    out.event = e.event;
    out.exit_event = e.exit_event;
    out.kind = std::string(EventKindName(e.kind));
    out.tid = e.tid;
    out.pid = e.pid;
    out.time = std::max(0.0, e.time - index.first_time);
    out.exit_time = e.exit_event ? clock.SecondsAt(e.exit_event) : out.time;
    out.syscall = e.syscall;
    out.fd = e.fd;
    out.result = e.result;
    out.local = e.local.text;
    out.remote = e.remote.text;
    out.peer = (e.peer >= 0 && static_cast<size_t>(e.peer) < index.entries.size()) ? e.peer : -1;
    out.detail = e.detail;
    out.text = DescribeEntry(index, e);
    auto py = extras.python_locations.find(e.event);
    if (py != extras.python_locations.end()) out.python_location = py->second;
    model.events.push_back(std::move(out));
  }

  for (const Mark& m : marks) {
    model.marks.push_back({.id = m.id, .name = m.name, .note = m.note, .author = m.author,
                           .event = m.position.event, .tid = m.position.tid,
                           .time = clock.SecondsAt(m.position.event),
                           .python_location = m.python_location});
  }
  std::stable_sort(model.marks.begin(), model.marks.end(),
                   [](const TimelineMark& a, const TimelineMark& b) { return a.event < b.event; });
  return model;
}

std::string TimelineModelToJson(const TimelineModel& model) {
  using nlohmann::json;
  json root;
  root["format"] = 1;
  root["traceName"] = model.trace_name;
  root["trace"] = model.trace_path;
  root["eventCount"] = model.event_count;
  root["duration"] = model.duration;
  root["deep"] = model.deep_indexed;
  json processes = json::array();
  for (const TimelineProcess& p : model.processes) {
    processes.push_back({{"pid", p.pid}, {"parent", p.parent_pid}, {"exe", p.exe},
                         {"start", p.start}, {"end", p.end}});
  }
  json threads = json::array();
  for (const TimelineLane& l : model.lanes) {
    threads.push_back({{"tid", l.tid}, {"pid", l.pid}, {"parent", l.parent_tid}, {"name", l.name},
                       {"start", l.start}, {"end", l.end}, {"ts", l.start_time},
                       {"te", l.end_time}, {"exited", l.exited}});
  }
  json events = json::array();
  for (const TimelineEvent& e : model.events) {
    json j = {{"n", e.event}, {"kind", e.kind}, {"tid", e.tid}, {"pid", e.pid}, {"t", e.time},
              {"text", e.text}};
    if (e.exit_event) {
      j["exit"] = e.exit_event;
      j["te"] = e.exit_time;
    }
    if (e.syscall >= 0) {
      j["syscall"] = e.syscall;
      j["fd"] = e.fd;
      j["result"] = e.result;
    }
    if (!e.local.empty()) j["local"] = e.local;
    if (!e.remote.empty()) j["remote"] = e.remote;
    if (e.peer >= 0) j["peer"] = e.peer;
    if (!e.detail.empty()) j["detail"] = e.detail;
    if (!e.python_location.empty()) j["py"] = e.python_location;
    events.push_back(std::move(j));
  }
  json marks = json::array();
  for (const TimelineMark& m : model.marks) {
    marks.push_back({{"id", m.id}, {"name", m.name}, {"note", m.note}, {"author", m.author},
                     {"event", m.event}, {"tid", m.tid}, {"t", m.time},
                     {"py", m.python_location}});
  }
  root["processes"] = std::move(processes);
  root["threads"] = std::move(threads);
  root["events"] = std::move(events);
  root["marks"] = std::move(marks);
  // Names, notes, paths come from the trace: escaped (\xNN), so the page shows what the bytes
  // were instead of U+FFFD, and control characters never reach a copy-paste.
  EscapeJsonStrings(&root);
  return root.dump(-1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
}

}  // namespace pyreplay
