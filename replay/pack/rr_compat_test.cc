#include "replay/pack/rr_compat.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(RrCompatTest, SameOrNewerRrWithTheSameFormatIsFine) {
  EXPECT_EQ(RrCompatibilityNote("5.6.0", 85, RrRelease{5, 6, 0}), "");
  EXPECT_EQ(RrCompatibilityNote("5.6.0", 85, RrRelease{5, 10, 0}), "");  // newer replays older
  EXPECT_EQ(RrCompatibilityNote("5.9.0", 85, RrRelease{5, 9, 1}), "");
}

TEST(RrCompatTest, OlderRrThanTheRecorderSaysWhatToInstall) {
  std::string note = RrCompatibilityNote("5.10.0", 85, RrRelease{5, 6, 0});
  EXPECT_NE(note.find("recorded with rr 5.10.0, newer than this machine's rr 5.6.0"),
            std::string::npos) << note;
  EXPECT_NE(note.find("install rr 5.10 or newer"), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos);  // one line
}

TEST(RrCompatTest, AnotherTraceFormatCannotReplay) {
  std::string note = RrCompatibilityNote("6.0.0", 86, RrRelease{5, 9, 0});
  EXPECT_NE(note.find("trace format 86"), std::string::npos) << note;
  EXPECT_NE(note.find("reads format 85"), std::string::npos) << note;
  EXPECT_NE(note.find("cannot replay here"), std::string::npos) << note;
}

TEST(RrCompatTest, NoRrOrUnknownRecorder) {
  EXPECT_NE(RrCompatibilityNote("5.9.0", 85, std::nullopt).find("rr is not installed here"),
            std::string::npos);
  EXPECT_NE(RrCompatibilityNote("5.9.0", 85, std::nullopt).find("install rr 5.9 or newer"),
            std::string::npos);
  EXPECT_EQ(RrCompatibilityNote("", 85, RrRelease{5, 6, 0}), "");  // a plain rr trace
  EXPECT_NE(RrCompatibilityNote("", 0, RrRelease{5, 4, 0}).find("outside what pyreplay"),
            std::string::npos);
}

TEST(RrCompatTest, ProvenanceLine) {
  EXPECT_EQ(RrProvenanceLine("5.9.0", 85, RrRelease{5, 9, 0}),
            "recorded with rr 5.9.0 (trace format 85); this machine has rr 5.9.0");
  std::string line = RrProvenanceLine("5.9.0", 85, RrRelease{5, 6, 0});
  EXPECT_NE(line.find("\n             note: "), std::string::npos) << line;
}

}  // namespace
}  // namespace pyreplay
