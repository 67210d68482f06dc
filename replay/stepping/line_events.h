// line_events.h: when CPython 3.11 reports a "line" event, as `sys.settrace` sees it.
//
// The stepper watches one frame's `prev_instr` and sees every instruction that frame executes.
// Whether an instruction starts a new "line" is decided exactly as `maybe_call_line_trace` in
// 3.11's Python/ceval.c decides it, so `pyr step` stops where a settrace line trace would:
//   - instructions up to and including RESUME (lasti <= _co_firsttraceable) never count, nor do
//     RESUME instructions (generator resumption), nor instructions without a line;
//   - otherwise an instruction counts when its line differs from the previous instruction's
//     (a previous instruction at or before RESUME has "no line"), or when it jumps backward,
//     except the backward jump to SEND of `yield from`/`await`.
//
//   LineStep s{.prev_lasti = 4, .lasti = 6, .prev_line = 10, .line = 11,
//              .first_traceable = 0, .opcode = kOpcodeLoadFast};
//   IsLineEvent(s);  // true
#ifndef PYREPLAY_REPLAY_STEPPING_LINE_EVENTS_H_
#define PYREPLAY_REPLAY_STEPPING_LINE_EVENTS_H_

#include <cstdint>
#include <optional>

namespace pyreplay {

// CPython 3.11's opcode numbers the rule needs (Include/opcode.h at v3.11.2), after
// de-specialisation (`_PyOpcode_Deopt`): RESUME_QUICK counts as RESUME.
inline constexpr uint8_t kOpcodeSend = 123;
inline constexpr uint8_t kOpcodeResume = 151;

// LineOpcodes are the numbers of RESUME and SEND in one CPython version (Include/opcode.h for
// 3.11, Include/opcode_ids.h for 3.13: 149, 104; 3.14: 128, 106; docs/CPYTHON.md).
struct LineOpcodes {
  uint8_t resume = kOpcodeResume;
  uint8_t send = kOpcodeSend;
};
// OpcodesFor is the numbering of CPython 3.`minor` (3.11's for a version it does not know).
LineOpcodes OpcodesFor(int minor);

// LineStep is one executed instruction of one frame: where the frame was before, where it is.
struct LineStep {
  int prev_lasti = -1;              // the frame's previous instruction (code units; -1: none)
  int lasti = -1;                   // the instruction it executes now
  std::optional<int> prev_line;     // the line of prev_lasti
  std::optional<int> line;          // the line of lasti
  int first_traceable = 0;          // the code object's _co_firsttraceable (RESUME's index)
  uint8_t opcode = 0;               // the de-specialised opcode at lasti
  LineOpcodes opcodes;              // the recorded version's RESUME and SEND
};

// IsLineEvent says whether this instruction starts a "line" event.
bool IsLineEvent(const LineStep& step);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_STEPPING_LINE_EVENTS_H_
