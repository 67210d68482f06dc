// fake_heap_for_test.h: hand-built CPython 3.11 objects in a sparse fake address space, with
// the default (Debian 3.11.2) layout, for the pyvalues unit tests.
#ifndef PYREPLAY_REPLAY_PYVALUES_FAKE_HEAP_FOR_TEST_H_
#define PYREPLAY_REPLAY_PYVALUES_FAKE_HEAP_FOR_TEST_H_

#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/memory_reader.h"
#include "replay/pyvalues/object_formats.h"

namespace pyreplay {

class FakeHeap : public MemoryReader {
 public:
  bool Read(uint64_t address, void* out, size_t len) override {
    auto it = regions_.upper_bound(address);
    if (it == regions_.begin()) return false;
    --it;
    if (address + len > it->first + it->second.size()) return false;
    memcpy(out, it->second.data() + (address - it->first), len);
    return true;
  }
  uint64_t Alloc(size_t size, size_t before = 0) {
    uint64_t base = next_;
    next_ += ((before + size + 0xfff) & ~uint64_t{0xfff}) + 0x1000;
    regions_[base] = std::string(before + size, '\0');
    return base + before;
  }
  void Put(uint64_t address, const void* data, size_t len) {
    auto it = --regions_.upper_bound(address);
    memcpy(it->second.data() + (address - it->first), data, len);
  }
  void Put64(uint64_t address, uint64_t v) { Put(address, &v, 8); }
  void Put32(uint64_t address, uint32_t v) { Put(address, &v, 4); }
  void Put8(uint64_t address, uint8_t v) { Put(address, &v, 1); }

