#include "replay/pyframes/frame_decoder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"

namespace pyreplay {
namespace {

uint64_t U64At(const std::string& raw, uint32_t offset) {
  uint64_t v = 0;
  if (offset + 8 <= raw.size()) memcpy(&v, raw.data() + offset, 8);
  return v;
}

uint32_t U32At(const std::string& raw, uint32_t offset) {
  uint32_t v = 0;
  if (offset + 4 <= raw.size()) memcpy(&v, raw.data() + offset, 4);
  return v;
}

uint8_t U8At(const std::string& raw, uint32_t offset) {
  return offset < raw.size() ? static_cast<uint8_t>(raw[offset]) : 0;
}

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;  // lone surrogate
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x110000) {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->append("\xef\xbf\xbd");  // U+FFFD
  }
}

constexpr size_t kInlineStringBytes = 64;  // read with the header: most names fit
constexpr int64_t kMaxDictEntries = 1 << 16;

}  // namespace

std::string PyFrame::Describe() const {
  if (!readable) return absl::StrCat("<unreadable frame at ", Hex(address), ">: ", error);
  return absl::StrCat(filename, ":", line ? absl::StrCat(*line) : "?", " in ", Function());
}

PyFrame PyFrame::Unreadable(uint64_t address, std::string why) {
  PyFrame frame;
  frame.address = address;
  frame.readable = false;
  frame.error = std::move(why);
  return frame;
}

FrameDecoder::FrameDecoder(const CPythonLayout& layout, MemoryReader* reader)
    : layout_(layout), model_(MakeFrameModel(layout)), reader_(reader) {}

bool FrameDecoder::Read(uint64_t address, void* out, size_t len) {
  ++reads_;
  if (address == 0 || address + len < address) return false;
  return reader_->Read(address, out, len);
}

bool FrameDecoder::ReadU64(uint64_t address, uint64_t* out) { return Read(address, out, 8); }

absl::StatusOr<std::vector<ThreadStateInfo>> FrameDecoder::ThreadStates(uint64_t interp) {
  uint64_t tstate = 0;
  if (!ReadU64(interp + layout_.interp_threads_head, &tstate)) {
    return absl::DataLossError(absl::StrCat("cannot read the interpreter state at ", Hex(interp),
                                            " (is the Python runtime initialised yet?)"));
  }
  const uint32_t header = std::max({layout_.tstate_next, layout_.tstate_thread_id,
                                    layout_.tstate_native_thread_id}) + 8;
  std::vector<ThreadStateInfo> states;
  absl::flat_hash_set<uint64_t> seen;
  std::string raw(header, '\0');
  while (tstate != 0 && states.size() < kMaxThreadStates && seen.insert(tstate).second) {
    if (!Read(tstate, raw.data(), raw.size())) break;
    ThreadStateInfo info;
    info.address = tstate;
    info.thread_id = U64At(raw, layout_.tstate_thread_id);
    info.native_thread_id = static_cast<int64_t>(U64At(raw, layout_.tstate_native_thread_id));
    bool ok = false;
    info.current_frame = model_->CurrentFrame(tstate, *reader_, &ok);
    states.push_back(info);
    tstate = U64At(raw, layout_.tstate_next);
  }
  return states;
}

absl::StatusOr<ThreadStateInfo> FrameDecoder::ThreadStateFor(uint64_t interp, int64_t tid) {
  ASSIGN_OR_RETURN(std::vector<ThreadStateInfo> states, ThreadStates(interp));
  const ThreadStateInfo* found = nullptr;
  for (const ThreadStateInfo& s : states) {
    if (s.native_thread_id != tid) continue;
    if (found == nullptr || (found->current_frame == 0 && s.current_frame != 0)) found = &s;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "thread ", tid, " has no Python thread state (of ", states.size(),
        " in the interpreter): it is not a Python thread, or it has not started or has finished"));
  }
  return *found;
}

absl::StatusOr<std::vector<PyFrame>> FrameDecoder::Stack(uint64_t tstate) {
  bool ok = false;
  uint64_t frame = model_->CurrentFrame(tstate, *reader_, &ok);
  if (!ok) {
    return absl::DataLossError(absl::StrCat("cannot read the thread state at ", Hex(tstate)));
  }
  return StackFromFrame(frame);
}

