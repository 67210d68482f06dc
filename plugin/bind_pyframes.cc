// bind_pyframes.cc: the CPython frame decoder (replay/pyframes/, 3.11 to 3.15) for Python.
//
//   decoder = _pyreplay.FrameDecoder(layout_dict, read)   # read(addr, size) -> bytes | None
//   info = decoder.thread(interp_addr, tid)               # {"frames": [...], "name": ...}
//
// `read` is called a few times per frame (whole structs); it returns None (or raises) for
// unreadable memory, which the decoder turns into an `<unreadable frame at 0x...>` marker.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "plugin/bindings.h"
#include "replay/common/elf_symbols.h"
#include "replay/deep_index/deep_index.h"
#include "replay/deep_index/python_layout.h"
#include "replay/index/event_index.h"
#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/frame_decoder.h"
#include "replay/pyframes/interpreter_layout.h"
#include "replay/stepping/line_events.h"

namespace py = pybind11;

namespace pyreplay {
namespace {

// CallbackReader reads through a Python callable; the GIL is held (we are called from Python).
class CallbackReader : public MemoryReader {
 public:
  explicit CallbackReader(py::object read) : read_(std::move(read)) {}
  bool Read(uint64_t address, void* out, size_t len) override {
    try {
      py::object result = read_(address, len);
      if (result.is_none()) return false;
      std::string bytes = result.cast<std::string>();
      if (bytes.size() != len) return false;
      memcpy(out, bytes.data(), len);
      return true;
    } catch (py::error_already_set& e) {
      return false;  // gdb.MemoryError and friends: unreadable
    } catch (py::cast_error&) {
      return false;
    }
  }

 private:
  py::object read_;
};

CPythonLayout LayoutFromDict(const py::dict& d) {
  CPythonLayout layout;
  for (auto item : d) {
    absl::Status s = SetLayoutField(&layout, item.first.cast<std::string>(),
                                    item.second.cast<uint64_t>());
    if (!s.ok()) RaiseStatus(s);
  }
  if (absl::Status s = layout.Validate(); !s.ok()) RaiseStatus(s);
  return layout;
}

py::dict FrameDict(const PyFrame& f) {
  py::dict d;
  d["address"] = f.address;
  d["readable"] = f.readable;
  d["file"] = f.filename;
  d["line"] = f.line ? py::object(py::int_(*f.line)) : py::object(py::none());
  d["function"] = f.Function();
  d["name"] = f.name;
  d["lasti"] = f.lasti;
  d["text"] = f.Describe();
  d["error"] = f.error;
  return d;
}

// Decoder owns its reader; the decoder points at it.
class Decoder {
 public:
  Decoder(const py::dict& layout, py::object read)
      : reader_(std::move(read)), decoder_(LayoutFromDict(layout), &reader_) {
    minor_ = layout.contains("python_version")
                 ? MinorVersion(layout["python_version"].cast<uint32_t>())
                 : 11;
  }

  py::dict ThreadDict(const ThreadStateInfo& t) {
    py::dict d;
    d["tstate"] = t.address;
    d["thread_id"] = t.thread_id;
    d["tid"] = t.native_thread_id;
    absl::StatusOr<std::vector<PyFrame>> stack = decoder_.Stack(t.address);
    py::list frames;
    if (stack.ok()) {
      for (const PyFrame& f : *stack) frames.append(FrameDict(f));
      absl::StatusOr<std::string> name = decoder_.ThreadName(*stack);
      d["name"] = name.ok() ? py::object(py::str(*name)) : py::object(py::none());
      absl::StatusOr<std::string> starting = decoder_.StartingThreadName(*stack);
      d["starting_name"] = starting.ok() ? py::object(py::str(*starting)) : py::object(py::none());
      d["error"] = "";
    } else {
      d["name"] = py::none();
      d["starting_name"] = py::none();
      d["error"] = std::string(stack.status().message());
    }
    d["frames"] = frames;
    return d;
  }

  py::list Threads(uint64_t interp) {
    absl::StatusOr<std::vector<ThreadStateInfo>> states = decoder_.ThreadStates(interp);
    if (!states.ok()) RaiseStatus(states.status());
    py::list out;
    for (const ThreadStateInfo& t : *states) out.append(ThreadDict(t));
    return out;
  }

