#include "replay/pyvalues/object_formats.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

constexpr size_t kMaxSplitEntries = 256;  // SHARED_KEYS_MAX_SIZE is 30; order bytes are uint8

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

bool ReadU64(MemoryReader* reader, uint64_t address, uint64_t* out) {
  return address != 0 && reader->Read(address, out, 8);
}

// --- int --------------------------------------------------------------------------------------

class SignInSize : public LongFormat {  // 3.11: ob_size is -ndigits for negative ints
 public:
  LongHeader Decode(uint64_t word) const override {
    auto size = static_cast<int64_t>(word);
    return {.negative = size < 0, .ndigits = static_cast<uint64_t>(size < 0 ? -size : size)};
  }
};

class LvTag : public LongFormat {  // 3.12+: _PyLong_SIGN_MASK 3, _PyLong_NON_SIZE_BITS 3
 public:
  LongHeader Decode(uint64_t word) const override {
    uint64_t sign = word & 3;
    return {.negative = sign == 2, .ndigits = sign == 1 ? 0 : word >> 3};
  }
};

// --- split dict values ------------------------------------------------------------------------

class OrderBeforeValues : public DictValuesFormat {  // 3.11, 3.12
 public:
  absl::StatusOr<SplitValues> Read(MemoryReader* reader, uint64_t values,
                                   size_t max_entries) const override {
    uint8_t head[2];  // [-2] count, [-1] prefix size
    if (values < 2 || !reader->Read(values - 2, head, 2)) {
      return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " not readable"));
    }
    size_t count = head[0], prefix = head[1];
    if (count > prefix) {  // the prefix holds the order bytes and these two
      return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " look corrupt"));
    }
    count = std::min({count, max_entries, kMaxSplitEntries});
    SplitValues out;
    out.first_value = values;
    std::vector<uint8_t> before(count);
    if (count != 0 && !reader->Read(values - 2 - count, before.data(), count)) {
      return absl::DataLossError(absl::StrCat("dict order at ", Hex(values), " not readable"));
    }
    // The i-th index sits at values[-3-i]: `before` holds [-2-count .. -3], last first.
    for (size_t i = 0; i < count; ++i) out.order.push_back(before[count - 1 - i]);
    return out;
  }
};

class OrderAfterValues : public DictValuesFormat {  // 3.13+: {capacity, size, embedded, valid}
 public:
  absl::StatusOr<SplitValues> Read(MemoryReader* reader, uint64_t values,
                                   size_t max_entries) const override {
    uint8_t head[4];
    if (values == 0 || !reader->Read(values, head, 4)) {
      return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " not readable"));
    }
    size_t capacity = head[0], count = head[1];
    if (count > capacity) {
      return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " look corrupt"));
    }
    count = std::min({count, max_entries, kMaxSplitEntries});
    SplitValues out;
    out.first_value = values + 8;
    out.order.resize(count);
    if (count != 0 && !reader->Read(out.first_value + 8 * capacity, out.order.data(), count)) {
      return absl::DataLossError(absl::StrCat("dict order at ", Hex(values), " not readable"));
    }
    return out;
  }
};

// --- instance attributes ----------------------------------------------------------------------

absl::StatusOr<InstanceDictRef> FromDictOffset(MemoryReader* reader, uint64_t object,
                                               const InstanceTypeInfo& type) {
  if (type.dictoffset <= 0) {
    return absl::NotFoundError("its type keeps no instance __dict__ (no managed dict, no "
                               "tp_dictoffset)");
  }
  InstanceDictRef ref;
  if (!ReadU64(reader, object + static_cast<uint64_t>(type.dictoffset), &ref.dict)) {
    return absl::DataLossError(absl::StrCat("the __dict__ pointer of ", Hex(object),
                                            " is not readable"));
  }
  return ref;
}