std::vector<PyFrame> FrameDecoder::StackFromFrame(uint64_t frame) {
  std::vector<PyFrame> stack;
  absl::flat_hash_set<uint64_t> seen;
  std::string raw(layout_.frame_localsplus + 8, '\0');
  for (int depth = 0; frame != 0 && depth < kMaxFrames; ++depth) {
    if (!seen.insert(frame).second) {
      stack.push_back(PyFrame::Unreadable(frame, "the frame chain loops back here"));
      return stack;
    }
    if (!Read(frame, raw.data(), raw.size())) {
      stack.push_back(PyFrame::Unreadable(frame, "memory not readable"));
      return stack;
    }
    uint64_t previous = U64At(raw, layout_.frame_previous);
    const uint8_t owner = U8At(raw, layout_.frame_owner);
    if (owner >= kFrameOwnedByCStack) {  // a C entry frame (3.14: or the interpreter's own)
      frame = previous;
      continue;
    }
    PyFrame decoded = DecodeFrame(frame, raw);
    if (decoded.readable) {
      const CodeInfo& code = code_cache_.at(decoded.code);
      // Not started yet (before RESUME): CPython's own walkers skip these "incomplete" frames.
      if (decoded.lasti < code.first_traceable && owner != kFrameOwnedByGenerator) {
        frame = previous;
        continue;
      }
    }
    stack.push_back(std::move(decoded));
    frame = previous;
  }
  if (frame != 0) {
    stack.push_back(PyFrame::Unreadable(
        frame, absl::StrCat("stack deeper than ", kMaxFrames, " frames; stopped here")));
  }
  return stack;
}

absl::StatusOr<FrameState> FrameDecoder::State(uint64_t frame) {
  std::string raw(layout_.frame_localsplus, '\0');
  if (frame == 0 || !Read(frame, raw.data(), raw.size())) {
    return absl::DataLossError(absl::StrCat("frame ", Hex(frame), " is not readable"));
  }
  PyFrame decoded = DecodeFrame(frame, raw);
  if (!decoded.readable) return absl::DataLossError(decoded.error);
  FrameState out;
  out.address = frame;
  out.code = decoded.code;
  out.previous = U64At(raw, layout_.frame_previous);
  out.lasti = decoded.lasti;
  out.line = decoded.line;
  out.first_traceable = code_cache_.at(decoded.code).first_traceable;
  out.filename = decoded.filename;
  out.qualname = decoded.Function();
  if (out.lasti >= 0) {
    uint8_t word[2] = {0, 0};
    if (Read(U64At(raw, layout_.frame_prev_instr), word, 2)) out.opcode = word[0];
  }
  return out;
}

std::optional<int> FrameDecoder::LineOf(uint64_t code, int lasti) {
  absl::StatusOr<const CodeInfo*> info = Code(code);
  if (!info.ok() || !(*info)->lines) return std::nullopt;
  return (*info)->lines->LineAt(lasti);
}

PyFrame FrameDecoder::DecodeFrame(uint64_t frame, const std::string& raw) {
  PyFrame out;
  out.address = frame;
  out.code = model_->CodeOf(raw);
  out.first_local = U64At(raw, layout_.frame_localsplus);
  if (MinorVersion(layout_.python_version) >= 14) out.first_local &= ~uint64_t{7};  // a stackref
  absl::StatusOr<const CodeInfo*> code = Code(out.code);
  if (!code.ok()) {
    out.readable = false;
    out.error = std::string(code.status().message());
    return out;
  }
  const CodeInfo& info = **code;
  out.filename = info.filename;
  out.name = info.name;
  out.qualname = info.qualname;
  out.first_line = info.first_line;
  const uint64_t base = model_->BytecodeBase(raw, out.code, *reader_);
  int64_t delta = static_cast<int64_t>(U64At(raw, layout_.frame_prev_instr)) -
                  static_cast<int64_t>(base);
  // The pointer is 2-byte aligned inside the code; a fresh 3.11 frame points one unit before it.
  if (base == 0 || delta < 2 * model_->FreshLasti() || delta > (int64_t{1} << 32)) {
    out.readable = false;
    out.error = absl::StrCat("prev_instr ", Hex(U64At(raw, layout_.frame_prev_instr)),
                             " is outside code object ", Hex(out.code));
    return out;
  }
  out.lasti = static_cast<int>(delta / 2);
  if (info.lines) out.line = info.lines->LineAt(out.lasti);
  return out;
}

