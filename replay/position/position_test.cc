#include "replay/position/position.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(PositionTest, FormatsForPeople) {
  ExactPosition p{.event = 1374, .tid = 15851, .pc = 0x70000000};
  EXPECT_EQ(FormatPosition(p), "event 1374, ticks 0, tid 15851, pc 0x70000000");
}

TEST(PositionTest, ParsesAbsoluteAndRelativeTargets) {
  EXPECT_EQ(*ParseEventTarget("1009", 5), 1009u);
  EXPECT_EQ(*ParseEventTarget("+3", 5), 8u);
  EXPECT_EQ(*ParseEventTarget("-3", 5), 2u);
  EXPECT_EQ(ParseEventTarget("-5", 5).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ParseEventTarget("abc", 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEventTarget("", 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseEventTarget("+", 5).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pyreplay
