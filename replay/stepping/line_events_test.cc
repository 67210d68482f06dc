#include "replay/stepping/line_events.h"

#include <gtest/gtest.h>

namespace pyreplay {
namespace {

LineStep Step(int prev_lasti, int lasti, std::optional<int> prev_line, std::optional<int> line,
              uint8_t opcode = 100) {
  return LineStep{.prev_lasti = prev_lasti, .lasti = lasti, .prev_line = prev_line,
                  .line = line, .first_traceable = 2, .opcode = opcode};
}

TEST(LineEventsTest, NewLineCounts) {
  EXPECT_TRUE(IsLineEvent(Step(5, 6, 10, 11)));
  EXPECT_FALSE(IsLineEvent(Step(5, 6, 11, 11)));
}

TEST(LineEventsTest, FirstInstructionAfterResumeCounts) {
  // instr_prev is RESUME itself (== first_traceable): "no previous line", even on the same line.
  EXPECT_TRUE(IsLineEvent(Step(2, 3, 10, 10)));
}

TEST(LineEventsTest, PrologueAndResumeNeverCount) {
  EXPECT_FALSE(IsLineEvent(Step(-1, 2, std::nullopt, 10)));          // RESUME at first_traceable
  EXPECT_FALSE(IsLineEvent(Step(-1, 1, std::nullopt, 10)));          // COPY_FREE_VARS etc.
  EXPECT_FALSE(IsLineEvent(Step(20, 21, 12, 13, kOpcodeResume)));    // a generator resuming
}

TEST(LineEventsTest, NoLineNeverCounts) {
  EXPECT_FALSE(IsLineEvent(Step(5, 6, 10, std::nullopt)));
}

TEST(LineEventsTest, BackwardJumpCountsOnTheSameLine) {
  EXPECT_TRUE(IsLineEvent(Step(30, 8, 10, 10)));     // a one-line loop
  EXPECT_FALSE(IsLineEvent(Step(30, 8, 10, 10, kOpcodeSend)));  // await/yield from re-sending
  EXPECT_TRUE(IsLineEvent(Step(30, 8, 12, 10, kOpcodeSend)));   // a changed line still counts
}

TEST(LineEventsTest, ResumeAndSendAreTheRecordedVersionsNumbers) {
  // 3.14 numbers RESUME 128 (Include/opcode_ids.h): its RESUME never counts, 3.11's 151 does.
  LineStep step{.prev_lasti = 20, .lasti = 21, .prev_line = 12, .line = 13,
                .first_traceable = 0, .opcode = 128, .opcodes = OpcodesFor(14)};
  EXPECT_FALSE(IsLineEvent(step));
  step.opcode = 151;
  EXPECT_TRUE(IsLineEvent(step));
  EXPECT_EQ(OpcodesFor(13).resume, 149);
  EXPECT_EQ(OpcodesFor(13).send, 104);
  EXPECT_EQ(OpcodesFor(11).resume, kOpcodeResume);
}

}  // namespace
}  // namespace pyreplay
