#include "replay/rsp/gdb_remote.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(StopReplyTest, BreakpointStopNamesProcessAndThread) {
  absl::StatusOr<StopReply> stop = ParseStopReply("T05thread:p31d7.31d8;06:0000000000000000;");
  ASSERT_TRUE(stop.ok()) << stop.status();
  EXPECT_EQ(stop->kind, StopReply::kSignal);
  EXPECT_EQ(stop->signal, 5);
  EXPECT_EQ(stop->pid, 0x31d7);
  EXPECT_EQ(stop->tid, 0x31d8);
}

TEST(StopReplyTest, ExitAndKill) {
  absl::StatusOr<StopReply> exited = ParseStopReply("W2a");
  ASSERT_TRUE(exited.ok());
  EXPECT_EQ(exited->kind, StopReply::kExited);
  EXPECT_EQ(exited->exit_code, 42);
  absl::StatusOr<StopReply> killed = ParseStopReply("X09");
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->kind, StopReply::kKilled);
  EXPECT_EQ(killed->signal, 9);
}

TEST(StopReplyTest, MalformedRepliesAreErrorsNotCrashes) {
  for (const char* bad : {"", "T", "Tzz", "Q05", "T05thread:pzz.1;", "T05thread:p1.;"}) {
    EXPECT_FALSE(ParseStopReply(bad).ok()) << bad;
  }
}

TEST(RunLengthTest, ExpandsRepeats) {
  EXPECT_EQ(DecodeRunLength("0* "), "0000");  // ' ' is 32: three more
  EXPECT_EQ(DecodeRunLength("ab"), "ab");
  EXPECT_EQ(DecodeRunLength("*"), "*");  // nothing to repeat: kept as is
}

}  // namespace
}  // namespace pyreplay