absl::StatusOr<const FrameDecoder::CodeInfo*> FrameDecoder::Code(uint64_t code) {
  std::string header(layout_.code_code_adaptive, '\0');
  if (!Read(code, header.data(), header.size())) {
    return absl::DataLossError(absl::StrCat("code object ", Hex(code), " is not readable"));
  }
  if (layout_.code_type != 0 && U64At(header, layout_.object_type) != layout_.code_type) {
    return absl::DataLossError(absl::StrCat("f_code ", Hex(code), " is not a code object"));
  }
  // The identity of a code object: the fields that never change while it lives. (Others, like
  // co_warmup, change as it runs.) A reused address with other contents is decoded afresh.
  std::string key;
  for (uint32_t offset : {layout_.code_filename, layout_.code_name, layout_.code_qualname,
                          layout_.code_linetable}) {
    key.append(header, std::min<size_t>(offset, header.size()), 8);
  }
  key.append(header, std::min<size_t>(layout_.code_firstlineno, header.size()), 4);
  auto it = code_cache_.find(code);
  if (it != code_cache_.end() && it->second.header == key) return &it->second;

  CodeInfo info;
  info.header = key;
  info.first_line = static_cast<int>(U32At(header, layout_.code_firstlineno));
  info.first_traceable = static_cast<int>(U32At(header, layout_.code_firsttraceable));
  ASSIGN_OR_RETURN(info.filename, ReadString(U64At(header, layout_.code_filename)));
  ASSIGN_OR_RETURN(info.name, ReadString(U64At(header, layout_.code_name)));
  absl::StatusOr<std::string> qualname = ReadString(U64At(header, layout_.code_qualname));
  info.qualname = qualname.ok() ? *qualname : info.name;

  uint64_t table = U64At(header, layout_.code_linetable);
  std::string bytes_header(layout_.bytes_sval, '\0');
  if (Read(table, bytes_header.data(), bytes_header.size()) &&
      (layout_.bytes_type == 0 || U64At(bytes_header, layout_.object_type) == layout_.bytes_type)) {
    int64_t size = static_cast<int64_t>(U64At(bytes_header, layout_.var_size));
    if (size >= 0 && static_cast<uint64_t>(size) <= kMaxLineTableBytes) {
      std::string data(static_cast<size_t>(size), '\0');
      if (size == 0 || Read(table + layout_.bytes_sval, data.data(), data.size())) {
        absl::StatusOr<LineTable> lines = LineTable::Decode(data, info.first_line);
        if (lines.ok()) info.lines = std::make_shared<const LineTable>(*std::move(lines));
      }
    }
  }
  auto [slot, inserted] = code_cache_.insert_or_assign(code, std::move(info));
  return &slot->second;
}

absl::StatusOr<std::string> FrameDecoder::ReadString(uint64_t object, size_t max_chars) {
  std::string raw(layout_.ascii_object_size + kInlineStringBytes, '\0');
  bool have_inline = Read(object, raw.data(), raw.size());
  if (!have_inline) {
    raw.resize(layout_.compact_object_size);
    if (!Read(object, raw.data(), raw.size())) {
      raw.resize(layout_.ascii_object_size);
      if (!Read(object, raw.data(), raw.size())) {
        return absl::DataLossError(absl::StrCat("str object ", Hex(object), " is not readable"));
      }
    }
  }
  if (layout_.unicode_type != 0 && U64At(raw, layout_.object_type) != layout_.unicode_type) {
    return absl::DataLossError(absl::StrCat("object ", Hex(object), " is not a str"));
  }
  int64_t length = static_cast<int64_t>(U64At(raw, layout_.unicode_length));
  uint32_t state = U32At(raw, layout_.unicode_state);
  uint32_t kind = (state >> layout_.unicode_kind_shift) & 7;
  bool compact = (state >> layout_.unicode_compact_bit) & 1;
  bool ascii = (state >> layout_.unicode_ascii_bit) & 1;
  if (length < 0 || (kind != 1 && kind != 2 && kind != 4)) {
    return absl::DataLossError(absl::StrCat("str object ", Hex(object), " has a bad header"));
  }
  size_t count = std::min<size_t>(static_cast<size_t>(length), max_chars);
  uint64_t data_at;
  if (compact && ascii) {
    data_at = object + layout_.ascii_object_size;
  } else if (compact) {
    data_at = object + layout_.compact_object_size;
  } else {
    if (!ReadU64(object + layout_.unicode_data, &data_at)) {
      return absl::DataLossError(absl::StrCat("str object ", Hex(object), " data unreadable"));
    }
  }
  std::string data(count * kind, '\0');
  uint64_t inline_start = object + layout_.ascii_object_size;
  if (have_inline && data_at >= inline_start &&
      data_at + data.size() <= inline_start + kInlineStringBytes) {
    memcpy(data.data(), raw.data() + (data_at - object), data.size());
  } else if (!data.empty() && !Read(data_at, data.data(), data.size())) {
    return absl::DataLossError(absl::StrCat("str object ", Hex(object), " data unreadable"));
  }
  std::string out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    uint32_t cp = 0;
    if (kind == 1) {
      cp = static_cast<uint8_t>(data[i]);
    } else if (kind == 2) {
      uint16_t u;
      memcpy(&u, data.data() + 2 * i, 2);
      cp = u;
    } else {
      memcpy(&cp, data.data() + 4 * i, 4);
    }
    AppendUtf8(&out, cp);
  }
  if (count < static_cast<size_t>(length)) out.append("...");
  return out;
}

