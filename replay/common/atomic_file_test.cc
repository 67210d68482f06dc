#include "replay/common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/atomic-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesAndCreatesTheFolder) {
  std::string path = (dir_ / "sub/deeper/file").string();
  ASSERT_TRUE(WriteFileAtomically(path, "hello").ok());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "hello");
}

TEST_F(AtomicFileTest, AFolderThatCannotBeCreatedIsNamedWithTheReason) {
  std::ofstream(dir_ / "plain") << "a file, not a folder";
  absl::Status status = WriteFileAtomically((dir_ / "plain/sub/file").string(), "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find((dir_ / "plain/sub").string() + ": cannot create the folder: "),
            absl::string_view::npos)
      << status;
  EXPECT_EQ(status.message().find(".tmp-"), absl::string_view::npos) << status;
}

// A file the kernel refuses to create (no temp file possible) is reported under the name the
// caller gave, not the temp file's.
TEST_F(AtomicFileTest, ErrorsNameTheTargetNotTheTempFile) {
  absl::Status status = WriteFileAtomically("/proc/pyreplay-atomic-file-test.html", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().find("/proc/pyreplay-atomic-file-test.html: cannot create: "), 0u)
      << status;
  EXPECT_EQ(status.message().find(".tmp-"), absl::string_view::npos) << status;
}

// A read-only folder (EACCES) is PermissionDenied and names the folder. Root ignores file modes,
// so as root the check runs in a child that drops to nobody.
TEST_F(AtomicFileTest, ReadOnlyFolderIsPermissionDenied) {
  fs::path trace = dir_ / "trace";
  fs::create_directories(trace);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(trace, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  std::string expected = (trace / "pyreplay").string() + ": cannot create the folder: Permission denied";
  fs::path tmp_root = fs::path(::testing::TempDir());
  if (geteuid() == 0 && (fs::status(tmp_root).permissions() & fs::perms::others_exec) == fs::perms::none) {
    GTEST_SKIP() << "nobody cannot reach " << tmp_root;
  }
  auto check = [&]() {
    absl::Status status = WriteFileAtomically((trace / "pyreplay/index").string(), "x");
    return absl::IsPermissionDenied(status) && status.message() == expected;
  };
  if (geteuid() != 0) {
    fs::permissions(trace, fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_TRUE(check());
    return;
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
    _exit(check() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "expected: " << expected;
  EXPECT_FALSE(fs::exists(trace / "pyreplay"));
}

}  // namespace
}  // namespace pyreplay

namespace pyreplay {
namespace {

class AtomicFileLinkTest : public AtomicFileTest {};

TEST_F(AtomicFileLinkTest, ATargetThatIsALinkIsRefused) {
  const std::string victim = (dir_ / "victim").string();
  const std::string link = (dir_ / "marks").string();
  ASSERT_EQ(symlink(victim.c_str(), link.c_str()), 0);
  absl::Status status = WriteFileAtomically(link, "x");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("symbolic link"), std::string::npos);
  EXPECT_FALSE(fs::exists(victim));
  absl::StatusOr<std::string> read = ReadFileToString(link, /*follow_links=*/false);
  EXPECT_TRUE(absl::IsFailedPrecondition(read.status())) << read.status();
}

TEST_F(AtomicFileLinkTest, APlantedTempLinkIsNeverWrittenThrough) {
  const std::string victim = (dir_ / "victim").string();
  const std::string tmp = (dir_ / absl::StrCat(".tmp-index-", getpid())).string();
  ASSERT_EQ(symlink(victim.c_str(), tmp.c_str()), 0);
  ASSERT_TRUE(WriteFileAtomically((dir_ / "index").string(), "fresh").ok());
  EXPECT_FALSE(fs::exists(victim));
  EXPECT_EQ(*ReadFileToString((dir_ / "index").string()), "fresh");
}

TEST_F(AtomicFileLinkTest, StaleTempFilesOfDeadWritersAreRemoved) {
  // A writer killed between create and rename leaves .tmp-NAME-PID behind.
  pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // `child` is a pid nobody runs now
  const fs::path stale = dir_ / absl::StrCat(".tmp-marks-", child);
  const fs::path alive = dir_ / absl::StrCat(".tmp-marks-", getppid());  // a live writer's
  std::ofstream(stale) << "half";
  std::ofstream(alive) << "busy";
  ASSERT_TRUE(WriteFileAtomically((dir_ / "marks").string(), "whole").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(alive));
}

}  // namespace
}  // namespace pyreplay
