#include "replay/hunt/hunter.h"

#include <unistd.h>

#include <atomic>
#include <limits>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

// These tests drive the hunt's bookkeeping (what is kept, what is deleted, when it stops) with a
// fake recorder that writes small folders; the e2e tests (tests/e2e/test_hunt.py) use real rr.
class HunterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hunter-test-XXXXXX";
    root_ = mkdtemp(tmpl);
    request_.command = {"/bin/true"};
    request_.output_root = root_;
    request_.name = "prog";
    request_.min_free_bytes = 0;
  }
  void TearDown() override { fs::remove_all(root_); }

  // FakeRecorder "fails" the tries listed in `failing`.
  TryRecorder FakeRecorder(std::set<int> failing) {
    return [this, failing](const HuntRequest&, const TrySpec& spec,
                           const std::function<void(int)>&) -> absl::StatusOr<TryResult> {
      fs::create_directories(fs::path(spec.trace_dir) / "pyreplay");
      std::ofstream(fs::path(spec.trace_dir) / "events") << "x";
      std::lock_guard lock(mu_);
      made_.insert(spec.trace_dir);
      TryResult r;
      r.number = spec.number;
      r.trace_dir = spec.trace_dir;
      r.failed = failing.count(spec.number) > 0;
      r.status.code = r.failed ? 1 : 0;
      return r;
    };
  }

  std::set<std::string> Left() const {
    std::set<std::string> left;
    for (const auto& e : fs::directory_iterator(root_)) left.insert(e.path().string());
    return left;
  }

  std::string root_;
  HuntRequest request_;
  std::mutex mu_;
  std::set<std::string> made_;
};

TEST_F(HunterTest, KeepsTheFailingAndOnePassingTraceOnly) {
  request_.tries = 20;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({5});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stop, HuntStop::kCaught);
  ASSERT_TRUE(result->failing && result->passing);
  EXPECT_EQ(result->failing->number, 5);
  EXPECT_EQ(result->passing->number, 1);
  EXPECT_EQ(result->progress.finished, 5);
  EXPECT_EQ(result->progress.failures, 1);
  EXPECT_EQ(result->deleted, 3);
  EXPECT_EQ(Left(), (std::set<std::string>{result->failing->trace_dir,
                                           result->passing->trace_dir}));
  EXPECT_TRUE(fs::exists(fs::path(result->failing->trace_dir) / "pyreplay" / "hunt.json"));
}

TEST_F(HunterTest, AFailureFirstLooksOnForAPassingRun) {
  request_.tries = 20;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({1, 2, 3});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stop, HuntStop::kCaught);
  ASSERT_TRUE(result->failing && result->passing);
  EXPECT_EQ(result->failing->number, 1);
  EXPECT_EQ(result->passing->number, 4);
  EXPECT_EQ(result->progress.finished, 4);
  EXPECT_EQ(result->progress.caught_at, 0);  // it found its passing run
  EXPECT_EQ(Left(), (std::set<std::string>{result->failing->trace_dir,
                                           result->passing->trace_dir}));
}

TEST_F(HunterTest, AlwaysFailingIsCaughtOnTheFirstTryAndEndsSoon) {
  request_.tries = 100;
  std::set<int> all;
  for (int i = 1; i <= 100; ++i) all.insert(i);
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder(all);
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stop, HuntStop::kCaught);
  ASSERT_TRUE(result->failing);
  EXPECT_FALSE(result->passing);
  EXPECT_EQ(result->failing->number, 1);
  EXPECT_LE(result->progress.finished, 10);  // a short search for a passing run, not 100 tries
  EXPECT_EQ(Left(), std::set<std::string>{result->failing->trace_dir});
}

TEST_F(HunterTest, NeverFailingEndsAfterTheBudget) {
  request_.tries = 7;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kExhausted);
  EXPECT_FALSE(result->failing);
  EXPECT_EQ(result->progress.finished, 7);
  EXPECT_EQ(Left().size(), 1u);  // the one passing trace
}

