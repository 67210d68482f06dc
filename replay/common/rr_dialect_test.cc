#include "replay/common/rr_dialect.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace pyreplay {
namespace {

// The texts below are what each release's src/GdbCommand.cc (5.6-5.8) or
// src/DebuggerExtensionCommand.cc (5.9, 5.10) returns, with the "\n" process_command adds.

TEST(RrReleaseTest, ParsesWhatEachReleasePrints) {
  // 5.6.0: "rr version %s\n"; 5.7.0 and later: "rr version %s %s\n" (EXTRA_VERSION_STRING).
  EXPECT_EQ(ParseRrRelease("rr version 5.6.0\n"), (RrRelease{5, 6, 0}));
  EXPECT_EQ(ParseRrRelease("rr version 5.9.0 \n"), (RrRelease{5, 9, 0}));
  EXPECT_EQ(ParseRrRelease("rr version 5.10.0 debian\n"), (RrRelease{5, 10, 0}));
  EXPECT_EQ(ParseRrRelease("5.6.0-1"), (RrRelease{5, 6, 0}));  // a Debian package version
  EXPECT_EQ(ParseRrRelease("5.8"), (RrRelease{5, 8, 0}));
  for (const char* bad : {"", "rr version", "five", "5", "5.x.0", "1.2.3.4"}) {
    EXPECT_EQ(ParseRrRelease(bad), std::nullopt) << bad;
  }
}

TEST(RrReleaseTest, OrdersByNumberNotText) {
  EXPECT_TRUE((RrRelease{5, 9, 0}) < (RrRelease{5, 10, 0}));
  EXPECT_FALSE((RrRelease{5, 10, 0}) < (RrRelease{5, 9, 0}));
  EXPECT_EQ((RrRelease{5, 10, 0}).ToString(), "5.10.0");
}

TEST(RrReleaseTest, TableCoversFiveSixToFiveTen) {
  for (int minor = 6; minor <= 10; ++minor) {
    RrRelease release{5, minor, 0};
    EXPECT_TRUE(IsSupportedRr(release)) << release.ToString();
    EXPECT_EQ(TraceFormatOf(release), 85) << release.ToString();  // TRACE_VERSION, every tag
  }
  EXPECT_FALSE(IsSupportedRr(RrRelease{5, 5, 0}));
  EXPECT_FALSE(IsSupportedRr(RrRelease{5, 11, 0}));
  EXPECT_EQ(TraceFormatOf(RrRelease{6, 0, 0}), std::nullopt);
  EXPECT_EQ(SupportedRrRange(), "rr 5.6 to 5.10");
}

TEST(RrCommandTest, PacketFormatPerRelease) {
  // rr 5.6/5.7's gdb macros: "maint packet qRRCmd:" + gdb_escape(name) + ":" + escaped args.
  EXPECT_EQ(RrCommandFormatFor(RrRelease{5, 6, 0}), RrCommandFormat::kHexName);
  EXPECT_EQ(RrCommandFormatFor(RrRelease{5, 7, 0}), RrCommandFormat::kHexName);
  EXPECT_EQ(RrCommandPacket(RrCommandFormat::kHexName, "when"), "qRRCmd:7768656e");
  // rr 5.8+: "maint packet qRRCmd:%s:%d" % (name, tid), then ":" + escaped args.
  for (int minor : {8, 9, 10}) {
    EXPECT_EQ(RrCommandFormatFor(RrRelease{5, minor, 0}), RrCommandFormat::kNameAndTid);
  }
  EXPECT_EQ(RrCommandPacket(RrCommandFormat::kNameAndTid, "when", 4242), "qRRCmd:when:4242");
  EXPECT_EQ(RrCommandPacket(RrCommandFormat::kNameAndTid, "when"), "qRRCmd:when:-1");
  EXPECT_EQ(RrCommandPacket(RrCommandFormat::kNameAndTid, "checkpoint", 7, {"x"}),
            "qRRCmd:checkpoint:7:78");
  // Unknown: the newer format, which rr 5.6/5.7 answer with "Command '' not found.".
  EXPECT_EQ(RrCommandFormatFor(std::nullopt), RrCommandFormat::kNameAndTid);
  EXPECT_EQ(RrCommandFormatFor(RrRelease{5, 11, 0}), RrCommandFormat::kNameAndTid);
}

TEST(RrCommandTest, DecodesHexReplies) {
  absl::StatusOr<std::string> text =
      DecodeRrCommandReply(absl::BytesToHexString("Completed event: 6\n"));
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "Completed event: 6\n");
  EXPECT_FALSE(DecodeRrCommandReply("E01x").ok());
  EXPECT_FALSE(DecodeRrCommandReply("abc").ok());
  EXPECT_TRUE(IsUnknownCommandReply("Command '' not found.\n"));
  EXPECT_TRUE(IsUnknownCommandReply("Command 'when' not found.\n"));
  EXPECT_FALSE(IsUnknownCommandReply("Current event: 6\n"));
}

TEST(RrTextTest, WhenGivesTheSameEventOnEveryRelease) {
  // The same stop: frame time 1376. rr 5.6/5.7 print it; 5.8+ print the completed one before.
  EXPECT_EQ(ParseWhenText("Current event: 1376\n").value(), 1376u);
  EXPECT_EQ(ParseWhenText("Completed event: 1375\n").value(), 1376u);
  // As gdb's `when` shows it, with whatever gdb printed before.
  EXPECT_EQ(ParseWhenText("[New Thread 12.13]\nCompleted event: 0\n").value(), 1u);
  for (const char* bad : {"", "Command 'when' not found.\n", "Completed event: \n",
                          "Current event: x"}) {
    absl::StatusOr<uint64_t> when = ParseWhenText(bad);
    EXPECT_TRUE(absl::IsDataLoss(when.status())) << bad;
  }
}

TEST(RrTextTest, TicksTidAndCheckpoint) {
  // Unchanged from 5.6.0 to 5.10.0.
  EXPECT_EQ(ParseTicksText("Current tick: 0\n").value(), 0u);
  EXPECT_EQ(ParseTicksText("Current tick: 123456789\n").value(), 123456789u);
  EXPECT_EQ(ParseTidText("Current tid: 4242\n").value(), 4242);
  EXPECT_EQ(ParseCheckpointText("Checkpoint 3 at event 12 (thread 1)\n").value(), 3);
  // rr 5.8+ refuse a checkpoint after the end of the program.
  EXPECT_FALSE(ParseCheckpointText("The program is not being run.\n").ok());
  EXPECT_FALSE(ParseCheckpointText("No checkpoints.").ok());
  EXPECT_FALSE(ParseTicksText("").ok());
}

}  // namespace
}  // namespace pyreplay
