// bind_marks.cc: the mark store (replay/marks/mark_store.h) for Python.
//
//   store = _pyreplay.MarkStore(trace_dir)
//   store.add({"name": "x", "note": "...", "position": {"event": 1374, "tid": 7, ...}})
//   [m["name"] for m in store.list()]
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "plugin/bindings.h"
#include "replay/marks/mark_store.h"

namespace py = pybind11;

namespace pyreplay {
namespace {

py::dict PositionToDict(const ExactPosition& p) {
  py::dict d;
  d["event"] = p.event;
  d["ticks"] = p.ticks;
  d["tid"] = p.tid;
  d["pc"] = p.pc;
  d["restart_event"] = p.restart_event;
  d["hit_count"] = p.hit_count;
  py::list regs;
  for (const auto& [name, value] : p.registers) regs.append(py::make_tuple(name, value));
  d["registers"] = regs;
  return d;
}

ExactPosition PositionFromDict(const py::dict& d) {
  ExactPosition p;
  if (d.contains("event")) p.event = d["event"].cast<uint64_t>();
  if (d.contains("ticks")) p.ticks = d["ticks"].cast<uint64_t>();
  if (d.contains("tid")) p.tid = d["tid"].cast<int32_t>();
  if (d.contains("pc")) p.pc = d["pc"].cast<uint64_t>();
  if (d.contains("restart_event")) p.restart_event = d["restart_event"].cast<uint64_t>();
  if (d.contains("hit_count")) p.hit_count = d["hit_count"].cast<uint32_t>();
  if (d.contains("registers")) {
    for (py::handle item : d["registers"]) {
      auto pair = item.cast<std::pair<std::string, uint64_t>>();
      p.registers.push_back(pair);
    }
  }
  return p;
}

py::dict MarkToDict(const Mark& m) {
  py::dict d;
  d["id"] = m.id;
  d["name"] = m.name;
  d["note"] = m.note;
  d["author"] = m.author;
  d["created_unix_nanos"] = m.created_unix_nanos;
  d["position"] = PositionToDict(m.position);
  d["python_location"] = m.python_location;
  return d;
}

Mark MarkFromDict(const py::dict& d) {
  Mark m;
  auto text = [&](const char* key) {
    return d.contains(key) && !d[key].is_none() ? d[key].cast<std::string>() : std::string();
  };
  m.id = text("id");
  m.name = text("name");
  m.note = text("note");
  m.author = text("author");
  m.python_location = text("python_location");
  if (d.contains("created_unix_nanos")) m.created_unix_nanos = d["created_unix_nanos"].cast<int64_t>();
  if (d.contains("position")) m.position = PositionFromDict(d["position"].cast<py::dict>());
  return m;
}

template <typename T>
T ValueOrRaise(absl::StatusOr<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return *std::move(result);
}

}  // namespace

void BindMarks(py::module_& m) {
  py::class_<MarkStore>(m, "MarkStore", "The marks saved with a trace (<trace>/pyreplay/marks).")
      .def(py::init<std::string>(), py::arg("trace_dir"))
      .def_property_readonly("path", &MarkStore::path)
      .def("list", [](const MarkStore& s) {
        py::list out;
        for (const Mark& mark : ValueOrRaise(s.List())) out.append(MarkToDict(mark));
        return out;
      }, "Every mark (dicts), oldest first.")
      .def("find", [](const MarkStore& s, const std::string& name) {
        return MarkToDict(ValueOrRaise(s.Find(name)));
      }, py::arg("name_or_id"))
      .def("add", [](MarkStore& s, const py::dict& mark) {
        return MarkToDict(ValueOrRaise(s.Add(MarkFromDict(mark))));
      }, py::arg("mark"), "Saves a mark (a dict); fills id, author and time. Returns it.")
      .def("remove", [](MarkStore& s, const std::string& name) {
        return MarkToDict(ValueOrRaise(s.Remove(name)));
      }, py::arg("name_or_id"))
      .def("merge_from", [](MarkStore& s, const py::list& marks) {
        std::vector<Mark> incoming;
        for (py::handle h : marks) incoming.push_back(MarkFromDict(h.cast<py::dict>()));
        MergeResult r = ValueOrRaise(s.MergeFrom(incoming));
        return py::make_tuple(r.added, r.unchanged);
      }, py::arg("marks"), "Adds marks whose id is new. Returns (added, unchanged).")
      .def("recover", [](MarkStore& s) { return ValueOrRaise(s.Recover()); });
  m.def("default_author", &DefaultAuthor);
  m.def("check_mark_name", [](const std::string& name) {
    if (absl::Status status = CheckMarkName(name); !status.ok()) RaiseStatus(status);
  });
  m.def("format_position", [](const py::dict& d) { return FormatPosition(PositionFromDict(d)); });
}

}  // namespace pyreplay
