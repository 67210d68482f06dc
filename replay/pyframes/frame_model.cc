#include "replay/pyframes/frame_model.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

uint64_t U64At(const std::string& raw, uint32_t offset) {
  uint64_t v = 0;
  if (offset + 8 <= raw.size()) memcpy(&v, raw.data() + offset, 8);
  return v;
}

bool ReadU64(MemoryReader& reader, uint64_t address, uint64_t* out) {
  *out = 0;
  return address != 0 && reader.Read(address, out, 8);
}

// CFrameModel: 3.11 and 3.12 (Include/internal/pycore_frame.h, pycore_pystate.h at v3.11.2).
class CFrameModel : public FrameModel {
 public:
  explicit CFrameModel(const CPythonLayout& layout) : layout_(layout) {}
  std::string Name() const override {
    return absl::StrCat("3.", MinorVersion(layout_.python_version));
  }
  uint64_t CurrentFrame(uint64_t tstate, MemoryReader& reader, bool* ok) const override {
    uint64_t cframe = 0, frame = 0;
    *ok = ReadU64(reader, tstate + layout_.tstate_cframe, &cframe);
    if (*ok && cframe != 0) *ok = ReadU64(reader, cframe + layout_.cframe_current_frame, &frame);
    return frame;
  }
  uint64_t CodeOf(const std::string& frame) const override {
    return U64At(frame, layout_.frame_code);
  }
  uint64_t BytecodeBase(const std::string&, uint64_t code, MemoryReader&) const override {
    return code + layout_.code_code_adaptive;
  }
  int FreshLasti() const override { return -1; }  // prev_instr = first instruction - 1
  std::vector<uint64_t> ThreadWatches(uint64_t tstate, uint64_t cframe) const override {
    std::vector<uint64_t> out = {tstate + layout_.tstate_cframe};
    if (cframe != 0) out.push_back(cframe + layout_.cframe_current_frame);
    return out;
  }

 private:
  CPythonLayout layout_;
};

// DirectModel: 3.13 and later (the frame hangs off the thread state; `_PyCFrame` is gone).
// `tag_mask` clears _PyStackRef's tag bits (3.14, Include/internal/pycore_stackref.h); 3.13's
// f_executable is a plain PyObject*.
class DirectModel : public FrameModel {
 public:
  DirectModel(const CPythonLayout& layout, uint64_t tag_mask)
      : layout_(layout), tag_mask_(tag_mask) {}
  std::string Name() const override {
    return absl::StrCat("3.", MinorVersion(layout_.python_version),
                        layout_.free_threaded ? "t" : "");
  }
  uint64_t CurrentFrame(uint64_t tstate, MemoryReader& reader, bool* ok) const override {
    uint64_t frame = 0;
    *ok = ReadU64(reader, tstate + layout_.tstate_current_frame, &frame);
    return frame;
  }
  uint64_t CodeOf(const std::string& frame) const override {
    return U64At(frame, layout_.frame_code) & ~tag_mask_;
  }
  uint64_t BytecodeBase(const std::string& frame, uint64_t code,
                        MemoryReader& reader) const override {
    if (layout_.code_tlbc == 0 || layout_.frame_tlbc_index == 0) {
      return code + layout_.code_code_adaptive;
    }
    // Free-threaded 3.14: `_PyCodeArray *co_tlbc` = {Py_ssize_t size; char *entries[]}, and
    // entries[0] is co_code_adaptive itself (Include/cpython/code.h, Objects/codeobject.c).
    int32_t index = 0;
    memcpy(&index, frame.data() + layout_.frame_tlbc_index,
           layout_.frame_tlbc_index + 4 <= frame.size() ? 4 : 0);
    if (index == 0) return code + layout_.code_code_adaptive;
    uint64_t array = 0, size = 0, base = 0;
    if (index < 0 || !ReadU64(reader, code + layout_.code_tlbc, &array) ||
        !ReadU64(reader, array, &size) || static_cast<uint64_t>(index) >= size ||
        !ReadU64(reader, array + 8 + 8 * static_cast<uint64_t>(index), &base)) {
      return 0;
    }
    return base;
  }
  int FreshLasti() const override { return 0; }  // instr_ptr = the first instruction
  std::vector<uint64_t> ThreadWatches(uint64_t tstate, uint64_t) const override {
    return {tstate + layout_.tstate_current_frame};
  }

 private:
  CPythonLayout layout_;
  uint64_t tag_mask_;
};

}  // namespace

std::unique_ptr<FrameModel> MakeFrameModel(const CPythonLayout& layout) {
  const int minor = MinorVersion(layout.python_version);
  if (minor <= 12) return std::make_unique<CFrameModel>(layout);
  // 3.14+: _PyStackRef. The default build tags bit 0 (Py_TAG_REFCNT) and bit 1 (small ints,
  // never a code object); the free-threaded build tags bit 0 (Py_TAG_DEFERRED). Objects are
  // 8-aligned or more, so clearing the low 3 bits is right for both.
  return std::make_unique<DirectModel>(layout, minor >= 14 ? uint64_t{7} : uint64_t{0});
}

}  // namespace pyreplay
