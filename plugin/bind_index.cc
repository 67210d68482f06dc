// bind_index.cc: the event index (replay/index/event_index.h) for Python: whether the trace has
// a fresh one, and building it, so the gdb layer can offer `pyr index` when it is missing.
#include <string>

#include "plugin/bindings.h"
#include "replay/index/event_index.h"

namespace py = pybind11;

namespace pyreplay {

void BindIndex(py::module_& m) {
  m.def("index_freshness", [](const std::string& trace_dir) {
    absl::StatusOr<IndexFreshness> freshness = CheckIndexFreshness(trace_dir);
    if (!freshness.ok()) RaiseStatus(freshness.status());
    switch (*freshness) {
      case IndexFreshness::kFresh: return "fresh";
      case IndexFreshness::kMissing: return "missing";
      case IndexFreshness::kStale: return "stale";
    }
    return "missing";
  }, py::arg("trace_dir"), "'fresh', 'missing' or 'stale': the saved index against the trace.");
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
