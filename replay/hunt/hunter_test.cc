#include "replay/hunt/hunter.h"

#include <unistd.h>

#include <atomic>
#include <limits>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "gtest/gtest.h"
#include "replay/common/debian_python.h"

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

// IsPrivateTryDir: a try's trace goes inside a folder the hunt made, <root>/.hunt-XXXXXX/.
bool IsPrivateTryDir(const std::string& root, const std::string& trace_dir) {
  fs::path parent = fs::path(trace_dir).parent_path();
  return parent.parent_path() == fs::path(root) &&
         parent.filename().string().rfind(".hunt-", 0) == 0;
}

TEST_F(HunterTest, EachTryRecordsIntoAPrivateFolderThatIsRemovedAfterwards) {
  request_.tries = 5;
  HuntCallbacks callbacks;
  callbacks.recorder = FakeRecorder({3});
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_FALSE(made_.empty());
  for (const std::string& dir : made_) EXPECT_TRUE(IsPrivateTryDir(root_, dir)) << dir;
  // Kept under their final names, first free numbers; no private folder is left.
  EXPECT_EQ(result->passing->trace_dir, (fs::path(root_) / "prog-1").string());
  EXPECT_EQ(result->failing->trace_dir, (fs::path(root_) / "prog-2").string());
  EXPECT_EQ(Left(), (std::set<std::string>{result->failing->trace_dir,
                                           result->passing->trace_dir}));
  EXPECT_TRUE(fs::exists(fs::path(result->failing->trace_dir) / "events"));
  EXPECT_TRUE(fs::exists(fs::path(result->failing->trace_dir) / "pyreplay" / "hunt.json"));
}

TEST_F(HunterTest, FoldersThatAppearWhileRrRunsAreNeverReplacedOrDeleted) {
  // After rr started, someone else makes prog-1 (with a file) and an empty prog-2, the names the
  // kept trace would take. A plain rename(2) would silently replace the empty folder.
  request_.tries = 1;
  HuntCallbacks callbacks;
  TryRecorder fake = FakeRecorder({1});
  callbacks.recorder = [&](const HuntRequest& r, const TrySpec& s,
                           const std::function<void(int)>& on_start) {
    on_start(std::numeric_limits<int>::max());  // rr "runs" (no such group to signal)
    fs::create_directories(fs::path(root_) / "prog-1");
    std::ofstream(fs::path(root_) / "prog-1" / "theirs") << "keep me";
    fs::create_directories(fs::path(root_) / "prog-2");
    return fake(r, s, on_start);
  };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->failing);
  EXPECT_EQ(result->failing->trace_dir, (fs::path(root_) / "prog-3").string());
  EXPECT_TRUE(fs::exists(fs::path(result->failing->trace_dir) / "events"));
  EXPECT_TRUE(fs::exists(fs::path(root_) / "prog-1" / "theirs"));
  EXPECT_TRUE(fs::is_empty(fs::path(root_) / "prog-2"));
  EXPECT_EQ(result->deleted, 0);
  EXPECT_TRUE(result->keep_warning.empty()) << result->keep_warning;
  EXPECT_EQ(Left().size(), 3u);  // prog-1, prog-2 and the kept prog-3: no private folder left
}

TEST_F(HunterTest, ATraceFolderRrFoundAlreadyThereIsNotOurs) {
  // rr starts, then finds its -o folder made by someone else ("Trace directory ... already
  // exists"): RecordTry reports AlreadyExists, and the hunt must delete nothing of it.
  request_.tries = 3;
  HuntCallbacks callbacks;
  std::string foreign;
  callbacks.recorder = [&](const HuntRequest&, const TrySpec& s,
                           const std::function<void(int)>& on_start) -> absl::StatusOr<TryResult> {
    on_start(std::numeric_limits<int>::max());
    foreign = s.trace_dir;
    fs::create_directories(s.trace_dir);
    std::ofstream(fs::path(s.trace_dir) / "theirs") << "keep me";
    return absl::AlreadyExistsError("rr refused to record: its trace folder exists");
  };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stop, HuntStop::kError);
  EXPECT_EQ(result->deleted, 0);
  EXPECT_NE(result->reason.find("trace folder exists"), std::string::npos);
  EXPECT_TRUE(fs::exists(fs::path(foreign) / "theirs"));
}

TEST_F(HunterTest, MoveTraceToFreeNameNeverReplaces) {
  fs::path from = fs::path(root_) / "from";
  fs::create_directories(from);
  std::ofstream(from / "events") << "x";
  fs::create_directories(fs::path(root_) / "t-1");  // empty: rename(2) alone would replace it
  std::ofstream(fs::path(root_) / "t-2") << "a file";
  int next = 1;
  absl::StatusOr<std::string> moved = MoveTraceToFreeName(from.string(), root_, "t", &next);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(*moved, (fs::path(root_) / "t-3").string());
  EXPECT_EQ(next, 4);
  EXPECT_TRUE(fs::exists(fs::path(*moved) / "events"));
  EXPECT_TRUE(fs::is_empty(fs::path(root_) / "t-1"));
  EXPECT_TRUE(fs::is_regular_file(fs::path(root_) / "t-2"));
  EXPECT_FALSE(fs::exists(from));
  EXPECT_FALSE(MoveTraceToFreeName(from.string(), root_, "t", &next).ok());  // nothing to move
}

TEST_F(HunterTest, CtrlCAfterACatchKeepsItAndSkipsTheIndexing) {
  // A failure caught, then Ctrl-C while the hunt looks for a passing run: kept, reported as
  // caught, and not indexed (the user wants out; a deep pass would start a replay).
  request_.tries = 100;
  // A Python program (the deep pass would apply) that exists on this release: the hunt checks.
  request_.command = {DebianPython()};
  std::atomic<bool> caught{false};
  HuntCallbacks callbacks;
  TryRecorder fake = FakeRecorder({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  callbacks.recorder = [&](const HuntRequest& r, const TrySpec& s,
                           const std::function<void(int)>& on_start) {
    if (s.number > 1) usleep(50000);
    absl::StatusOr<TryResult> out = fake(r, s, on_start);
    caught = true;
    return out;
  };
  callbacks.should_stop = [&] { return caught.load(); };
  absl::StatusOr<HuntResult> result = Hunt(request_, callbacks);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stop, HuntStop::kCaught);
  EXPECT_TRUE(result->interrupted);
  EXPECT_FALSE(result->indexed);
  EXPECT_FALSE(result->deep_indexed);
  ASSERT_TRUE(result->failing);
  EXPECT_FALSE(fs::exists(fs::path(result->failing->trace_dir) / "pyreplay" / "index"));
  EXPECT_TRUE(result->index_warning.empty()) << result->index_warning;
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
