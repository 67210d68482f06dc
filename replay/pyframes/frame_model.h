// frame_model.h: how one CPython version links a thread to its frames and a frame to its code.
//
// The decoder (frame_decoder.h) asks these questions only through this interface, so what moved
// between versions lives here and nowhere else (docs/CPYTHON.md, "Frames by version"):
//   - 3.11, 3.12: `tstate->cframe->current_frame`; `f_code`; `prev_instr` points at the
//     instruction executing (a fresh frame: one unit before the code, lasti -1);
//   - 3.13: `tstate->current_frame`; `f_executable` (a PyObject*, checked to be a code object);
//     `instr_ptr` points at the instruction executing (a fresh frame: at the first, lasti 0);
//   - 3.14: as 3.13, but `f_executable` is a `_PyStackRef` whose low bits are tags; the
//     free-threaded build counts `instr_ptr` in a thread-local copy of the bytecode
//     (`co_tlbc->entries[frame->tlbc_index]`).
//
//   std::unique_ptr<FrameModel> model = MakeFrameModel(layout);
//   uint64_t frame = model->CurrentFrame(tstate, reader);
#ifndef PYREPLAY_REPLAY_PYFRAMES_FRAME_MODEL_H_
#define PYREPLAY_REPLAY_PYFRAMES_FRAME_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/memory_reader.h"

namespace pyreplay {

class FrameModel {
 public:
  virtual ~FrameModel() = default;

  // Name is "3.11" ... for messages and tests.
  virtual std::string Name() const = 0;

  // CurrentFrame is the thread's innermost _PyInterpreterFrame*, 0 when it has none or when the
  // thread state cannot be read (`ok` then false).
  virtual uint64_t CurrentFrame(uint64_t tstate, MemoryReader& reader, bool* ok) const = 0;

  // CodeOf is the code object a frame runs, from the frame's bytes (tag bits removed).
  virtual uint64_t CodeOf(const std::string& frame) const = 0;

  // BytecodeBase is the address code units are counted from for this frame (co_code_adaptive,
  // or the thread's copy of it); 0 when unreadable.
  virtual uint64_t BytecodeBase(const std::string& frame, uint64_t code,
                                MemoryReader& reader) const = 0;

  // FreshLasti is the lasti of a frame that has not executed anything yet.
  virtual int FreshLasti() const = 0;

  // ThreadWatches are the addresses a stepper watches on thread state `tstate` to see calls and
  // returns (with `cframe`, the thread's current _PyCFrame, where there is one).
  virtual std::vector<uint64_t> ThreadWatches(uint64_t tstate, uint64_t cframe) const = 0;
};

// MakeFrameModel picks the model for layout.python_version (layout.Validate() passed).
std::unique_ptr<FrameModel> MakeFrameModel(const CPythonLayout& layout);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_FRAME_MODEL_H_
