#include "replay/stepping/line_events.h"

namespace pyreplay {

LineOpcodes OpcodesFor(int minor) {
  if (minor == 13) return {.resume = 149, .send = 104};
  if (minor == 14) return {.resume = 128, .send = 106};
  return {};
}

bool IsLineEvent(const LineStep& step) {
  if (step.lasti <= step.first_traceable) return false;  // the prologue, RESUME included
  if (step.opcode == step.opcodes.resume) return false;        // traced as a call, never as a line
  if (!step.line) return false;
  // ceval.c: `lastline = instr_prev <= _co_firsttraceable ? -1 : line of instr_prev`.
  std::optional<int> last_line =
      step.prev_lasti <= step.first_traceable ? std::nullopt : step.prev_line;
  if (step.line != last_line) return true;
  return step.lasti < step.prev_lasti && step.opcode != step.opcodes.send;
}

}  // namespace pyreplay