  // Type is a type object named `name` with `flags` (static unless flags say heap).
  uint64_t Type(const std::string& name, uint64_t flags = 0) {
    auto it = types_.find(name);
    if (it != types_.end()) return it->second;
    uint64_t t = Alloc(900);
    uint64_t text = Alloc(name.size() + 1);
    Put(text, name.c_str(), name.size() + 1);
    Put64(t + layout.type_name, text);
    Put64(t + layout.type_flags, flags);
    types_[name] = t;
    return t;
  }
  uint64_t Object(const std::string& type, uint64_t flags, size_t size, size_t before = 0) {
    uint64_t o = Alloc(size, before);
    Put64(o + 8, Type(type, flags));
    return o;
  }
  uint64_t None() { return none_ ? none_ : (none_ = Object("NoneType", 0, 16)); }
  uint64_t Int(int64_t v, const char* type = "int") {
    uint64_t mag = v < 0 ? -static_cast<uint64_t>(v) : v;
    std::vector<uint32_t> digits;
    while (mag) { digits.push_back(mag & ((1u << 30) - 1)); mag >>= 30; }
    return IntDigits(digits, v < 0, type);
  }
  uint64_t IntDigits(const std::vector<uint32_t>& digits, bool negative, const char* type = "int") {
    uint64_t o = Object(type, kTpFlagLongSubclass, 24 + 4 * digits.size() + 4);
    int64_t size = static_cast<int64_t>(digits.size());
    Put64(o + 16, static_cast<uint64_t>(negative ? -size : size));  // 3.11: sign in ob_size
    if (!digits.empty()) Put(o + 24, digits.data(), 4 * digits.size());
    return o;
  }
  uint64_t Float(double v) {
    uint64_t o = Object("float", 0, 24);
    Put(o + 16, &v, 8);
    return o;
  }
  // Str is a compact str of code points, kind chosen as CPython would.
  uint64_t Str(const std::u32string& s) {
    uint32_t max = 0;
    for (char32_t c : s) max = std::max<uint32_t>(max, c);
    uint32_t kind = max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
    bool ascii = max < 0x80;
    size_t header = ascii ? 48 : 72;
    uint64_t o = Object("str", kTpFlagUnicodeSubclass, header + kind * (s.size() + 1));
    Put64(o + 16, s.size());
    Put32(o + 32, (kind << 2) | (1u << 5) | (ascii ? 1u << 6 : 0) | (1u << 7));
    for (size_t i = 0; i < s.size(); ++i) Put(o + header + kind * i, &s[i], kind);
    return o;
  }
  uint64_t Str(const std::string& ascii) { return Str(std::u32string(ascii.begin(), ascii.end())); }
  // LegacyStr is a non-compact str whose data sits in a separate buffer (PyUnicodeObject.data).
  uint64_t LegacyStr(const std::u16string& s) {
    uint64_t o = Object("str", kTpFlagUnicodeSubclass, 80);
    uint64_t data = Alloc(2 * s.size() + 2);
    Put(data, s.data(), 2 * s.size());
    Put64(o + 16, s.size());
    Put32(o + 32, (2u << 2) | (1u << 7));
    Put64(o + layout.unicode_data, data);
    return o;
  }
  uint64_t Bytes(const std::string& data) {
    uint64_t o = Object("bytes", kTpFlagBytesSubclass, 33 + data.size());
    Put64(o + 16, data.size());
    Put(o + 32, data.data(), data.size());
    return o;
  }
  uint64_t Tuple(const std::vector<uint64_t>& items) {
    uint64_t o = Object("tuple", kTpFlagTupleSubclass, 24 + 8 * items.size() + 8);
    Put64(o + 16, items.size());
    if (!items.empty()) Put(o + 24, items.data(), 8 * items.size());
    return o;
  }
  uint64_t List(const std::vector<uint64_t>& items) {
    uint64_t o = Object("list", kTpFlagListSubclass, 40);
    uint64_t array = Alloc(8 * items.size() + 8);
    Put64(o + 16, items.size());
    Put64(o + 24, array);
    if (!items.empty()) Put(array, items.data(), 8 * items.size());
    return o;
  }
  void SetListItem(uint64_t list, size_t i, uint64_t item) {
    uint64_t array = 0;
    Read(list + 24, &array, 8);
    Put64(array + 8 * i, item);
  }
  // Keys is a PyDictKeysObject of `entries` (key, value; key 0 = deleted), general or unicode.
  uint64_t Keys(const std::vector<std::pair<uint64_t, uint64_t>>& entries, bool unicode) {
    const uint8_t log2_index_bytes = 3;
    size_t words = unicode ? 2 : 3;
    uint64_t k = Alloc(32 + 8 + 8 * words * entries.size());
    Put8(k + 8, 3);
    Put8(k + 9, log2_index_bytes);
    Put8(k + 10, unicode ? 1 : 0);
    Put64(k + 24, entries.size());
    uint64_t at = k + 32 + 8;
    for (const auto& [key, value] : entries) {
      if (!unicode) { Put64(at, 12345); at += 8; }
      Put64(at, key);
      Put64(at + 8, value);
      at += 16;
    }
    return k;
  }
  uint64_t Dict(const std::vector<std::pair<uint64_t, uint64_t>>& entries, bool unicode = false) {
    uint64_t d = Object("dict", kTpFlagDictSubclass, 48);
    size_t used = 0;
    for (const auto& e : entries) used += e.first != 0;
    Put64(d + 16, used);
    Put64(d + 32, Keys(entries, unicode));
    return d;
  }
  // SplitValues3_11 is a 3.11 PyDictValues: order bytes before values[0].
  uint64_t SplitValues(const std::vector<uint64_t>& values, const std::vector<uint8_t>& order) {
    size_t prefix = 8;
    uint64_t v = Alloc(8 * values.size(), prefix);
    Put8(v - 1, prefix);
    Put8(v - 2, order.size());
    for (size_t i = 0; i < order.size(); ++i) Put8(v - 3 - i, order[i]);
    Put(v, values.data(), 8 * values.size());
    return v;
  }
  uint64_t SplitDict(uint64_t keys, uint64_t values, size_t used) {
    uint64_t d = Object("dict", kTpFlagDictSubclass, 48);
    Put64(d + 16, used);
    Put64(d + 32, keys);
    Put64(d + 40, values);
    return d;
  }
  uint64_t Set(const std::vector<uint64_t>& keys, bool frozen = false) {
    uint64_t s = Object(frozen ? "frozenset" : "set", 0, 200);
    size_t slots = 8;
    while (slots < 2 * keys.size() + 2) slots *= 2;
    uint64_t table = Alloc(16 * slots);
    Put64(s + 24, keys.size());
    Put64(s + 32, slots - 1);
    Put64(s + 40, table);
    Put64(table, Object("<dummy key> type", 0, 16));  // a deleted slot first
    Put64(table + 8, ~uint64_t{0});
    for (size_t i = 0; i < keys.size(); ++i) Put64(table + 16 * (2 * i + 1), keys[i]);
    return s;
  }

  CPythonLayout layout;

 private:
  std::map<uint64_t, std::string> regions_;
  std::map<std::string, uint64_t> types_;
  uint64_t next_ = 0x10000;
  uint64_t none_ = 0;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_FAKE_HEAP_FOR_TEST_H_