  py::dict Thread(uint64_t interp, int64_t tid) {
    absl::StatusOr<ThreadStateInfo> state = decoder_.ThreadStateFor(interp, tid);
    if (!state.ok()) RaiseStatus(state.status());
    return ThreadDict(*state);
  }

  // StepState is frame `frame` as the stepper sees it after a stop, and whether the instruction
  // it now executes starts a line event, given where that frame was at the previous stop
  // (prev_code, prev_lasti; prev_code 0 when unknown). None when the frame is unreadable.
  py::object StepState(uint64_t frame, uint64_t prev_code, int prev_lasti) {
    absl::StatusOr<FrameState> st = decoder_.State(frame);
    if (!st.ok()) return py::none();
    bool event = false;
    if (prev_code == st->code && prev_lasti != st->lasti) {
      uint8_t opcode = deopt_.size() == 256 ? static_cast<uint8_t>(deopt_[st->opcode]) : st->opcode;
      LineStep step{.prev_lasti = prev_lasti, .lasti = st->lasti,
                    .prev_line = decoder_.LineOf(st->code, prev_lasti), .line = st->line,
                    .first_traceable = st->first_traceable, .opcode = opcode,
                    .opcodes = OpcodesFor(minor_)};
      event = IsLineEvent(step);
    }
    py::dict d;
    d["address"] = st->address;
    d["code"] = st->code;
    d["previous"] = st->previous;
    d["lasti"] = st->lasti;
    d["line"] = st->line ? py::object(py::int_(*st->line)) : py::object(py::none());
    d["file"] = st->filename;
    d["function"] = st->qualname;
    d["event"] = event;
    return d;
  }

  // SetDeopt gives CPython's _PyOpcode_Deopt table (256 bytes), read from the inferior.
  void SetDeopt(const py::bytes& table) { deopt_ = table; }

  py::list StackFromFrame(uint64_t frame) {
    py::list out;
    for (const PyFrame& f : decoder_.StackFromFrame(frame)) out.append(FrameDict(f));
    return out;
  }

  std::string ReadString(uint64_t object) {
    absl::StatusOr<std::string> s = decoder_.ReadString(object);
    if (!s.ok()) RaiseStatus(s.status());
    return *s;
  }

  size_t code_cache_size() const { return decoder_.code_cache_size(); }
  uint64_t reads() const { return decoder_.reads(); }

