// frame_values.h: the locals and globals of one Python frame (_PyInterpreterFrame).
//
// A frame's locals are `co_localsplusnames[i]` (a tuple of str) against `frame->localsplus[i]`,
// with `co_localspluskinds[i]` saying what each is. A cell or free variable's slot holds a
// PyCellObject once the frame has started (MAKE_CELL / COPY_FREE_VARS), so its value is the
// cell's contents. A NULL slot (or an empty cell) is an unbound local, not an error.
// Globals are the frame's f_globals dict.
//
//   FrameValues frame_values(&objects);
//   ASSIGN_OR_RETURN(std::vector<LocalSlot> locals, frame_values.Locals(frame));
#ifndef PYREPLAY_REPLAY_PYVALUES_FRAME_VALUES_H_
#define PYREPLAY_REPLAY_PYVALUES_FRAME_VALUES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/pyvalues/object_reader.h"

namespace pyreplay {

inline constexpr int kMaxLocals = 4096;

// co_localspluskinds bits (Include/internal/pycore_code.h, 3.11..3.14).
inline constexpr uint8_t kFastHidden = 0x10;  // 3.12+: an inlined comprehension's variable
inline constexpr uint8_t kFastLocal = 0x20;
inline constexpr uint8_t kFastCell = 0x40;
inline constexpr uint8_t kFastFree = 0x80;

// LocalSlot is one local of a frame.
struct LocalSlot {
  std::string name;
  uint8_t kind = 0;     // co_localspluskinds byte
  uint64_t object = 0;  // the value (a cell's contents); 0: unbound
  uint64_t cell = 0;    // the cell, for cell and free variables
  bool bound() const { return object != 0; }
};

class FrameValues {
 public:
  explicit FrameValues(ObjectReader* objects);

  // Locals lists every local, cell and free variable of `frame`, in co_localsplusnames order
  // (hidden ones only when bound). DataLoss when the frame or its code is unreadable.
  absl::StatusOr<std::vector<LocalSlot>> Locals(uint64_t frame);

  // Globals is the frame's globals dict (f_globals).
  absl::StatusOr<uint64_t> Globals(uint64_t frame);

 private:
  ObjectReader* objects_;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_FRAME_VALUES_H_
