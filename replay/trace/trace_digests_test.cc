#include "replay/trace/trace_digests.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class TraceDigestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("digests_test-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "pyreplay" / "sources");
    Write("version", "85\nheader");
    Write("events", std::string(3000, 'e'));
    Write("data", std::string(5000, 'd'));
    Write("pyreplay/meta.json", "{}");
    Write("pyreplay/sources/app.py", "print(1)\n");
    Write("pyreplay/index", "a cache: not digested");
    Write("pyreplay/marks", "changes: not digested");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& data) {
    std::ofstream(dir_ / rel, std::ios::binary) << data;
  }
  std::string Dir() const { return dir_.string(); }
  fs::path dir_;
};

TEST_F(TraceDigestsTest, ListsRrFilesAndTheSidecarsThatNeverChange) {
  ASSERT_TRUE(WriteTraceDigests(Dir()).ok());
  absl::StatusOr<std::optional<TraceDigests>> digests = LoadTraceDigests(Dir());
  ASSERT_TRUE(digests.ok()) << digests.status();
  ASSERT_TRUE(digests->has_value());
  std::vector<std::string> paths;
  for (const FileDigest& f : (*digests)->files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"data", "events", "pyreplay/meta.json",
                                             "pyreplay/sources/app.py", "version"}));
  EXPECT_TRUE(CheckTraceFiles(Dir()).ok());
}

TEST_F(TraceDigestsTest, ATruncatedDataFileIsCaughtBySizeAlone) {
  ASSERT_TRUE(WriteTraceDigests(Dir()).ok());
  fs::resize_file(dir_ / "data", 2500);
  absl::Status status = CheckTraceSizes(Dir(), **LoadTraceDigests(Dir()));
  EXPECT_TRUE(absl::IsDataLoss(status));
  EXPECT_NE(status.message().find("the trace was changed after it was recorded: data differs"),
            std::string::npos) << status;
}

TEST_F(TraceDigestsTest, AFlippedByteIsCaughtByTheHash) {
  ASSERT_TRUE(WriteTraceDigests(Dir()).ok());
  Write("events", std::string(2999, 'e') + "E");
  EXPECT_TRUE(CheckTraceSizes(Dir(), **LoadTraceDigests(Dir())).ok());  // same size
  absl::Status status = CheckTraceFiles(Dir());
  EXPECT_NE(status.message().find("events differs"), std::string::npos) << status;
}

TEST_F(TraceDigestsTest, NoDigestsIsUnverifiedAndADamagedFileIsDataLoss) {
  absl::StatusOr<std::optional<TraceDigests>> none = LoadTraceDigests(Dir());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(WriteTraceDigests(Dir()).ok());
  std::string bytes = *ReadFileToString(DigestsPath(Dir()));
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    EXPECT_FALSE(ParseTraceDigests(bad, "digests").ok()) << i;
  }
}

TEST_F(TraceDigestsTest, PathsOutsideTheTraceAreRejected) {
  TraceDigests d;
  d.files.push_back({"pyreplay/index", 1, std::string(64, 'a')});
  EXPECT_FALSE(ParseTraceDigests(SerializeTraceDigests(d), "digests").ok());
  for (const char* path : {"../etc/passwd", "/etc/passwd", "a/../../b", "pyreplay//x"}) {
    EXPECT_FALSE(IsDigestedPath(path)) << path;
  }
}

}  // namespace
}  // namespace pyreplay