 private:
  CallbackReader reader_;
  FrameDecoder decoder_;
  std::string deopt_;
  int minor_ = 11;
};

}  // namespace

void BindPyFrames(py::module_& m) {
  py::class_<Decoder>(m, "FrameDecoder",
                      "CPython Python stacks from process memory. FrameDecoder(layout, read): "
                      "layout maps field names to byte offsets (from the debug info); "
                      "read(address, size) returns bytes, or None when unreadable.")
      .def(py::init<const py::dict&, py::object>(), py::arg("layout"), py::arg("read"))
      .def("threads", &Decoder::Threads, py::arg("interp"),
           "Every thread state of the interpreter: [{tstate, thread_id, tid, name, frames, "
           "error}], frames innermost first, each {file, line, function, name, readable, text, "
           "error, address, lasti}.")
      .def("thread", &Decoder::Thread, py::arg("interp"), py::arg("tid"),
           "The thread state of native thread `tid`, as in threads(); Error NOT_FOUND if none.")
      .def("stack_from_frame", &Decoder::StackFromFrame, py::arg("frame"))
      .def("step_state", &Decoder::StepState, py::arg("frame"), py::arg("prev_code"),
           py::arg("prev_lasti"),
           "One frame for the stepper: {address, code, previous, lasti, line, file, function, "
           "event}; event: this instruction starts a line event (CPython's settrace rule), "
           "given the frame's previous code and lasti. None when unreadable.")
      .def("set_deopt", &Decoder::SetDeopt, py::arg("table"))
      .def("read_string", &Decoder::ReadString, py::arg("object"))
      .def_property_readonly("code_cache_size", &Decoder::code_cache_size)
      .def_property_readonly("reads", &Decoder::reads);
  m.def("deep_index", [](const std::string& trace_dir) -> py::object {
    absl::StatusOr<EventIndex> index = LoadOrBuildIndex(trace_dir);
    if (!index.ok()) RaiseStatus(index.status());
    absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(trace_dir, *index);
    if (absl::IsNotFound(deep.status())) return py::none();
    if (!deep.ok()) RaiseStatus(deep.status());
    py::dict entries;
    for (const DeepEntry& e : deep->entries) {
      py::list stack;
      for (const DeepFrame& f : e.stack) {
        stack.append(py::make_tuple(f.file, f.line >= 0 ? py::object(py::int_(f.line))
                                                        : py::object(py::none()),
                                    f.function));
      }
      py::dict d;
      d["tid"] = e.tid;
      d["location"] = PythonLocation(e);
      d["stack"] = stack;
      entries[py::int_(e.event)] = d;
    }
    py::dict names;
    for (const auto& [tid, name] : deep->thread_names) names[py::int_(tid)] = name;
    py::dict out;
    out["entries"] = entries;
    out["names"] = names;
    return out;
  }, py::arg("trace_dir"),
  "The trace's deep index (`pyreplay index --deep`): {entries: {event: {tid, location, stack}}, "
  "names: {tid: name}}, or None when there is none. Error FAILED_PRECONDITION when stale.");
  m.def("cached_python_layout", [](const std::string& executable) -> py::object {
    // Link-time addresses: usable as they are only for an executable that is not PIE (Debian's
    // python3.11 is not); the gdb layer reads a PIE's types itself.
    absl::StatusOr<ElfSymbols> elf = ReadDynamicSymbols(executable, {});
    if (!elf.ok() || elf->position_independent) return py::none();
    absl::StatusOr<std::string> text = ReadCachedLayoutDocument(executable);
    if (!text.ok()) return py::none();
    return py::str(*text);
  }, py::arg("executable"),
  "The layout cached for this interpreter's build as JSON text ({layout, interpreters_head}), "
  "or None (nothing cached, a damaged cache, or a position-independent executable).");
  m.def("cache_python_layout", [](const std::string& executable, const std::string& answer) {
    absl::Status s = CacheLayoutDocument(executable, answer);
    if (!s.ok()) RaiseStatus(s);
  }, py::arg("executable"), py::arg("answer"),
  "Caches a layout (the JSON text {layout, interpreters_head}) for this interpreter's build.");
  m.def("python_version", [](const std::string& path) -> py::object {
    absl::StatusOr<uint32_t> v = ReadPythonVersion(path);
    if (!v.ok()) return py::none();
    return py::int_(*v);
  }, py::arg("path"),
  "PY_VERSION_HEX from the `Py_Version` symbol of an ELF file (the executable or libpython), "
  "or None when it defines none.");
  m.def("file_layout", [](const std::string& path) -> py::dict {
    // The layout from the file alone: _Py_DebugOffsets (3.13+) or the known 3.11 table.
    absl::StatusOr<RuntimeLayout> rt = LayoutWithoutDebugInfo(path);
    if (!rt.ok()) RaiseStatus(rt.status());
    py::dict layout;
    for (const std::string& name : LayoutOffsetNames()) {
      layout[py::str(name)] = LayoutField(rt->layout, name);
    }
    layout["unicode_type"] = rt->layout.unicode_type;
    layout["bytes_type"] = rt->layout.bytes_type;
    layout["code_type"] = rt->layout.code_type;
    py::dict out;
    out["layout"] = layout;
    out["interpreters_head"] = rt->interpreters_head;
    out["runtime"] = rt->runtime;
    out["version"] = rt->layout.python_version;
    out["source"] = MinorVersion(rt->layout.python_version) >= 13 ? "_Py_DebugOffsets"
                                                                   : "3.11 table";
    return out;
  }, py::arg("path"),
  "{layout, interpreters_head, runtime, version, source} for the interpreter file at path, "
  "from the file alone (link-time addresses). Error FAILED_PRECONDITION when it cannot tell.");
  py::list fields;
  for (const std::string& name : LayoutOffsetNames()) fields.append(name);
  m.attr("FRAME_LAYOUT_FIELDS") = fields;
}

}  // namespace pyreplay
