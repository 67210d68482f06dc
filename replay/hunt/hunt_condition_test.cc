#include "replay/hunt/hunt_condition.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

ExitStatus Exit(int code) { return ExitStatus{code, 0}; }
ExitStatus Signal(int sig) { return ExitStatus{0, sig}; }

TEST(HuntConditionTest, DefaultIsNonZeroExitOrSignal) {
  absl::StatusOr<HuntCondition> c = ParseHuntCondition("");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->Matches(Exit(0), "boom"));
  EXPECT_TRUE(c->Matches(Exit(1), ""));
  EXPECT_TRUE(c->Matches(Signal(11), ""));
  EXPECT_FALSE(c->NeedsOutput());
}

TEST(HuntConditionTest, ExitComparisons) {
  absl::StatusOr<HuntCondition> ne = ParseHuntCondition("exit!=0");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->Matches(Exit(3), ""));
  EXPECT_FALSE(ne->Matches(Exit(0), ""));
  EXPECT_FALSE(ne->Matches(Signal(6), ""));  // a signal is not an exit code
  EXPECT_EQ(ne->text(), "exit!=0");
  absl::StatusOr<HuntCondition> eq = ParseHuntCondition(" exit == 3 ");
  ASSERT_TRUE(eq.ok());
  EXPECT_TRUE(eq->Matches(Exit(3), ""));
  EXPECT_FALSE(eq->Matches(Exit(1), ""));
}

TEST(HuntConditionTest, SignalOnly) {
  absl::StatusOr<HuntCondition> c = ParseHuntCondition("signal");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->Matches(Signal(6), ""));
  EXPECT_FALSE(c->Matches(Exit(1), ""));
}

TEST(HuntConditionTest, OutputRegex) {
  absl::StatusOr<HuntCondition> c = ParseHuntCondition("output~lost update: counter = \\d+");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->NeedsOutput());
  EXPECT_TRUE(c->Matches(Exit(0), "x\nrace: lost update: counter = 1, expected 2\n"));
  EXPECT_FALSE(c->Matches(Exit(1), "race: ok"));
}

TEST(HuntConditionTest, BadExpressionsAreUsageErrors) {
  for (const char* bad : {"exit", "exit>0", "exit!=x", "exit==300", "sigsegv", "output~",
                          "output~(unclosed", "output~[z-a]"}) {
    absl::StatusOr<HuntCondition> c = ParseHuntCondition(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find("--until"), absl::string_view::npos) << bad;
  }
}

}  // namespace
}  // namespace pyreplay
