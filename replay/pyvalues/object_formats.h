// object_formats.h: the few object formats that differ between CPython versions, one small
// piece per difference, picked once from Py_Version (never `if version` in the callers).
//
//   const ObjectFormats& formats = ObjectFormatsFor(layout.python_version);
//   LongHeader h = formats.long_format->Decode(word_at_long_lv_tag);
//
// The differences (docs/CPYTHON.md, "Values"):
// - int: 3.11 keeps the sign in ob_size (|ob_size| digits); 3.12+ use lv_tag (sign in bits
//   0-1: 0 positive, 1 zero, 2 negative; digit count in bits 3+).
// - a split dict's values: 3.11/3.12 put the insertion order in bytes *before* values[0]
//   ([-1] prefix size, [-2] count, [-3-i] the i-th index); 3.13+ start PyDictValues with
//   {capacity, size, embedded, valid} and put the order after values[capacity].
// - an instance's attributes: 3.11 has a values pointer at obj-32 and a dict pointer at obj-24
//   (Py_TPFLAGS_MANAGED_DICT); 3.12 one tagged word at obj-24 (low bit set: values); 3.13+
//   inline values right after tp_basicsize (Py_TPFLAGS_INLINE_VALUES) and the dict at obj-24.
// - frame slots: 3.14 holds _PyStackRef words whose low bits are tags; before, plain pointers.
#ifndef PYREPLAY_REPLAY_PYVALUES_OBJECT_FORMATS_H_
#define PYREPLAY_REPLAY_PYVALUES_OBJECT_FORMATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/pyframes/memory_reader.h"

namespace pyreplay {

// LongHeader is an int's sign and size, from the word at layout.long_lv_tag.
struct LongHeader {
  bool negative = false;
  uint64_t ndigits = 0;  // 0 for zero
};

class LongFormat {
 public:
  virtual ~LongFormat() = default;
  virtual LongHeader Decode(uint64_t word) const = 0;
};

// SplitValues is where a split table's values sit and in which order they were inserted.
struct SplitValues {
  uint64_t first_value = 0;    // address of values[0]
  std::vector<uint8_t> order;  // entry indices, in insertion order
};

class DictValuesFormat {
 public:
  virtual ~DictValuesFormat() = default;
  // Read decodes the PyDictValues at `values`; `max_entries` bounds the order read. DataLoss
  // when unreadable or implausible.
  virtual absl::StatusOr<SplitValues> Read(MemoryReader* reader, uint64_t values,
                                           size_t max_entries) const = 0;
};

// InstanceDictRef is where an object's attributes live: a dict, or values that the type's
// cached keys (ht_cached_keys) name. Both zero: none yet.
struct InstanceDictRef {
  uint64_t dict = 0;
  uint64_t values = 0;  // a PyDictValues (read with DictValuesFormat)
};

// InstanceTypeInfo is what the instance-dict formats need from an object's type.
struct InstanceTypeInfo {
  uint64_t flags = 0;        // tp_flags
  int64_t basicsize = 0;     // tp_basicsize
  int64_t dictoffset = 0;    // tp_dictoffset
};

class InstanceDictFormat {
 public:
  virtual ~InstanceDictFormat() = default;
  // Find is where `object`'s attributes are. NotFound when the type keeps none (no managed dict,
  // no tp_dictoffset); DataLoss when the words are unreadable.
  virtual absl::StatusOr<InstanceDictRef> Find(MemoryReader* reader, uint64_t object,
                                               const InstanceTypeInfo& type) const = 0;
};

class StackRefFormat {
 public:
  virtual ~StackRefFormat() = default;
  // Object is the PyObject* a frame slot's word refers to (0: unbound).
  virtual uint64_t Object(uint64_t word) const = 0;
};

// ObjectFormats bundles the pieces for one CPython version.
struct ObjectFormats {
  std::string name;  // "3.11", "3.12", "3.13", "3.14"
  const LongFormat* long_format;
  const DictValuesFormat* dict_values;
  const InstanceDictFormat* instance_dict;
  const StackRefFormat* stack_ref;
};

// ObjectFormatsFor picks the pieces for PY_VERSION_HEX `py_version` (3.11 before 3.11, the
// newest known after it).
const ObjectFormats& ObjectFormatsFor(uint64_t py_version);

// Type flags the readers test (stable from 3.11 to 3.14).
inline constexpr uint64_t kTpFlagInlineValues = 1ull << 2;   // 3.13+
inline constexpr uint64_t kTpFlagManagedDict = 1ull << 4;
inline constexpr uint64_t kTpFlagHeapType = 1ull << 9;
inline constexpr uint64_t kTpFlagLongSubclass = 1ull << 24;
inline constexpr uint64_t kTpFlagListSubclass = 1ull << 25;
inline constexpr uint64_t kTpFlagTupleSubclass = 1ull << 26;
inline constexpr uint64_t kTpFlagBytesSubclass = 1ull << 27;
inline constexpr uint64_t kTpFlagUnicodeSubclass = 1ull << 28;
inline constexpr uint64_t kTpFlagDictSubclass = 1ull << 29;
inline constexpr uint64_t kTpFlagTypeSubclass = 1ull << 31;

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_OBJECT_FORMATS_H_