TEST_F(HunterTest, NeverTouchesFoldersItDidNotMake) {
  // Someone else's traces with the same name: the hunt numbers past them and leaves them alone.
  fs::create_directories(fs::path(root_) / "prog-1");
  fs::create_directories(fs::path(root_) / "prog-3");
  fs::create_directories(fs::path(root_) / "unrelated");
  request_.tries = 6;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(fs::exists(fs::path(root_) / "prog-1"));
  EXPECT_TRUE(fs::exists(fs::path(root_) / "prog-3"));
  EXPECT_TRUE(fs::exists(fs::path(root_) / "unrelated"));
  for (const std::string& dir : made_) {
    EXPECT_NE(dir, (fs::path(root_) / "prog-1").string());
    EXPECT_NE(dir, (fs::path(root_) / "prog-3").string());
  }
  EXPECT_EQ(Left().size(), 4u);
}

TEST_F(HunterTest, ParallelJobsKeepExactlyTwo) {
  request_.tries = 40;
  request_.jobs = 4;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({9, 10, 11, 12, 13});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kCaught);
  EXPECT_EQ(Left().size(), 2u);
  EXPECT_LE(result->progress.finished, 40);
}

TEST_F(HunterTest, StopRequestKeepsWhatWasCaught) {
  request_.tries = 1000;
  std::atomic<int> polls{0};
  HuntCallbacks callbacks;
  TryRecorder fake = FakeRecorder({});
  callbacks.recorder = [&](const HuntRequest& r, const TrySpec& s,
                           const std::function<void(int)>& on_start) {
    usleep(20000);
    return fake(r, s, on_start);
  };
  callbacks.should_stop = [&] { return ++polls > 2; };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kInterrupted);
  EXPECT_LT(result->progress.finished, 1000);
  ASSERT_TRUE(result->passing);
  EXPECT_EQ(Left(), std::set<std::string>{result->passing->trace_dir});
}

TEST_F(HunterTest, DiskFullStopsAndKeepsWhatWasCaught) {
  request_.tries = 10;
  HuntCallbacks callbacks;
  TryRecorder fake = FakeRecorder({});
  callbacks.recorder = [&](const HuntRequest& r, const TrySpec& s,
                           const std::function<void(int)>& on_start) -> absl::StatusOr<TryResult> {
    if (s.number == 3) {
      // rr ran (no such process group: nothing to signal) and left a partial trace.
      on_start(std::numeric_limits<int>::max());
      fs::create_directories(s.trace_dir);
      return absl::InternalError("rr record failed (rr: write: No space left on device)");
    }
    return fake(r, s, on_start);
  };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kDiskFull);
  EXPECT_NE(result->reason.find("No space left"), std::string::npos);
  ASSERT_TRUE(result->passing);
  EXPECT_EQ(Left(), std::set<std::string>{result->passing->trace_dir});
}

TEST_F(HunterTest, AFolderThatAppearsWhenRrNeverRanIsLeftAlone) {
  request_.tries = 3;
  HuntCallbacks callbacks;
  callbacks.recorder = [&](const HuntRequest&, const TrySpec& s,
                           const std::function<void(int)>&) -> absl::StatusOr<TryResult> {
    fs::create_directories(s.trace_dir);  // someone else's, made before our rr could start
    return absl::PermissionDeniedError("cannot write traces");
  };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kError);
  EXPECT_EQ(Left().size(), 1u);
  EXPECT_EQ(result->deleted, 0);
}

TEST_F(HunterTest, TooLittleFreeSpaceStopsBeforeRecording) {
  request_.tries = 10;
  request_.min_free_bytes = int64_t{1} << 62;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kDiskFull);
  EXPECT_NE(result->reason.find("free in"), std::string::npos);
  EXPECT_TRUE(Left().empty());
}

TEST_F(HunterTest, BadRequestsAreUsageErrors) {
  HuntRequest bad = request_;
  bad.tries = 0;
  EXPECT_EQ(ValidateHuntRequest(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = request_;
  bad.jobs = 0;
  EXPECT_EQ(ValidateHuntRequest(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = request_;
  bad.command = {"/no/such/program"};
  EXPECT_EQ(ValidateHuntRequest(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = request_;
  bad.command = {};
  EXPECT_EQ(ValidateHuntRequest(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = request_;
  bad.output_root = "/etc/passwd/traces";  // under a file
  absl::Status status = ValidateHuntRequest(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("cannot write traces"), absl::string_view::npos);
}

}  // namespace
}  // namespace pyreplay
