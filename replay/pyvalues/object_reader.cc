#include "replay/pyvalues/object_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"
#include "replay/pyvalues/repr_text.h"

namespace pyreplay {
namespace {

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

uint64_t U64At(const std::string& raw, uint32_t offset) {
  uint64_t v = 0;
  if (offset + 8 <= raw.size()) memcpy(&v, raw.data() + offset, 8);
  return v;
}

// kBuiltins names the static types read natively, with the tp_flags bit each must carry.
struct Builtin {
  const char* name;
  ObjectKind kind;
  uint64_t required_flag;
};
constexpr Builtin kBuiltins[] = {
    {"NoneType", ObjectKind::kNone, 0},
    {"bool", ObjectKind::kBool, kTpFlagLongSubclass},
    {"int", ObjectKind::kInt, kTpFlagLongSubclass},
    {"float", ObjectKind::kFloat, 0},
    {"str", ObjectKind::kStr, kTpFlagUnicodeSubclass},
    {"bytes", ObjectKind::kBytes, kTpFlagBytesSubclass},
    {"tuple", ObjectKind::kTuple, kTpFlagTupleSubclass},
    {"list", ObjectKind::kList, kTpFlagListSubclass},
    {"dict", ObjectKind::kDict, kTpFlagDictSubclass},
    {"set", ObjectKind::kSet, 0},
    {"frozenset", ObjectKind::kFrozenSet, 0},
    {"cell", ObjectKind::kCell, 0},
    {"module", ObjectKind::kModule, 0},
    {"member_descriptor", ObjectKind::kMemberDescriptor, 0},
    {"function", ObjectKind::kFunction, 0},
    {"<dummy key> type", ObjectKind::kSetDummy, 0},
};

constexpr size_t kMaxSplitKeys = 256;    // a split table's keys (SHARED_KEYS_MAX_SIZE is 30)
constexpr size_t kEntryBlock = 256;       // dict/set entries read per call
constexpr int64_t kMaxDictEntries = 1 << 24;
constexpr size_t kInlineStrBytes = 64;    // read with a str's header: most keys fit
constexpr int kMemberObject = 6;          // T_OBJECT
constexpr int kMemberObjectEx = 16;       // T_OBJECT_EX (Py_T_OBJECT_EX)

}  // namespace

ObjectReader::ObjectReader(const CPythonLayout& layout, MemoryReader* reader)
    : layout_(layout), formats_(ObjectFormatsFor(layout.python_version)), reader_(reader) {}

bool ObjectReader::Read(uint64_t address, void* out, size_t len) {
  ++reads_;
  if (address == 0 || address + len < address) return false;
  return reader_->Read(address, out, len);
}

bool ObjectReader::ReadU64(uint64_t address, uint64_t* out) { return Read(address, out, 8); }

absl::StatusOr<std::string> ObjectReader::ReadCString(uint64_t address, size_t max) {
  std::string out;
  char chunk[64];
  while (out.size() < max) {
    // A C string may end near a page boundary: fall back to byte reads when a chunk fails.
    if (Read(address + out.size(), chunk, sizeof(chunk))) {
      size_t n = strnlen(chunk, sizeof(chunk));
      out.append(chunk, n);
      if (n < sizeof(chunk)) return out.substr(0, max);
    } else {
      char c;
      if (!Read(address + out.size(), &c, 1)) {
        return absl::DataLossError(absl::StrCat("C string at ", Hex(address), " not readable"));
      }
      if (c == 0) return out;
      out.push_back(c);
    }
  }
  return out.substr(0, max);
}

absl::StatusOr<const TypeInfo*> ObjectReader::TypeOf(uint64_t object) {
  uint64_t type = 0;
  if (!ReadU64(object + layout_.object_type, &type)) {
    return absl::DataLossError(absl::StrCat("object at ", Hex(object), " is not readable"));
  }
  return TypeAt(type);
}

absl::StatusOr<const TypeInfo*> ObjectReader::TypeAt(uint64_t type) {
  if (auto it = types_.find(type); it != types_.end()) return &it->second;
  uint32_t end = std::max({layout_.type_name, layout_.type_flags, layout_.type_basicsize,
                           layout_.type_dictoffset}) + 8;
  std::string raw(end, '\0');
  if (type == 0 || !Read(type, raw.data(), raw.size())) {
    return absl::DataLossError(absl::StrCat("type object at ", Hex(type), " is not readable"));
  }
  TypeInfo info;
  info.address = type;
  info.flags = U64At(raw, layout_.type_flags);
  info.basicsize = static_cast<int64_t>(U64At(raw, layout_.type_basicsize));
  info.dictoffset = static_cast<int64_t>(U64At(raw, layout_.type_dictoffset));
  info.heap = info.flags & kTpFlagHeapType;
  absl::StatusOr<std::string> name = ReadCString(U64At(raw, layout_.type_name), kMaxTypeNameChars);
  if (!name.ok()) {
    return absl::DataLossError(absl::StrCat("the name of type ", Hex(type), " is not readable"));
  }
  info.name = *std::move(name);
  if (info.flags & kTpFlagTypeSubclass) info.kind = ObjectKind::kType;
  if (!info.heap) {
    for (const Builtin& b : kBuiltins) {
      if (info.name == b.name && (info.flags & b.required_flag) == b.required_flag) {
        info.kind = b.kind;
      }
    }
  }
  return &types_.insert_or_assign(type, std::move(info)).first->second;
}

absl::StatusOr<Int> ObjectReader::ReadInt(uint64_t object) {
  uint64_t word = 0;
  if (!ReadU64(object + layout_.long_lv_tag, &word)) {
    return absl::DataLossError(absl::StrCat("int at ", Hex(object), " is not readable"));
  }
  LongHeader header = formats_.long_format->Decode(word);
  if (header.ndigits > kMaxIntDigits) {
    return absl::OutOfRangeError(absl::StrCat("int with ", header.ndigits,
                                              " 30-bit digits (too long to show)"));
  }
  Int out;
  out.negative = header.negative;
  out.digits.resize(header.ndigits);
  if (!out.digits.empty() &&
      !Read(object + layout_.long_ob_digit, out.digits.data(), out.digits.size() * 4)) {
    return absl::DataLossError(absl::StrCat("the digits of int ", Hex(object), " not readable"));
  }
  return out;
}

absl::StatusOr<double> ObjectReader::ReadFloat(uint64_t object) {
  double v = 0;
  if (!Read(object + layout_.float_ob_fval, &v, sizeof(v))) {
    return absl::DataLossError(absl::StrCat("float at ", Hex(object), " is not readable"));
  }
  return v;
}

absl::StatusOr<std::pair<std::u32string, int64_t>> ObjectReader::ReadStr(uint64_t object,
                                                                         size_t max_chars) {
  std::string raw(layout_.ascii_object_size + kInlineStrBytes, '\0');
  bool have_inline = Read(object, raw.data(), raw.size());
  if (!have_inline) {
    raw.assign(std::max(layout_.compact_object_size, layout_.unicode_data + 8), '\0');
    if (!Read(object, raw.data(), raw.size())) {
      raw.assign(layout_.ascii_object_size, '\0');
      if (!Read(object, raw.data(), raw.size())) {
        return absl::DataLossError(absl::StrCat("str at ", Hex(object), " is not readable"));
      }
    }
  }
  auto length = static_cast<int64_t>(U64At(raw, layout_.unicode_length));
  uint32_t state = 0;
  memcpy(&state, raw.data() + layout_.unicode_state, 4);
  uint32_t kind = (state >> layout_.unicode_kind_shift) & 7;
  bool compact = (state >> layout_.unicode_compact_bit) & 1;
  bool ascii = (state >> layout_.unicode_ascii_bit) & 1;
  if (length < 0 || length > kMaxContainerSize * 8 || (kind != 1 && kind != 2 && kind != 4)) {
    return absl::DataLossError(absl::StrCat("str at ", Hex(object), " has a corrupt header"));
  }
  size_t count = std::min<size_t>(static_cast<size_t>(length), max_chars);
  uint64_t data_at = 0;
  if (compact) {
    data_at = object + (ascii ? layout_.ascii_object_size : layout_.compact_object_size);
  } else if (!ReadU64(object + layout_.unicode_data, &data_at)) {  // legacy: data elsewhere
    return absl::DataLossError(absl::StrCat("the data of str ", Hex(object), " not readable"));
  }
  std::string data(count * kind, '\0');
  uint64_t inline_at = object + layout_.ascii_object_size;
  if (have_inline && data_at >= inline_at && data_at + data.size() <= inline_at + kInlineStrBytes) {
    memcpy(data.data(), raw.data() + (data_at - object), data.size());
  } else if (!data.empty() && !Read(data_at, data.data(), data.size())) {
    return absl::DataLossError(absl::StrCat("the data of str ", Hex(object), " not readable"));
  }
  std::u32string out(count, U'\0');
  for (size_t i = 0; i < count; ++i) {
    if (kind == 1) {
      out[i] = static_cast<uint8_t>(data[i]);
    } else if (kind == 2) {
      uint16_t u;
      memcpy(&u, data.data() + 2 * i, 2);
      out[i] = u;
    } else {
      uint32_t u;
      memcpy(&u, data.data() + 4 * i, 4);
      out[i] = u;
    }
  }
  return std::make_pair(std::move(out), length);
}

absl::StatusOr<std::string> ObjectReader::ReadStrUtf8(uint64_t object, size_t max_chars) {
  ASSIGN_OR_RETURN(const TypeInfo* type, TypeOf(object));
  if (type->kind != ObjectKind::kStr) {
    return absl::InvalidArgumentError(absl::StrCat("a ", type->name, ", not a str"));
  }
  ASSIGN_OR_RETURN(auto text, ReadStr(object, max_chars));
  if (text.second > static_cast<int64_t>(max_chars)) {
    return absl::OutOfRangeError(absl::StrCat("str of ", text.second, " characters"));
  }
  std::string out;
  for (char32_t c : text.first) AppendUtf8(&out, c);
  return out;
}

absl::StatusOr<std::pair<std::string, int64_t>> ObjectReader::ReadBytes(uint64_t object,
                                                                        size_t max_bytes) {
  uint64_t size_word = 0;
  if (!ReadU64(object + layout_.var_size, &size_word)) {
    return absl::DataLossError(absl::StrCat("bytes at ", Hex(object), " is not readable"));
  }
  auto size = static_cast<int64_t>(size_word);
  if (size < 0 || size > kMaxContainerSize * 8) {
    return absl::DataLossError(absl::StrCat("bytes at ", Hex(object), " has a corrupt size"));
  }
  std::string data(std::min<size_t>(static_cast<size_t>(size), max_bytes), '\0');
  if (!data.empty() && !Read(object + layout_.bytes_sval, data.data(), data.size())) {
    return absl::DataLossError(absl::StrCat("the data of bytes ", Hex(object), " not readable"));
  }
  return std::make_pair(std::move(data), size);
}

absl::StatusOr<Items> ObjectReader::SequenceItems(uint64_t object, ObjectKind kind, size_t max) {
  uint64_t size_word = 0;
  if (!ReadU64(object + layout_.var_size, &size_word)) {
    return absl::DataLossError(absl::StrCat("sequence at ", Hex(object), " is not readable"));
  }
  Items out;
  out.total = static_cast<int64_t>(size_word);
  if (out.total < 0 || out.total > kMaxContainerSize) {
    return absl::DataLossError(absl::StrCat("sequence at ", Hex(object), " has a corrupt size"));
  }
  uint64_t items = object + layout_.tuple_ob_item;
  if (kind == ObjectKind::kList && !ReadU64(object + layout_.list_ob_item, &items)) {
    return absl::DataLossError(absl::StrCat("list at ", Hex(object), " is not readable"));
  }
  out.objects.resize(std::min<size_t>(static_cast<size_t>(out.total), max));
  if (!out.objects.empty() && !Read(items, out.objects.data(), out.objects.size() * 8)) {
    return absl::DataLossError(absl::StrCat("the items of ", Hex(object), " are not readable"));
  }
  return out;
}

absl::StatusOr<Items> ObjectReader::SetItems(uint64_t object, size_t max) {
  uint64_t used = 0, mask = 0, table = 0;
  if (!ReadU64(object + layout_.set_used, &used) || !ReadU64(object + layout_.set_mask, &mask) ||
      !ReadU64(object + layout_.set_table, &table)) {
    return absl::DataLossError(absl::StrCat("set at ", Hex(object), " is not readable"));
  }
  if (static_cast<int64_t>(used) < 0 || mask >= static_cast<uint64_t>(kMaxContainerSize) ||
      used > mask + 1) {
    return absl::DataLossError(absl::StrCat("set at ", Hex(object), " has a corrupt header"));
  }
  Items out;
  out.total = static_cast<int64_t>(used);
  size_t want = std::min<size_t>(used, max);
  std::vector<uint64_t> block(2 * kEntryBlock);  // setentry {key, hash}
  for (uint64_t slot = 0; slot <= mask && out.objects.size() < want; slot += kEntryBlock) {
    size_t n = std::min<uint64_t>(kEntryBlock, mask + 1 - slot);
    if (!Read(table + 16 * slot, block.data(), 16 * n)) {
      return absl::DataLossError(absl::StrCat("the table of set ", Hex(object), " not readable"));
    }
    for (size_t i = 0; i < n && out.objects.size() < want; ++i) {
      // An empty slot has no key; a deleted one holds the dummy key with hash -1, a hash no
      // real key has (docs/CPYTHON.md, "Values").
      if (block[2 * i] != 0 && block[2 * i + 1] != ~uint64_t{0}) out.objects.push_back(block[2 * i]);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<uint64_t, uint64_t>>> ObjectReader::KeysEntries(
    uint64_t keys, size_t limit) {
  std::string header(layout_.keys_indices, '\0');
  if (keys == 0 || !Read(keys, header.data(), header.size())) {
    return absl::DataLossError(absl::StrCat("dict keys at ", Hex(keys), " not readable"));
  }
  auto log2_index_bytes = static_cast<uint8_t>(header[layout_.keys_log2_index_bytes]);
  auto kind = static_cast<uint8_t>(header[layout_.keys_kind]);
  auto nentries = static_cast<int64_t>(U64At(header, layout_.keys_nentries));
  if (log2_index_bytes > 40 || kind > 2 || nentries < 0 || nentries > kMaxDictEntries) {
    return absl::DataLossError(absl::StrCat("dict keys at ", Hex(keys), " look corrupt"));
  }
  // DICT_KEYS_GENERAL (0) entries are {hash, key, value}; UNICODE/SPLIT ones {key, value}.
  const size_t words = kind == 0 ? 3 : 2;
  const size_t key_word = kind == 0 ? 1 : 0;
  uint64_t entries = keys + layout_.keys_indices + (uint64_t{1} << log2_index_bytes);
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::vector<uint64_t> block(words * kEntryBlock);
  size_t live = 0;
  for (int64_t i = 0; i < nentries && live < limit; i += kEntryBlock) {
    size_t n = std::min<int64_t>(kEntryBlock, nentries - i);
    if (!Read(entries + 8 * words * static_cast<uint64_t>(i), block.data(), 8 * words * n)) {
      return absl::DataLossError(absl::StrCat("dict entries at ", Hex(entries), " not readable"));
    }
    for (size_t j = 0; j < n && live < limit; ++j) {
      out.emplace_back(block[words * j + key_word], block[words * j + key_word + 1]);
      if (out.back().first != 0) ++live;
    }
  }
  return out;
}

absl::StatusOr<DictItems> ObjectReader::SplitEntries(uint64_t keys, uint64_t values, size_t max) {
  ASSIGN_OR_RETURN(SplitValues split, formats_.dict_values->Read(reader_, values, max));
  ASSIGN_OR_RETURN(auto key_entries, KeysEntries(keys, kMaxSplitKeys));
  DictItems out;
  std::vector<uint64_t> vals(key_entries.size());
  if (!vals.empty() && !Read(split.first_value, vals.data(), 8 * vals.size())) {
    return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " not readable"));
  }
  for (uint8_t ix : split.order) {
    if (ix >= key_entries.size() || vals[ix] == 0) continue;
    out.entries.emplace_back(key_entries[ix].first, vals[ix]);
  }
  out.total = static_cast<int64_t>(out.entries.size());
  return out;
}

absl::StatusOr<DictItems> ObjectReader::DictEntries(uint64_t dict, size_t max) {
  uint64_t used = 0, keys = 0, values = 0;
  if (!ReadU64(dict + layout_.dict_ma_used, &used) || !ReadU64(dict + layout_.dict_keys, &keys) ||
      !ReadU64(dict + layout_.dict_values, &values)) {
    return absl::DataLossError(absl::StrCat("dict at ", Hex(dict), " is not readable"));
  }
  if (static_cast<int64_t>(used) < 0 || used > static_cast<uint64_t>(kMaxDictEntries)) {
    return absl::DataLossError(absl::StrCat("dict at ", Hex(dict), " has a corrupt size"));
  }
  if (values != 0) {
    ASSIGN_OR_RETURN(DictItems out, SplitEntries(keys, values, max));
    out.total = static_cast<int64_t>(used);
    if (out.entries.size() > max) out.entries.resize(max);
    return out;
  }
  ASSIGN_OR_RETURN(auto entries, KeysEntries(keys, max));
  DictItems out;
  out.total = static_cast<int64_t>(used);
  for (const auto& [key, value] : entries) {
    if (key != 0 && value != 0 && out.entries.size() < max) out.entries.emplace_back(key, value);
  }
  return out;
}

absl::StatusOr<uint64_t> ObjectReader::DictLookupStr(uint64_t dict, absl::string_view key) {
  ASSIGN_OR_RETURN(DictItems items, DictEntries(dict, static_cast<size_t>(kMaxDictEntries)));
  for (const auto& [k, v] : items.entries) {
    absl::StatusOr<std::string> text = ReadStrUtf8(k, key.size() + 1);
    if (text.ok() && *text == key) return v;
  }
  return absl::NotFoundError(absl::StrCat("no key '", key, "'"));
}

absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> ObjectReader::InstanceAttributes(
    uint64_t object, size_t max) {
  ASSIGN_OR_RETURN(const TypeInfo* type, TypeOf(object));
  InstanceTypeInfo info{.flags = type->flags, .basicsize = type->basicsize,
                        .dictoffset = type->dictoffset};
  ASSIGN_OR_RETURN(InstanceDictRef ref, formats_.instance_dict->Find(reader_, object, info));
  DictItems items;
  if (ref.dict != 0) {
    ASSIGN_OR_RETURN(items, DictEntries(ref.dict, max));
  } else if (ref.values != 0) {
    uint64_t keys = 0;
    if (!ReadU64(type->address + layout_.heaptype_cached_keys, &keys) || keys == 0) {
      return absl::DataLossError(absl::StrCat("type ", type->name, " has no cached keys"));
    }
    ASSIGN_OR_RETURN(items, SplitEntries(keys, ref.values, max));
  }
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& [k, v] : items.entries) {
    absl::StatusOr<std::string> name = ReadStrUtf8(k, kMaxTypeNameChars);
    out.emplace_back(name.ok() ? *name : absl::StrCat("<key at ", Hex(k), ">"), v);
  }
  return out;
}

absl::StatusOr<uint64_t> ObjectReader::ClassAttribute(const TypeInfo& type,
                                                      absl::string_view name) {
  uint64_t mro = 0;
  std::vector<uint64_t> types = {type.address};
  if (ReadU64(type.address + layout_.type_mro, &mro) && mro != 0) {
    absl::StatusOr<Items> items = SequenceItems(mro, ObjectKind::kTuple, kMaxMroLength);
    if (items.ok()) types = items->objects;
  }
  for (uint64_t t : types) {
    uint64_t dict = 0;
    if (!ReadU64(t + layout_.type_dict, &dict) || dict == 0) continue;  // 3.12+ static types
    absl::StatusOr<uint64_t> found = DictLookupStr(dict, name);
    if (found.ok() || !absl::IsNotFound(found.status())) return found;
  }
  return absl::NotFoundError(absl::StrCat("type ", type.name, " has no attribute ", name));
}

absl::StatusOr<uint64_t> ObjectReader::Attribute(uint64_t object, absl::string_view name) {
  ASSIGN_OR_RETURN(const TypeInfo* type, TypeOf(object));
  const std::string missing =
      absl::StrCat("'", type->name, "' object at ", Hex(object), " has no attribute '", name, "'");
  if (type->kind == ObjectKind::kModule) {
    uint64_t dict = 0;
    if (!ReadU64(object + layout_.module_dict, &dict) || dict == 0) {
      return absl::DataLossError(absl::StrCat("the dict of module ", Hex(object), " unreadable"));
    }
    absl::StatusOr<uint64_t> found = DictLookupStr(dict, name);
    if (absl::IsNotFound(found.status())) return absl::NotFoundError(missing);
    return found;
  }
  if (type->kind == ObjectKind::kType) {
    ASSIGN_OR_RETURN(const TypeInfo* as_type, TypeAt(object));
    absl::StatusOr<uint64_t> found = ClassAttribute(*as_type, name);
    if (absl::IsNotFound(found.status())) return absl::NotFoundError(missing);
    return found;
  }
  absl::StatusOr<uint64_t> descr = ClassAttribute(*type, name);
  if (!descr.ok() && !absl::IsNotFound(descr.status())) return descr.status();
  if (descr.ok()) {
    absl::StatusOr<const TypeInfo*> descr_type = TypeOf(*descr);
    if (descr_type.ok() && (*descr_type)->kind == ObjectKind::kMemberDescriptor) {
      // A slot (__slots__): PyMemberDef {name, type, offset, ...} says where it sits.
      uint64_t def = 0, offset = 0;
      int32_t member_type = 0;
      if (!ReadU64(*descr + layout_.member_descr_member, &def) ||
          !Read(def + layout_.member_def_type, &member_type, 4) ||
          !ReadU64(def + layout_.member_def_offset, &offset)) {
        return absl::DataLossError(absl::StrCat("the slot descriptor of '", name,
                                                "' is not readable"));
      }
      if (member_type != kMemberObject && member_type != kMemberObjectEx) {
        return absl::UnimplementedError(absl::StrCat("'", name, "' is a C-level member of type ",
                                                     member_type, ", not an object slot"));
      }
      uint64_t value = 0;
      if (!ReadU64(object + offset, &value)) {
        return absl::DataLossError(absl::StrCat("slot '", name, "' is not readable"));
      }
      if (value == 0) return absl::NotFoundError(absl::StrCat(missing, " (slot not set)"));
      return value;
    }
  }
  absl::StatusOr<std::vector<std::pair<std::string, uint64_t>>> attrs =
      InstanceAttributes(object, static_cast<size_t>(kMaxDictEntries));
  if (attrs.ok()) {
    for (const auto& [k, v] : *attrs) {
      if (k == name) return v;
    }
  } else if (!absl::IsNotFound(attrs.status())) {
    return attrs.status();
  }
  if (descr.ok()) return *descr;
  return absl::NotFoundError(missing);
}

absl::StatusOr<uint64_t> ObjectReader::CellContents(uint64_t cell) {
  uint64_t value = 0;
  if (!ReadU64(cell + layout_.cell_ob_ref, &value)) {
    return absl::DataLossError(absl::StrCat("cell at ", Hex(cell), " is not readable"));
  }
  return value;
}

}  // namespace pyreplay
