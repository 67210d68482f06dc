#include "replay/sources/cpython_sources.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

TEST(KeyFileHash, IsFnv1a64) {
  EXPECT_EQ(KeyFileHash(""), "cbf29ce484222325");
  EXPECT_EQ(KeyFileHash("a"), "af63dc4c8601ec8c");
}

TEST(ParseShowsrcVersions, KeepsOnlyTheSourcePackage) {
  constexpr char kShowsrc[] =
      "Package: python3.11\nBinary: python3.11, idle-python3.11\nVersion: 3.11.2-6+deb12u8\n"
      "Directory: pool/main/p/python3.11\n\n"
      "Package: python3.11\nVersion: 3.11.2-6+deb12u9\n\n"
      "Package: python3.11-other\nVersion: 9.9-1\n\n"
      "Package: python3.11\nVersion: 3.11.2-6+deb12u9\n";
  EXPECT_EQ(ParseShowsrcVersions(kShowsrc, "python3.11"),
            (std::vector<std::string>{"3.11.2-6+deb12u8", "3.11.2-6+deb12u9"}));
  EXPECT_TRUE(ParseShowsrcVersions("", "python3.11").empty());
}

class CacheEntryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    entry_ = fs::temp_directory_path() /
             ("cpython_sources_test_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
             "3.11.2-6+deb12u9";
    fs::remove_all(entry_.parent_path());
    nlohmann::json files = nlohmann::json::object();
    for (const char* key : kKeySourceFiles) {
      fs::path path = entry_ / "python3.11-3.11.2" / key;
      fs::create_directories(path.parent_path());
      std::string text = std::string("/* ") + key + " */\n";
      EXPECT_TRUE(WriteFileAtomically(path.string(), text).ok());
      files[key] = {{"size", text.size()}, {"fnv1a64", KeyFileHash(text)}};
    }
    fs::create_directories(entry_ / "python3.11-3.11.2/build-static");
    marker_ = {{"format", 1}, {"source_package", "python3.11"},
               {"wanted_version", "3.11.2-6+deb12u9"}, {"used_version", "3.11.2-6+deb12u8"},
               {"source_dir", "python3.11-3.11.2"}, {"files", files}};
  }
  void TearDown() override { fs::remove_all(entry_.parent_path()); }
  void WriteMarker() {
    ASSERT_TRUE(WriteFileAtomically((entry_ / kCompleteMarker).string(), marker_.dump()).ok());
  }
  fs::path entry_;
  nlohmann::json marker_;
};

TEST_F(CacheEntryTest, CompleteEntryIsFound) {
  WriteMarker();
  absl::StatusOr<CpythonSources> sources = CheckCachedSources(entry_.string());
  ASSERT_TRUE(sources.ok()) << sources.status();
  EXPECT_EQ(sources->used_version, "3.11.2-6+deb12u8");
  EXPECT_EQ(sources->source_dir, (entry_ / "python3.11-3.11.2").string());
  std::vector<std::string> dirs = GdbSourceDirectories(*sources);
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs[0], (entry_ / "python3.11-3.11.2/build-static").string());
}

TEST_F(CacheEntryTest, NoMarkerIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(CheckCachedSources(entry_.string()).status()));
}

TEST_F(CacheEntryTest, ChangedOrMissingKeyFileIsDataLoss) {
  WriteMarker();
  fs::path key = entry_ / "python3.11-3.11.2/Modules/socketmodule.c";
  ASSERT_TRUE(WriteFileAtomically(key.string(), "/* tampered */\n").ok());
  absl::Status changed = CheckCachedSources(entry_.string()).status();
  EXPECT_TRUE(absl::IsDataLoss(changed)) << changed;
  EXPECT_NE(changed.message().find("socketmodule.c"), std::string::npos);
  fs::remove(key);
  EXPECT_TRUE(absl::IsDataLoss(CheckCachedSources(entry_.string()).status()));
}

TEST_F(CacheEntryTest, CorruptMarkerIsDataLoss) {
  ASSERT_TRUE(WriteFileAtomically((entry_ / kCompleteMarker).string(), "{trunc").ok());
  EXPECT_TRUE(absl::IsDataLoss(CheckCachedSources(entry_.string()).status()));
  marker_["source_dir"] = "../../etc";
  WriteMarker();
  EXPECT_TRUE(absl::IsDataLoss(CheckCachedSources(entry_.string()).status()));
}

TEST(FindInterpreterPackage, NotDebiansInterpreterSaysWhatToDo) {
  fs::path fake = fs::temp_directory_path() / ("python3.11-not-debian-" + std::to_string(getpid()));
  ASSERT_TRUE(WriteFileAtomically(fake.string(), "#!/bin/sh\n").ok());
  absl::Status status = FindInterpreterPackage(fake.string()).status();
  fs::remove(fake);
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_NE(status.message().find("not Debian's interpreter"), std::string::npos);
  EXPECT_NE(status.message().find("/usr/bin/python3.11"), std::string::npos);
  EXPECT_TRUE(absl::IsNotFound(FindInterpreterPackage("/no/such/python").status()));
}

}  // namespace
}  // namespace pyreplay
