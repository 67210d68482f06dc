#include "replay/pyvalues/frame_values.h"

#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"

namespace pyreplay {
namespace {

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

}  // namespace

FrameValues::FrameValues(ObjectReader* objects) : objects_(objects) {}

absl::StatusOr<uint64_t> FrameValues::Globals(uint64_t frame) {
  uint64_t word = 0;
  if (!objects_->ReadU64(frame + objects_->layout().frame_globals, &word) || word == 0) {
    return absl::DataLossError(absl::StrCat("the globals of frame ", Hex(frame),
                                            " are not readable"));
  }
  return word;
}

absl::StatusOr<std::vector<LocalSlot>> FrameValues::Locals(uint64_t frame) {
  const CPythonLayout& layout = objects_->layout();
  const StackRefFormat& refs = *objects_->formats().stack_ref;
  uint64_t code_word = 0;
  if (!objects_->ReadU64(frame + layout.frame_code, &code_word)) {
    return absl::DataLossError(absl::StrCat("frame ", Hex(frame), " is not readable"));
  }
  uint64_t code = refs.Object(code_word);
  int32_t nlocalsplus = 0;
  uint64_t names = 0, kinds = 0;
  if (!objects_->memory()->Read(code + layout.code_nlocalsplus, &nlocalsplus, 4) ||
      !objects_->ReadU64(code + layout.code_localsplusnames, &names) ||
      !objects_->ReadU64(code + layout.code_localspluskinds, &kinds)) {
    return absl::DataLossError(absl::StrCat("the code object ", Hex(code), " of frame ",
                                            Hex(frame), " is not readable"));
  }
  if (nlocalsplus < 0 || nlocalsplus > kMaxLocals) {
    return absl::DataLossError(absl::StrCat("code object ", Hex(code), " claims ", nlocalsplus,
                                            " locals"));
  }
  ASSIGN_OR_RETURN(Items name_items,
                   objects_->SequenceItems(names, ObjectKind::kTuple, kMaxLocals));
  ASSIGN_OR_RETURN(auto kind_bytes, objects_->ReadBytes(kinds, kMaxLocals));
  if (name_items.total != nlocalsplus || kind_bytes.second != nlocalsplus) {
    return absl::DataLossError(absl::StrCat("code object ", Hex(code), ": ", nlocalsplus,
                                            " locals but ", name_items.total, " names and ",
                                            kind_bytes.second, " kinds"));
  }
  std::vector<uint64_t> slots(static_cast<size_t>(nlocalsplus));
  if (!slots.empty() && !objects_->memory()->Read(frame + layout.frame_localsplus, slots.data(),
                                                  8 * slots.size())) {
    return absl::DataLossError(absl::StrCat("the locals of frame ", Hex(frame),
                                            " are not readable"));
  }
  std::vector<LocalSlot> out;
  for (int i = 0; i < nlocalsplus; ++i) {
    LocalSlot slot;
    slot.kind = static_cast<uint8_t>(kind_bytes.first[i]);
    absl::StatusOr<std::string> name = objects_->ReadStrUtf8(name_items.objects[i], 1024);
    slot.name = name.ok() ? *name : absl::StrCat("<local ", i, ">");
    slot.object = refs.Object(slots[i]);
    if ((slot.kind & (kFastCell | kFastFree)) && slot.object != 0) {
      // Before MAKE_CELL runs, a cell variable's slot holds the plain argument, not a cell.
      absl::StatusOr<const TypeInfo*> type = objects_->TypeOf(slot.object);
      if (type.ok() && (*type)->kind == ObjectKind::kCell) {
        slot.cell = slot.object;
        absl::StatusOr<uint64_t> contents = objects_->CellContents(slot.cell);
        slot.object = contents.ok() ? *contents : 0;
      }
    }
    if ((slot.kind & kFastHidden) && !slot.bound()) continue;
    out.push_back(std::move(slot));
  }
  return out;
}

}  // namespace pyreplay
