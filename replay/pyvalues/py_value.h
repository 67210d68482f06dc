// py_value.h: one Python value as a small tree, for every front end (gdb's `pyr locals` and
// `pyr print`, and a DAP adapter's `variables` with expandable children).
//
//   PyValue v = values.Read(address);
//   v.repr                      // "[1, 'two', (3,)]": what repr() prints, when not truncated
//   v.children[1].name          // "[1]"
//   v.children[1].repr          // "'two'"
//
// An unreadable object is a value too: readable false, repr "<unreadable ...: why>".
#ifndef PYREPLAY_REPLAY_PYVALUES_PY_VALUE_H_
#define PYREPLAY_REPLAY_PYVALUES_PY_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pyreplay {

struct PyValue {
  uint64_t address = 0;      // the PyObject (id() in CPython)
  std::string name;          // as a child: "[0]", a dict key's repr, an attribute name
  std::string type_name;     // tp_name: "int", "list", "Connection"
  std::string repr;          // repr() text; truncated containers end with "...]" and the count
  bool readable = true;      // false: repr says why
  int64_t length = -1;       // a container's total number of items (-1: not a container)
  bool truncated = false;    // repr or children show only the first items or characters
  bool expandable = false;   // has children (items, entries, attributes) to show
  std::vector<PyValue> children;  // read when the caller asked for them (ValueOptions)
};

// ValueOptions bounds a read.
struct ValueOptions {
  size_t max_items = 100;          // container items shown, in repr and as children
  size_t max_string_chars = 1000;  // str/bytes characters shown
  int max_depth = 6;               // nesting levels of repr (deeper ones print as "...")
  size_t max_repr_chars = 16384;   // the repr text stops near this size
  size_t max_objects = 20000;      // objects visited in one read
  bool children = true;            // fill the top value's children (one level)
  bool instance_dict = false;      // the children of other objects: their __dict__ attributes
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_PY_VALUE_H_
