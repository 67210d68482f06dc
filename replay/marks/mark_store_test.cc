#include "replay/marks/mark_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class MarkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / absl::StrCat("mark_store_test-", getpid(), "-",
                                                    ::testing::UnitTest::GetInstance()
                                                        ->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Mark At(std::string name, uint64_t event) {
    Mark m;
    m.name = std::move(name);
    m.note = "a note";
    m.position.event = event;
    m.position.tid = 42;
    m.position.pc = 0x70000000;
    m.position.restart_event = event - 1;
    m.position.hit_count = 2;
    m.position.registers = {{"rax", 42}, {"rip", 0x70000000}};
    return m;
  }

  fs::path dir_;
};

TEST_F(MarkStoreTest, EmptyWhenThereIsNoFile) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.List().ok());
  EXPECT_TRUE(store.List()->empty());
}

TEST_F(MarkStoreTest, AddFillsIdAuthorTimeAndRoundTrips) {
  setenv("PYREPLAY_AUTHOR", "ada", 1);
  MarkStore store(dir_.string());
  absl::StatusOr<Mark> saved = store.Add(At("before-connect", 1374));
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->id.size(), 32u);
  EXPECT_EQ(saved->author, "ada");
  EXPECT_GT(saved->created_unix_nanos, 0);
  absl::StatusOr<std::vector<Mark>> all = MarkStore(dir_.string()).List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], *saved);
  unsetenv("PYREPLAY_AUTHOR");
}

TEST_F(MarkStoreTest, FindRemoveAndErrors) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.Add(At("a", 10)).ok());
  absl::StatusOr<Mark> b = store.Add(At("b", 20));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(store.Add(At("a", 30)).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.Add(At("12", 30)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Add(At("bad name", 30)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Find("b")->position.event, 20u);
  EXPECT_EQ(store.Find(b->id.substr(0, 8))->name, "b");
  absl::Status missing = store.Find("nope").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("a, b"), absl::string_view::npos) << missing;
  ASSERT_TRUE(store.Remove("a").ok());
  EXPECT_EQ(store.Remove("a").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.List()->size(), 1u);
}

TEST_F(MarkStoreTest, MergeByIdKeepsLocalAndAddsNew) {
  MarkStore mine((dir_ / "mine").string());
  MarkStore theirs((dir_ / "theirs").string());
  absl::StatusOr<Mark> shared = mine.Add(At("shared", 5));
  ASSERT_TRUE(shared.ok());
  ASSERT_TRUE(theirs.MergeFrom({*shared}).ok());
  ASSERT_TRUE(theirs.Add(At("colleague", 7)).ok());
  absl::StatusOr<MergeResult> result = mine.MergeFrom(*theirs.List());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->added, 1);
  EXPECT_EQ(result->unchanged, 1);
  EXPECT_EQ(mine.List()->size(), 2u);
  EXPECT_EQ(mine.MergeFrom(*theirs.List())->added, 0);  // idempotent
}

TEST_F(MarkStoreTest, CorruptFileIsReportedNeverOverwrittenAndRecoverable) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.Add(At("one", 1 + 1)).ok());
  ASSERT_TRUE(store.Add(At("two", 3)).ok());
  ASSERT_TRUE(WriteFileAtomically(store.path(), "this is not a marks file, 8-aligned!!!!").ok());
  absl::Status listed = store.List().status();
  EXPECT_EQ(listed.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(listed.message().find("marks.bak"), absl::string_view::npos) << listed;
  EXPECT_EQ(store.Add(At("three", 4)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*ReadFileToString(store.path()), "this is not a marks file, 8-aligned!!!!");
  absl::StatusOr<std::string> aside = store.Recover();
  ASSERT_TRUE(aside.ok()) << aside.status();
  EXPECT_EQ(*ReadFileToString(*aside), "this is not a marks file, 8-aligned!!!!");
  ASSERT_TRUE(store.List().ok());
  EXPECT_EQ(store.List()->size(), 2u);  // both marks, including the last one written
}

TEST_F(MarkStoreTest, TruncatedAndGarbageFilesAreDataLoss) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.Add(At("one", 2)).ok());
  std::string good = *ReadFileToString(store.path());
  for (size_t cut : {size_t{0}, size_t{8}, good.size() / 2, good.size() - 8}) {
    EXPECT_EQ(ParseMarkFile(good.substr(0, cut), "m").status().code(),
              absl::StatusCode::kDataLoss) << cut;
  }
  EXPECT_EQ(ParseMarkFile(std::string(16, '\xff'), "m").status().code(),
            absl::StatusCode::kDataLoss);
}

