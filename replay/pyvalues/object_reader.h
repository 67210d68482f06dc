// object_reader.h: CPython objects' contents, read from a stopped process's memory.
//
// The low level under the value tree (value_reader.h), the locals (frame_values.h) and
// `pyr print`'s expressions (value_expression.h): an object's type, an int's digits, a str's
// code points, a container's items, an instance's attributes. Nothing runs in the debuggee.
// Every read is bounded (the k* limits below and the caller's `max` arguments), and a type is
// trusted as a built-in only when it is a static type with the built-in's name and flags, so a
// stale pointer decodes as an error, not as garbage.
//
//   ObjectReader objects(layout, &reader);
//   ASSIGN_OR_RETURN(const TypeInfo* type, objects.Type(address));
//   if (type->kind == ObjectKind::kList) { ASSIGN_OR_RETURN(auto items, objects.Items(...)); }
#ifndef PYREPLAY_REPLAY_PYVALUES_OBJECT_READER_H_
#define PYREPLAY_REPLAY_PYVALUES_OBJECT_READER_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/memory_reader.h"
#include "replay/pyvalues/object_formats.h"

namespace pyreplay {

inline constexpr size_t kMaxTypeNameChars = 256;
inline constexpr uint64_t kMaxIntDigits = 2000;       // 30-bit digits (~18000 decimal digits)
inline constexpr int64_t kMaxContainerSize = 1 << 28;  // larger sizes are corrupt headers
inline constexpr int kMaxMroLength = 64;

// ObjectKind is what an object's type says it is, for the types read natively.
enum class ObjectKind {
  kOther, kNone, kBool, kInt, kFloat, kStr, kBytes, kTuple, kList, kDict, kSet, kFrozenSet,
  kCell, kModule, kType, kMemberDescriptor, kSetDummy, kFunction,
};

// TypeInfo is one type object, decoded once and cached by address.
struct TypeInfo {
  uint64_t address = 0;
  std::string name;       // tp_name
  uint64_t flags = 0;     // tp_flags
  int64_t basicsize = 0;
  int64_t dictoffset = 0;
  ObjectKind kind = ObjectKind::kOther;
  bool heap = false;      // Py_TPFLAGS_HEAPTYPE: defined in Python (or by a C extension's spec)
};

// Int is an int's magnitude (30-bit digits, least significant first) and sign.
struct Int {
  bool negative = false;
  std::vector<uint32_t> digits;
};

// Items is the first items of a container and how many it holds in all.
struct Items {
  int64_t total = 0;
  std::vector<uint64_t> objects;
};

// DictItems is the first entries of a dict (key, value) in iteration order, and the total.
struct DictItems {
  int64_t total = 0;
  std::vector<std::pair<uint64_t, uint64_t>> entries;
};

class ObjectReader {
 public:
  ObjectReader(const CPythonLayout& layout, MemoryReader* reader);

  const CPythonLayout& layout() const { return layout_; }
  const ObjectFormats& formats() const { return formats_; }
  MemoryReader* memory() const { return reader_; }

  // ReadU64 reads one word; false when unreadable (or address 0).
  bool ReadU64(uint64_t address, uint64_t* out);

  // TypeOf is the type of `object` (decoded and cached). DataLoss when unreadable.
  absl::StatusOr<const TypeInfo*> TypeOf(uint64_t object);
  // TypeAt decodes the type object at `type`.
  absl::StatusOr<const TypeInfo*> TypeAt(uint64_t type);

  // ReadInt decodes an int (or bool). OutOfRange beyond kMaxIntDigits digits.
  absl::StatusOr<Int> ReadInt(uint64_t object);
  // ReadFloat is a float's value.
  absl::StatusOr<double> ReadFloat(uint64_t object);
  // ReadStr is a str's first `max_chars` code points, and its length.
  absl::StatusOr<std::pair<std::u32string, int64_t>> ReadStr(uint64_t object, size_t max_chars);
  // ReadStrUtf8 is a whole str of at most `max_chars` as UTF-8 (names, keys); OutOfRange if longer.
  absl::StatusOr<std::string> ReadStrUtf8(uint64_t object, size_t max_chars = 4096);
  // ReadBytes is a bytes object's first `max_bytes` bytes, and its length.
  absl::StatusOr<std::pair<std::string, int64_t>> ReadBytes(uint64_t object, size_t max_bytes);

  // SequenceItems is the first `max` items of a tuple or list, and its length.
  absl::StatusOr<Items> SequenceItems(uint64_t object, ObjectKind kind, size_t max);
  // SetItems is the first `max` keys of a set or frozenset (table order), and its size.
  absl::StatusOr<Items> SetItems(uint64_t object, size_t max);
  // DictEntries is the first `max` entries of a dict, in iteration (insertion) order.
  absl::StatusOr<DictItems> DictEntries(uint64_t dict, size_t max);
  // DictLookupStr is the value under str key `key`. NotFound when absent.
  absl::StatusOr<uint64_t> DictLookupStr(uint64_t dict, absl::string_view key);

  // InstanceAttributes is `object`'s __dict__ as (name, value) pairs, first `max` of them.
  // NotFound when its type keeps no instance dict.
  absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> InstanceAttributes(
      uint64_t object, size_t max);
  // Attribute is `object.name` as Python's generic getattr finds it without running code: a
  // slot (member descriptor) of its type, its instance dict, a module's dict, a class
  // attribute along the MRO. NotFound when absent.
  absl::StatusOr<uint64_t> Attribute(uint64_t object, absl::string_view name);

  // CellContents is what a cell holds (0: empty).
  absl::StatusOr<uint64_t> CellContents(uint64_t cell);

  // Reads counts the reads made, for tests.
  uint64_t reads() const { return reads_; }

 private:
  bool Read(uint64_t address, void* out, size_t len);
  absl::StatusOr<std::string> ReadCString(uint64_t address, size_t max);
  // KeysEntries is the (key, value) words of a PyDictKeysObject's entries, in table order, at
  // most `max` live ones (value words are 0 for split tables).
  absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> KeysEntries(uint64_t keys,
                                                                         size_t limit);
  absl::StatusOr<DictItems> SplitEntries(uint64_t keys, uint64_t values, size_t max);
  absl::StatusOr<uint64_t> ClassAttribute(const TypeInfo& type, absl::string_view name);

  CPythonLayout layout_;
  const ObjectFormats& formats_;
  MemoryReader* reader_;
  // node_hash_map: TypeOf hands out pointers that must outlive later insertions (a container
  // whose items bring new types would otherwise read its own type through a dangling pointer).
  absl::node_hash_map<uint64_t, TypeInfo> types_;
  uint64_t reads_ = 0;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_OBJECT_READER_H_
