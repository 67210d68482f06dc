// bind_index.cc: the event index (replay/index/event_index.h) for Python: its entries, which the
// gdb layer's catalog is built from (`pyr events`, `pyr next KIND`, `pyr follow`), whether the
// trace has a fresh saved index, and building it (`pyr index`).
//
//   loaded = _pyreplay.load_index(trace_dir)   # {"state": "fresh", "entries": [...], ...}
//   [e["description"] for e in loaded["entries"] if e["kind"] == "connect"]
#include <string>

#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "plugin/bindings.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"

namespace py = pybind11;

namespace pyreplay {
namespace {

const char* FreshnessName(IndexFreshness freshness) {
  switch (freshness) {
    case IndexFreshness::kFresh: return "fresh";
    case IndexFreshness::kMissing: return "missing";
    case IndexFreshness::kStale: return "stale";
  }
  return "missing";
}

py::object TextOrNone(const std::string& text) {
  return text.empty() ? py::object(py::none()) : py::object(py::str(text));
}

py::dict EntryToDict(const EventIndex& index, const IndexEntry& e) {
  py::dict d;
  d["kind"] = std::string(EventKindName(e.kind));
  d["event"] = e.event;
  d["exit_event"] = e.exit_event ? py::object(py::int_(e.exit_event)) : py::object(py::none());
  d["tid"] = e.tid;                  // the index's tid: for thread/fork, the new task
  d["acting_tid"] = ActingTid(e);    // the thread the event happens in (the creator for those)
  d["pid"] = e.pid;
  d["time"] = e.time;
  d["syscall"] = e.syscall;
  d["fd"] = e.fd >= 0 ? py::object(py::int_(e.fd)) : py::object(py::none());
  d["family"] = e.family;
  d["type"] = e.type;
  d["finished"] = e.finished;
  d["ok"] = e.ok();
  d["result"] = e.finished && e.syscall >= 0 ? py::object(py::int_(e.result))
                                              : py::object(py::none());
  d["errno"] = e.error() != 0 ? py::object(py::int_(e.error())) : py::object(py::none());
  d["local"] = e.local.text;
  d["remote"] = e.remote.text;
  d["local_inferred"] = e.local.inferred();
  bool paired = e.peer >= 0 && e.peer < static_cast<int64_t>(index.entries.size());
  d["peer"] = paired ? py::object(py::int_(index.entries[e.peer].event)) : py::object(py::none());
  d["peer_tid"] = paired ? py::object(py::int_(index.entries[e.peer].tid))
                         : py::object(py::none());
  d["parent_tid"] = e.parent_tid;
  d["exit_status"] = e.exit_status;
  d["detail"] = TextOrNone(e.detail);
  d["description"] = DescribeEntry(index, e);
  return d;
}

}  // namespace

void BindIndex(py::module_& m) {
  m.def("event_kinds", [] {
    std::vector<std::string> names;
    for (int i = 0; i < kEventKindCount; ++i) {
      names.emplace_back(EventKindName(static_cast<EventKind>(i)));
    }
    return names;
  }, "The index's event kind names, in the index's order (thread, thread-exit, fork, ...).");
  m.def("parse_event_kind", [](const std::string& name) {
    absl::StatusOr<EventKind> kind = ParseEventKind(name);
    if (!kind.ok()) RaiseStatus(kind.status());
    return std::string(EventKindName(*kind));
  }, py::arg("name"), "The kind's name for a name or alias (accept4, threads, ...).");
  m.def("index_freshness", [](const std::string& trace_dir) {
    absl::StatusOr<IndexFreshness> freshness = CheckIndexFreshness(trace_dir);
    if (!freshness.ok()) RaiseStatus(freshness.status());
    return FreshnessName(*freshness);
  }, py::arg("trace_dir"), "'fresh', 'missing' or 'stale': the saved index against the trace.");
  m.def("load_index", [](const std::string& trace_dir) {
    std::string state;
    absl::StatusOr<EventIndex> index;
    {
      py::gil_scoped_release release;  // building one takes a moment; let gdb breathe
      absl::StatusOr<IndexFreshness> freshness = CheckIndexFreshness(trace_dir);
      if (!freshness.ok()) {
        index = freshness.status();
      } else {
        state = FreshnessName(*freshness);
        if (*freshness == IndexFreshness::kFresh) {
          index = LoadIndex(trace_dir);
          if (absl::IsDataLoss(index.status())) state = "corrupt";
        }
        if (state != "fresh") index = BuildIndex(trace_dir);  // in memory: `pyr index` saves it
      }
    }
    if (!index.ok()) RaiseStatus(index.status());
    py::list entries;
    for (const IndexEntry& e : index->entries) entries.append(EntryToDict(*index, e));
    py::dict out;
    out["state"] = state;
    out["event_count"] = index->event_count;
    out["entries"] = entries;
    return out;
  }, py::arg("trace_dir"),
  "The trace's event index: {state, event_count, entries}. state is 'fresh' (the saved index), "
  "or 'missing', 'stale' or 'corrupt' (then it was built in memory, not saved). Each entry is a "
  "dict: kind, event, exit_event, tid (for thread/fork the new task), acting_tid (the thread it "
  "happens in), pid, time, syscall, fd, family, type, finished, ok, result, errno, local, "
  "remote, local_inferred, peer (the paired entry's event) and peer_tid, parent_tid, "
  "exit_status, detail (exec: the file) and description (DescribeEntry's text).");
  m.def("build_index", [](const std::string& trace_dir) {
    absl::StatusOr<EventIndex> index;
    {
      py::gil_scoped_release release;  // reading the trace takes a moment; let gdb breathe
      index = BuildIndex(trace_dir);
      if (index.ok()) {
        absl::Status written = WriteIndex(trace_dir, *index);
        if (!written.ok()) index = written;
      }
    }
    if (!index.ok()) RaiseStatus(index.status());
    return index->entries.size();
  }, py::arg("trace_dir"), "Builds and saves <trace>/pyreplay/index. Returns its entry count.");
}

}  // namespace pyreplay