// Two processes x 500 writes at once: every mark survives.
TEST_F(MarkStoreTest, ConcurrentWritersLoseNothing) {
  constexpr int kWriters = 2, kEach = 500;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      MarkStore store(dir_.string());
      for (int i = 0; i < kEach; ++i) {
        if (!store.Add(At(absl::StrCat("w", w, "-", i), i + 2)).ok()) _exit(1);
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  absl::StatusOr<std::vector<Mark>> all = MarkStore(dir_.string()).List();
  ASSERT_TRUE(all.ok()) << all.status();
  std::set<std::string> names;
  for (const Mark& m : *all) names.insert(m.name);
  EXPECT_EQ(all->size(), 1000u);
  EXPECT_EQ(names.size(), 1000u);
}

// A writer killed at random moments leaves a readable store holding every mark it finished.
TEST_F(MarkStoreTest, SigkillMidWriteKeepsEveryEarlierMark) {
  for (int round = 0; round < 5; ++round) {
    int pipefd[2];
    ASSERT_EQ(pipe(pipefd), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(pipefd[0]);
      MarkStore store(dir_.string());
      for (int i = 0;; ++i) {
        if (!store.Add(At(absl::StrCat("r", round, "-", i), i + 2)).ok()) _exit(1);
        char done = 1;
        if (write(pipefd[1], &done, 1) != 1) _exit(1);  // mark i is saved
      }
    }
    close(pipefd[1]);
    int acknowledged = 0;
    char c;
    while (acknowledged < 20 + round * 7 && read(pipefd[0], &c, 1) == 1) ++acknowledged;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(pipefd[0]);
    absl::StatusOr<std::vector<Mark>> all = MarkStore(dir_.string()).List();
    ASSERT_TRUE(all.ok()) << all.status();
    std::set<std::string> names;
    for (const Mark& m : *all) names.insert(m.name);
    for (int i = 0; i < acknowledged; ++i) {
      EXPECT_TRUE(names.count(absl::StrCat("r", round, "-", i))) << round << " " << i;
    }
  }
}

TEST(MarkNameTest, Rules) {
  EXPECT_TRUE(CheckMarkName("before-connect").ok());
  EXPECT_TRUE(CheckMarkName("t3.accept:2").ok());
  EXPECT_FALSE(CheckMarkName("").ok());
  EXPECT_FALSE(CheckMarkName("1009").ok());
  EXPECT_FALSE(CheckMarkName("-3").ok());
  EXPECT_FALSE(CheckMarkName("has space").ok());
  EXPECT_FALSE(CheckMarkName(std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace pyreplay

namespace pyreplay {
namespace {

class MarkStoreHostileTest : public MarkStoreTest {};

TEST_F(MarkStoreHostileTest, AFlippedByteIsDataLossNeverAChangedMark) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.Add(At("a", 10)).ok());
  const std::string good = *ReadFileToString(store.path());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    absl::StatusOr<std::vector<Mark>> marks = ParseMarkFile(bad, "marks");
    EXPECT_FALSE(marks.ok()) << "byte " << i << " changed silently";
  }
}

TEST_F(MarkStoreHostileTest, UnsealedMarksOfAnOlderPyreplayStillRead) {
  MarkStore store(dir_.string());
  ASSERT_TRUE(store.Add(At("a", 10)).ok());
  const std::string sealed = *ReadFileToString(store.path());
  absl::StatusOr<std::vector<Mark>> marks =
      ParseMarkFile(sealed.substr(0, sealed.size() - 80), "marks");
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(marks->size(), 1u);
}

TEST_F(MarkStoreHostileTest, ALockLinkIsRefusedAndNothingIsCreatedWhereItPoints) {
  MarkStore store(dir_.string());
  fs::create_directories(dir_ / "pyreplay");
  const fs::path victim = dir_ / "elsewhere";
  fs::create_symlink(victim, dir_ / "pyreplay" / "marks.lock");
  absl::StatusOr<Mark> added = store.Add(At("a", 10));
  EXPECT_TRUE(absl::IsFailedPrecondition(added.status())) << added.status();
  EXPECT_NE(added.status().message().find("symbolic link"), std::string::npos);
  EXPECT_FALSE(fs::exists(victim));
}

TEST_F(MarkStoreHostileTest, RecoverSaysWhetherItRestored) {
  MarkStore store(dir_.string());
  fs::create_directories(dir_ / "pyreplay");
  ASSERT_TRUE(WriteFileAtomically(store.path(), "garbage garbage!").ok());
  bool restored = true;
  absl::StatusOr<std::string> aside = store.Recover(&restored);
  ASSERT_TRUE(aside.ok()) << aside.status();
  EXPECT_FALSE(aside->empty());
  EXPECT_FALSE(restored);  // there was no marks.bak
}

}  // namespace
}  // namespace pyreplay
