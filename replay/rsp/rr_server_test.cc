// A real replay: records /bin/true with this machine's rr (no-PMU mode where there is no PMU)
// and asks rr's gdb server `when` over the protocol. rr 5.8+ exit on the 5.6-style packet, so this
// is the test that the client speaks each release's dialect (replay/common/rr_dialect.h).
#include "replay/rsp/rr_server.h"

#include <unistd.h>

#include <filesystem>
#include <regex>

#include "gtest/gtest.h"
#include "replay/common/install_layout.h"
#include "replay/common/subprocess.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

class RrServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("pyreplay-rr-server-" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    absl::StatusOr<InstallLayout> layout = FindInstallLayout();
    ASSERT_TRUE(layout.ok()) << layout.status();
    absl::StatusOr<PmuMode> mode = ResolvePmuMode(PmuChoice::kAuto);
    ASSERT_TRUE(mode.ok()) << mode.status();
    launch_ = new RrLaunch(RrLaunchFor(*mode, *layout));
    std::vector<std::string> record = launch_->argv;
    record.insert(record.end(), {"record", "-o", Trace(), "/bin/true"});
    std::string output;
    absl::StatusOr<ExitStatus> status =
        RunProcess(record, {launch_->env, &output, /*also_stderr=*/true, /*forward_signals=*/false});
    ASSERT_TRUE(status.ok() && status->ok()) << output;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete launch_;
  }
  static std::string Trace() { return (*dir_ / "true").string(); }

  // GdbsWhen is what gdb's own `when` says at the replay's first stop, the ground truth: rr
  // 5.6/5.7 print "Current event: T", rr 5.8+ "Completed event: T-1", T being the frame time.
  static uint64_t GdbsWhen() {
    std::vector<std::string> replay = launch_->argv;
    // rr connects gdb just before the first -ex that is a prefix of "continue": "" is one.
    replay.insert(replay.end(),
                  {"replay", Trace(), "--", "-nx", "-batch", "-ex", "", "-ex", "when"});
    std::string output;
    absl::StatusOr<ExitStatus> status =
        RunProcess(replay, {launch_->env, &output, /*also_stderr=*/true, /*forward_signals=*/false});
    EXPECT_TRUE(status.ok()) << output;
    std::smatch m;
    std::regex when("(Current|Completed) event: (\\d+)");
    if (!std::regex_search(output, m, when)) {
      ADD_FAILURE() << "gdb's `when` printed no event: " << output;
      return 0;
    }
    return std::stoull(m[2]) + (m[1] == "Completed" ? 1 : 0);
  }

  static fs::path* dir_;
  static RrLaunch* launch_;
};
fs::path* RrServerTest::dir_ = nullptr;
RrLaunch* RrServerTest::launch_ = nullptr;

TEST_F(RrServerTest, WhenOverTheProtocolMatchesGdbsWhen) {
  uint64_t expected = GdbsWhen();
  ASSERT_GT(expected, 0u);
  absl::StatusOr<std::unique_ptr<RrServer>> rr = RrServer::Start(Trace(), PmuChoice::kAuto, nullptr);
  ASSERT_TRUE(rr.ok()) << rr.status();
  absl::StatusOr<uint64_t> when = (*rr)->remote().When();
  ASSERT_TRUE(when.ok()) << when.status() << "\n" << (*rr)->output();
  EXPECT_EQ(*when, expected);
  // Asked again, about a named thread: the same event, and rr still serving.
  absl::StatusOr<std::string> tid_text = (*rr)->remote().RrCommand("when-tid");
  ASSERT_TRUE(tid_text.ok()) << tid_text.status();
  EXPECT_NE(tid_text->find("Current tid: "), std::string::npos) << *tid_text;
  absl::StatusOr<uint64_t> again = (*rr)->remote().When();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, expected);
}

TEST_F(RrServerTest, UnknownReleaseFindsTheFormatItself) {
  uint64_t expected = GdbsWhen();
  absl::StatusOr<std::unique_ptr<RrServer>> rr = RrServer::Start(Trace(), PmuChoice::kAuto, nullptr);
  ASSERT_TRUE(rr.ok()) << rr.status();
  (*rr)->remote().SetRrRelease(std::nullopt);  // as if `rr --version` had said nothing useful
  absl::StatusOr<uint64_t> when = (*rr)->remote().When();
  ASSERT_TRUE(when.ok()) << when.status() << "\n" << (*rr)->output();
  EXPECT_EQ(*when, expected);
  absl::StatusOr<ExitStatus> finished = (*rr)->Finish();
  EXPECT_TRUE(finished.ok()) << finished.status();
}

}  // namespace
}  // namespace pyreplay