absl::StatusOr<int64_t> FrameDecoder::KeysLookup(uint64_t keys, const std::string& key,
                                                 bool* unicode_kind, uint64_t* entries,
                                                 uint64_t* value_out) {
  std::string header(layout_.keys_indices, '\0');
  if (!Read(keys, header.data(), header.size())) {
    return absl::DataLossError(absl::StrCat("dict keys at ", Hex(keys), " not readable"));
  }
  uint8_t log2_index_bytes = U8At(header, layout_.keys_log2_index_bytes);
  uint8_t kind = U8At(header, layout_.keys_kind);
  int64_t nentries = static_cast<int64_t>(U64At(header, layout_.keys_nentries));
  if (log2_index_bytes > 40 || kind > 2 || nentries < 0 || nentries > kMaxDictEntries) {
    return absl::DataLossError(absl::StrCat("dict keys at ", Hex(keys), " look corrupt"));
  }
  *unicode_kind = kind != 0;
  const size_t entry_size = kind != 0 ? 16 : 24;
  const uint32_t key_at = kind != 0 ? 0 : 8;
  *entries = keys + layout_.keys_indices + (uint64_t{1} << log2_index_bytes);
  std::string table(static_cast<size_t>(nentries) * entry_size, '\0');
  if (!table.empty() && !Read(*entries, table.data(), table.size())) {
    return absl::DataLossError(absl::StrCat("dict entries at ", Hex(*entries), " not readable"));
  }
  for (int64_t i = 0; i < nentries; ++i) {
    uint64_t k = U64At(table, static_cast<uint32_t>(i * entry_size + key_at));
    if (k == 0) continue;
    absl::StatusOr<std::string> text = ReadString(k, key.size() + 1);
    if (text.ok() && *text == key) {
      *value_out = U64At(table, static_cast<uint32_t>(i * entry_size + key_at + 8));
      return i;
    }
  }
  return absl::NotFoundError(absl::StrCat("no key '", key, "'"));
}

absl::StatusOr<uint64_t> FrameDecoder::DictItem(uint64_t dict, const std::string& key) {
  uint64_t keys = 0, values = 0;
  if (!ReadU64(dict + layout_.dict_keys, &keys) || !ReadU64(dict + layout_.dict_values, &values)) {
    return absl::DataLossError(absl::StrCat("dict at ", Hex(dict), " not readable"));
  }
  bool unicode_kind = false;
  uint64_t entries = 0, value = 0;
  ASSIGN_OR_RETURN(int64_t ix, KeysLookup(keys, key, &unicode_kind, &entries, &value));
  if (values != 0) {  // split table: the values live apart, indexed like the entries
    if (!ReadU64(values + 8 * static_cast<uint64_t>(ix), &value)) {
      return absl::DataLossError(absl::StrCat("dict values at ", Hex(values), " not readable"));
    }
  }
  if (value == 0) return absl::NotFoundError(absl::StrCat("no key '", key, "'"));
  return value;
}

