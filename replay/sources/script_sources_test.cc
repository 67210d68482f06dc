#include "replay/sources/script_sources.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

TEST(MainScript, FindsTheScriptAfterInterpreterOptions) {
  EXPECT_EQ(MainScript({"/usr/bin/python3.11", "app.py", "x.py"}, "/home/me"), "/home/me/app.py");
  EXPECT_EQ(MainScript({"python3.11", "-u", "-X", "dev", "-Wdefault", "../p/app.py"}, "/home/me"),
            "/home/p/app.py");
  EXPECT_EQ(MainScript({"python3.11", "-W", "error", "/abs/app.py"}, "/cwd"), "/abs/app.py");
  EXPECT_EQ(MainScript({"./tool.py", "arg"}, "/w"), "/w/tool.py");
}

TEST(MainScript, NoScriptForCommandsAndModules) {
  EXPECT_EQ(MainScript({"python3.11", "-c", "print(1)"}, "/w"), std::nullopt);
  EXPECT_EQ(MainScript({"python3.11", "-um", "http.server"}, "/w"), std::nullopt);
  EXPECT_EQ(MainScript({"/bin/true"}, "/w"), std::nullopt);
  EXPECT_EQ(MainScript({}, "/w"), std::nullopt);
}

class ScriptSourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("script_sources_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "project" / "pkg");
    fs::create_directories(root_ / "trace");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const fs::path& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(path.string(), text).ok());
  }
  fs::path root_;
};

TEST_F(ScriptSourcesTest, CopiesScriptAndSiblingsAndMapsThem) {
  Write(root_ / "project/app.py", "import helper\nprint('v1')\n");
  Write(root_ / "project/helper.py", "X = 1\n");
  Write(root_ / "project/notes.txt", "not python\n");
  Write(root_ / "project/pkg/deep.py", "# not a sibling\n");
  std::string trace = (root_ / "trace").string();
  absl::StatusOr<int> copied =
      CopyScriptSources(trace, {"/usr/bin/python3.11", "app.py"}, (root_ / "project").string());
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, 2);

  // The script changes after recording; the trace keeps the recorded text.
  Write(root_ / "project/app.py", "print('v2')\n");
  std::optional<std::string> copy = FindRecordedCopy(trace, (root_ / "project/app.py").string());
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(*ReadFileToString(*copy), "import helper\nprint('v1')\n");
  EXPECT_TRUE(FindRecordedCopy(trace, "helper.py", (root_ / "project").string()).has_value());
  EXPECT_TRUE(FindRecordedCopy(trace, "app.py").has_value());  // relative to the recorded cwd
  EXPECT_FALSE(FindRecordedCopy(trace, (root_ / "project/pkg/deep.py").string()).has_value());
  EXPECT_FALSE(FindRecordedCopy(trace, "/usr/lib/python3.11/socket.py").has_value());
}

TEST_F(ScriptSourcesTest, HonoursLimits) {
  Write(root_ / "project/app.py", "print(1)\n");
  Write(root_ / "project/big.py", std::string(5000, '#'));
  Write(root_ / "project/small.py", "Y = 2\n");
  ScriptSourcesLimits limits;
  limits.max_file_bytes = 1000;
  absl::StatusOr<int> copied = CopyScriptSources(
      (root_ / "trace").string(), {"python3.11", (root_ / "project/app.py").string()}, "/",
      limits);
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, 2);  // app.py and small.py; big.py is skipped
  limits.max_files = 1;
  fs::remove_all(root_ / "trace/pyreplay");
  EXPECT_EQ(*CopyScriptSources((root_ / "trace").string(),
                               {"python3.11", (root_ / "project/app.py").string()}, "/", limits),
            1);
}

TEST_F(ScriptSourcesTest, NoScriptNoCopies) {
  EXPECT_EQ(*CopyScriptSources((root_ / "trace").string(), {"/bin/true"}, "/"), 0);
  EXPECT_FALSE(FindRecordedCopy((root_ / "trace").string(), "/bin/true").has_value());
}

TEST_F(ScriptSourcesTest, ManifestCannotPointOutsideTheSidecar) {
  fs::create_directories(root_ / "trace/pyreplay/sources");
  Write(root_ / "secret.py", "secret\n");
  Write(root_ / "trace/pyreplay/sources/manifest.json",
        R"({"format":1,"files":[{"path":"/x.py","copy":"../../../secret.py"},)"
        R"({"path":"/y.py","copy":"/etc/passwd"}]})");
  EXPECT_FALSE(FindRecordedCopy((root_ / "trace").string(), "/x.py").has_value());
  EXPECT_FALSE(FindRecordedCopy((root_ / "trace").string(), "/y.py").has_value());
  Write(root_ / "trace/pyreplay/sources/manifest.json", "{not json");
  EXPECT_FALSE(FindRecordedCopy((root_ / "trace").string(), "/x.py").has_value());
}

}  // namespace
}  // namespace pyreplay
