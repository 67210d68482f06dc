#include "replay/sources/apt_sources.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

constexpr char kBookworm[] =
    "Types: deb\n"
    "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
    "URIs: http://deb.debian.org/debian\n"
    "Suites: bookworm bookworm-updates\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    "\n"
    "Types: deb\n"
    "URIs: http://deb.debian.org/debian-security\n"
    "Suites: bookworm-security\n"
    "Components: main\n"
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    "\n"
    "Types: deb\n"
    "URIs: https://deb.nodesource.com/node_20.x\n"
    "Suites: nodistro\n"
    "Components: main\n";

TEST(DebSrcStanzas, MirrorsDebianDeb822Entries) {
  std::string out = DebSrcStanzas(kBookworm, /*deb822=*/true);
  EXPECT_EQ(out,
            "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm "
            "bookworm-updates\nComponents: main\nSigned-By: "
            "/usr/share/keyrings/debian-archive-keyring.gpg\n\n"
            "Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: "
            "bookworm-security\nComponents: main\nSigned-By: "
            "/usr/share/keyrings/debian-archive-keyring.gpg\n");
}

TEST(DebSrcStanzas, SkipsDisabledAndForeignEntries) {
  EXPECT_EQ(DebSrcStanzas("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
                          "Enabled: no\n",
                          true),
            "");
  EXPECT_EQ(DebSrcStanzas("deb https://packages.cloud.google.com/apt cloud-sdk main\n", false),
            "");
}

TEST(DebSrcStanzas, ConvertsOneLineEntries) {
  EXPECT_EQ(DebSrcStanzas("# comment\ndeb [arch=amd64 signed-by=/k.gpg] "
                          "http://deb.debian.org/debian bookworm main contrib\n",
                          false),
            "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
            "Components: main contrib\nSigned-By: /k.gpg\n");
}

class AptFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("apt_sources_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "parts");
    files_.list_file = (dir_ / "sources.list").string();
    files_.parts_dir = (dir_ / "parts").string() + "/";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  AptSourceFiles files_;
};

TEST_F(AptFilesTest, DetectsAndAddsDebSrc) {
  ASSERT_TRUE(WriteFileAtomically((dir_ / "parts/debian.sources").string(), kBookworm).ok());
  EXPECT_FALSE(HasDebSrcEntry(files_));
  absl::StatusOr<std::string> written = AddDebSrcEntry(files_);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(fs::path(*written).filename(), kDebSrcFileName);
  EXPECT_TRUE(HasDebSrcEntry(files_));
}

TEST_F(AptFilesTest, OneLineDebSrcCounts) {
  ASSERT_TRUE(WriteFileAtomically(files_.list_file,
                                  "#deb-src http://x/debian bookworm main\n").ok());
  EXPECT_FALSE(HasDebSrcEntry(files_));
  ASSERT_TRUE(WriteFileAtomically(files_.list_file,
                                  "deb-src http://deb.debian.org/debian bookworm main\n").ok());
  EXPECT_TRUE(HasDebSrcEntry(files_));
}

TEST_F(AptFilesTest, NothingToMirrorIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(AddDebSrcEntry(files_).status()));
}

}  // namespace
}  // namespace pyreplay
