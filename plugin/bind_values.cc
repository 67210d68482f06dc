// bind_values.cc: Python values read from memory (replay/pyvalues/) for the gdb layer and,
// later, a DAP adapter: the same dicts serve `pyr locals`/`pyr print` and `variables`.
//
//   inspector = _pyreplay.ValueInspector(layout_dict, read)  # read(addr, size) -> bytes|None
//   inspector.locals(frame)             # [{name, kind, bound, value}], value a value dict
//   inspector.evaluate(frame, "self.conn.addr", "frame #1", "Client.send")
//   inspector.value(address, instance_dict=True)   # expand one value (its children)
//
// A value dict: {address, name, type, repr, readable, length, truncated, expandable,
// children: [value dicts]}.
#include <cstring>
#include <string>
#include <utility>

#include <pybind11/stl.h>

#include "plugin/bindings.h"
#include "replay/pyframes/cpython_layout.h"
#include "replay/pyvalues/frame_values.h"
#include "replay/pyvalues/value_expression.h"
#include "replay/pyvalues/value_reader.h"

namespace py = pybind11;

namespace pyreplay {
namespace {

// ReadThroughPython reads with a Python callable (gdb's read_memory); the GIL is held.
class ReadThroughPython : public MemoryReader {
 public:
  explicit ReadThroughPython(py::object read) : read_(std::move(read)) {}
  bool Read(uint64_t address, void* out, size_t len) override {
    try {
      py::object result = read_(address, len);
      if (result.is_none()) return false;
      std::string bytes = result.cast<std::string>();
      if (bytes.size() != len) return false;
      memcpy(out, bytes.data(), len);
      return true;
    } catch (py::error_already_set&) {
      return false;  // unreadable memory
    } catch (py::cast_error&) {
      return false;
    }
  }

 private:
  py::object read_;
};

py::dict ValueDict(const PyValue& v) {
  py::dict d;
  d["address"] = v.address;
  d["name"] = v.name;
  d["type"] = v.type_name;
  d["repr"] = v.repr;
  d["readable"] = v.readable;
  d["length"] = v.length;
  d["truncated"] = v.truncated;
  d["expandable"] = v.expandable;
  py::list children;
  for (const PyValue& c : v.children) children.append(ValueDict(c));
  d["children"] = children;
  return d;
}

const char* KindName(uint8_t kind) {
  if (kind & kFastFree) return "free";
  if (kind & kFastCell) return "cell";
  return "local";
}

class Inspector {
 public:
  Inspector(const py::dict& layout, py::object read)
      : reader_(std::move(read)), values_(Layout(layout), &reader_),
        frames_(&values_.objects()) {}

  py::list Locals(uint64_t frame, size_t max_items) {
    absl::StatusOr<std::vector<LocalSlot>> locals = frames_.Locals(frame);
    if (!locals.ok()) RaiseStatus(locals.status());
    py::list out;
    ValueOptions options{.max_items = max_items, .children = false};
    for (const LocalSlot& slot : *locals) {
      py::dict d;
      d["name"] = slot.name;
      d["kind"] = KindName(slot.kind);
      d["bound"] = slot.bound();
      d["value"] = slot.bound() ? py::object(ValueDict(values_.Read(slot.object, options)))
                                : py::object(py::none());
      out.append(d);
    }
    return out;
  }

  py::dict Evaluate(uint64_t frame, const std::string& text, const std::string& frame_label,
                    const std::string& function, size_t max_items, bool instance_dict) {
    absl::StatusOr<Expression> expression = ParseExpression(text);
    if (!expression.ok()) RaiseStatus(expression.status());
    absl::StatusOr<std::vector<LocalSlot>> locals = frames_.Locals(frame);
    if (!locals.ok()) RaiseStatus(locals.status());
    absl::StatusOr<uint64_t> globals = frames_.Globals(frame);
    FrameScope scope{.locals = *std::move(locals), .globals = globals.ok() ? *globals : 0,
                     .frame_label = frame_label, .function = function};
    absl::StatusOr<uint64_t> object = pyreplay::Evaluate(*expression, scope, &values_.objects());
    if (!object.ok()) RaiseStatus(object.status());
    PyValue v = values_.Read(*object, {.max_items = max_items, .instance_dict = instance_dict});
    v.name = text;
    return ValueDict(v);
  }

  py::dict Value(uint64_t address, size_t max_items, bool instance_dict) {
    return ValueDict(values_.Read(address, {.max_items = max_items,
                                            .instance_dict = instance_dict}));
  }

  uint64_t reads() { return values_.objects().reads(); }

 private:
  static CPythonLayout Layout(const py::dict& d) {
    CPythonLayout layout;
    for (auto item : d) {
      absl::Status s = SetLayoutField(&layout, item.first.cast<std::string>(),
                                      item.second.cast<uint64_t>());
      if (!s.ok()) RaiseStatus(s);
    }
    return layout;
  }

  ReadThroughPython reader_;
  ValueReader values_;
  FrameValues frames_;
};

}  // namespace

void BindValues(py::module_& m) {
  py::class_<Inspector>(m, "ValueInspector",
                        "Python values read from a stopped process's memory, never by running "
                        "code in it. ValueInspector(layout, read): layout as for FrameDecoder; "
                        "read(address, size) returns bytes, or None when unreadable.")
      .def(py::init<const py::dict&, py::object>(), py::arg("layout"), py::arg("read"))
      .def("locals", &Inspector::Locals, py::arg("frame"), py::arg("max_items") = 20,
           "Every local, cell and free variable of the _PyInterpreterFrame at `frame`: "
           "[{name, kind ('local'|'cell'|'free'), bound, value (a value dict, None when "
           "unbound)}]. Error DATA_LOSS when the frame is unreadable.")
      .def("evaluate", &Inspector::Evaluate, py::arg("frame"), py::arg("expression"),
           py::arg("frame_label"), py::arg("function"), py::arg("max_items") = 100,
           py::arg("instance_dict") = false,
           "The value of `expression` (a name, attributes, constant subscripts) in the frame: "
           "a value dict. Error INVALID_ARGUMENT for other expressions, NOT_FOUND for names, "
           "attributes, indices or keys that are not there.")
      .def("value", &Inspector::Value, py::arg("address"), py::arg("max_items") = 100,
           py::arg("instance_dict") = true,
           "The value of the object at `address` with its children (items, entries, or "
           "attributes when instance_dict): for expanding a value.")
      .def_property_readonly("reads", &Inspector::reads);
}

}  // namespace pyreplay