absl::StatusOr<uint64_t> FrameDecoder::ValuesAttribute(uint64_t type, uint64_t values,
                                                       const std::string& name) {
  uint64_t keys = 0;
  if (!ReadU64(type + layout_.heaptype_cached_keys, &keys) || keys == 0) {
    return absl::DataLossError(absl::StrCat("type ", Hex(type), " has no cached keys"));
  }
  bool unicode_kind = false;
  uint64_t entries = 0, unused = 0, value = 0;
  ASSIGN_OR_RETURN(int64_t ix, KeysLookup(keys, name, &unicode_kind, &entries, &unused));
  if (!ReadU64(values + 8 * static_cast<uint64_t>(ix), &value)) {
    return absl::DataLossError(absl::StrCat("instance values at ", Hex(values), " not readable"));
  }
  if (value == 0) return absl::NotFoundError(absl::StrCat("object has no attribute ", name));
  return value;
}

absl::StatusOr<uint64_t> FrameDecoder::InstanceAttribute(uint64_t object,
                                                         const std::string& name) {
  uint64_t type = 0, flags = 0;
  if (!ReadU64(object + layout_.object_type, &type) || !ReadU64(type + layout_.type_flags, &flags)) {
    return absl::DataLossError(absl::StrCat("object ", Hex(object), " not readable"));
  }
  if (!(flags & kManagedDictFlag)) {
    return absl::UnimplementedError(
        absl::StrCat("object ", Hex(object), "'s type keeps no managed instance dict"));
  }
  // Before the object: 3.11/3.12 [values, dict] at -32, -24; 3.13+ the dict (a
  // PyManagedDictPointer) at -24 (MANAGED_DICT_OFFSET, Include/internal/pycore_object.h).
  uint64_t pre[2] = {0, 0};
  if (!Read(object - 32, pre, sizeof(pre))) {
    return absl::DataLossError(absl::StrCat("object ", Hex(object), "'s dict not readable"));
  }
  if (pre[1] != 0) return DictItem(pre[1], name);
  if (MinorVersion(layout_.python_version) <= 12) {
    if (pre[0] == 0) return absl::NotFoundError(absl::StrCat("object has no attribute ", name));
    return ValuesAttribute(type, pre[0], name);
  }
  if (!(flags & kInlineValuesFlag)) {
    return absl::NotFoundError(absl::StrCat("object has no dict, so no attribute ", name));
  }
  // 3.13+: PyDictValues inline at tp_basicsize: {u8 capacity, size, embedded, valid; ...;
  // PyObject *values[] at 8} (Include/internal/pycore_dict.h at v3.13.5).
  uint64_t basicsize = 0;
  uint8_t head[4] = {0, 0, 0, 0};
  if (!ReadU64(type + layout_.type_basicsize, &basicsize) || basicsize == 0 ||
      basicsize > 4096 || !Read(object + basicsize, head, sizeof(head))) {
    return absl::DataLossError(absl::StrCat("object ", Hex(object), "'s values not readable"));
  }
  if (head[3] == 0) {  // not valid: the values moved into a dict, which is gone again
    return absl::NotFoundError(absl::StrCat("object has no attribute ", name));
  }
  return ValuesAttribute(type, object + basicsize + 8, name);
}

absl::StatusOr<std::string> FrameDecoder::ThreadName(const std::vector<PyFrame>& stack) {
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if (!it->readable || it->first_local == 0) continue;
    if ((it->name == "_bootstrap" || it->name == "_bootstrap_inner") &&
        absl::EndsWith(it->filename, "threading.py")) {
      ASSIGN_OR_RETURN(uint64_t name, InstanceAttribute(it->first_local, "_name"));
      return ReadString(name, 256);
    }
  }
  return absl::NotFoundError("no threading.Thread._bootstrap frame at the bottom of the stack");
}

absl::StatusOr<std::string> FrameDecoder::StartingThreadName(const std::vector<PyFrame>& stack) {
  for (const PyFrame& f : stack) {
    if (f.readable && f.first_local != 0 && f.name == "start" &&
        absl::EndsWith(f.filename, "threading.py")) {
      ASSIGN_OR_RETURN(uint64_t name, InstanceAttribute(f.first_local, "_name"));
      return ReadString(name, 256);
    }
  }
  return absl::NotFoundError("no threading.Thread.start frame in the stack");
}

}  // namespace pyreplay
