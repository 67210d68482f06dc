// value_reader.h: Python values as PyValue trees (py_value.h), read from memory.
//
// int (any size), bool, None, float, str, bytes, tuple, list, dict, set and frozenset get the
// text CPython's repr() prints (repr_text.h); a cycle prints as repr prints it ("[...]");
// containers show their first `max_items` items and say how many more there are
// ("[0, 1, ... 998 more]"); any other object is `<module.Class object at 0x...>` with its
// __dict__ as children when asked. Unreadable parts become values that say why, so one bad
// pointer never ends a listing.
//
//   ValueReader values(layout, &reader);
//   PyValue v = values.Read(address, {.max_items = 20});
#ifndef PYREPLAY_REPLAY_PYVALUES_VALUE_READER_H_
#define PYREPLAY_REPLAY_PYVALUES_VALUE_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/memory_reader.h"
#include "replay/pyvalues/object_reader.h"
#include "replay/pyvalues/py_value.h"

namespace pyreplay {

class ValueReader {
 public:
  ValueReader(const CPythonLayout& layout, MemoryReader* reader);

  // Read is the value of the object at `object` (a PyObject*).
  PyValue Read(uint64_t object, const ValueOptions& options = {});

  // Unreadable is the value that stands for an object that could not be read.
  static PyValue Unreadable(uint64_t object, const std::string& why);

  ObjectReader& objects() { return objects_; }

 private:
  struct Walk {
    const ValueOptions& options;
    std::vector<uint64_t> path;  // containers being printed, for cycles
    size_t visited = 0;
  };

  PyValue Build(uint64_t object, Walk& walk, int depth, bool keep_children);
  void BuildContainer(PyValue& v, const TypeInfo& type, Walk& walk, int depth,
                      bool keep_children);
  void BuildOther(PyValue& v, const TypeInfo& type, Walk& walk, int depth, bool keep_children);
  std::string ClassName(const TypeInfo& type);  // "__main__.Foo", "collections.OrderedDict"

  ObjectReader objects_;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_VALUE_READER_H_