class ValuesAndDictBefore : public InstanceDictFormat {  // 3.11
 public:
  absl::StatusOr<InstanceDictRef> Find(MemoryReader* reader, uint64_t object,
                                       const InstanceTypeInfo& type) const override {
    if (!(type.flags & kTpFlagManagedDict)) return FromDictOffset(reader, object, type);
    uint64_t pre[2];  // _PyObject_ValuesPointer (obj-32), _PyObject_ManagedDictPointer (obj-24)
    if (object < 32 || !reader->Read(object - 32, pre, sizeof(pre))) {
      return absl::DataLossError(absl::StrCat("the managed dict of ", Hex(object),
                                              " is not readable"));
    }
    return InstanceDictRef{.dict = pre[1], .values = pre[1] != 0 ? 0 : pre[0]};
  }
};

class TaggedDictOrValues : public InstanceDictFormat {  // 3.12: _PyDictOrValues at obj-24
 public:
  absl::StatusOr<InstanceDictRef> Find(MemoryReader* reader, uint64_t object,
                                       const InstanceTypeInfo& type) const override {
    if (!(type.flags & kTpFlagManagedDict)) return FromDictOffset(reader, object, type);
    uint64_t word = 0;
    if (object < 24 || !ReadU64(reader, object - 24, &word)) {
      return absl::DataLossError(absl::StrCat("the managed dict of ", Hex(object),
                                              " is not readable"));
    }
    if (word & 1) return InstanceDictRef{.values = word - 1};
    return InstanceDictRef{.dict = word};
  }
};

class InlineValues : public InstanceDictFormat {  // 3.13+
 public:
  absl::StatusOr<InstanceDictRef> Find(MemoryReader* reader, uint64_t object,
                                       const InstanceTypeInfo& type) const override {
    if (!(type.flags & kTpFlagManagedDict)) return FromDictOffset(reader, object, type);
    InstanceDictRef ref;
    if (object < 24 || !ReadU64(reader, object - 24, &ref.dict)) {
      return absl::DataLossError(absl::StrCat("the managed dict of ", Hex(object),
                                              " is not readable"));
    }
    if (ref.dict != 0 || !(type.flags & kTpFlagInlineValues) || type.basicsize <= 0) return ref;
    uint64_t values = object + static_cast<uint64_t>(type.basicsize);
    uint8_t head[4];  // capacity, size, embedded, valid
    if (!reader->Read(values, head, 4)) {
      return absl::DataLossError(absl::StrCat("the inline values of ", Hex(object),
                                              " are not readable"));
    }
    if (head[3]) ref.values = values;  // not valid once a dict took them over
    return ref;
  }
};

class PlainPointer : public StackRefFormat {
 public:
  uint64_t Object(uint64_t word) const override { return word; }
};

class TaggedStackRef : public StackRefFormat {  // 3.14: Py_TAG_BITS in the low bits
 public:
  uint64_t Object(uint64_t word) const override { return word & ~uint64_t{3}; }
};

const SignInSize kSignInSize;
const LvTag kLvTag;
const OrderBeforeValues kOrderBefore;
const OrderAfterValues kOrderAfter;
const ValuesAndDictBefore kValuesAndDictBefore;
const TaggedDictOrValues kTaggedDictOrValues;
const InlineValues kInlineValues;
const PlainPointer kPlainPointer;
const TaggedStackRef kTaggedStackRef;

const ObjectFormats kFormats[] = {
    {"3.11", &kSignInSize, &kOrderBefore, &kValuesAndDictBefore, &kPlainPointer},
    {"3.12", &kLvTag, &kOrderBefore, &kTaggedDictOrValues, &kPlainPointer},
    {"3.13", &kLvTag, &kOrderAfter, &kInlineValues, &kPlainPointer},
    {"3.14", &kLvTag, &kOrderAfter, &kInlineValues, &kTaggedStackRef},
};

}  // namespace

const ObjectFormats& ObjectFormatsFor(uint64_t py_version) {
  uint64_t minor = (py_version >> 24) == 3 ? (py_version >> 16) & 0xff : 11;
  if (minor <= 11) return kFormats[0];
  if (minor >= 14) return kFormats[3];
  return kFormats[minor - 11];
}

}  // namespace pyreplay
