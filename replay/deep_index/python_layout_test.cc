#include "replay/deep_index/python_layout.h"

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

// NoGdb empties PATH for one test: the deep index of 3.13+ must not need gdb at all.
class NoGdb {
 public:
  NoGdb() : saved_(getenv("PATH") != nullptr ? getenv("PATH") : "") { setenv("PATH", "", 1); }
  ~NoGdb() { setenv("PATH", saved_.c_str(), 1); }

 private:
  std::string saved_;
};

std::string RootPython(const std::string& suite, const std::string& python) {
  const char* home = getenv("HOME");
  std::string path = absl::StrCat(home != nullptr ? home : "/root", "/.cache/pyreplay/roots/",
                                  suite, "/usr/bin/", python);
  return fs::exists(path) ? path : "";
}

TEST(PythonLayoutTest, NewerPythonsNeedNoGdbAndNoDebugInfo) {
  NoGdb no_gdb;
  int checked = 0;
  for (auto [suite, python, minor] : {std::tuple{"trixie", "python3.13", 13},
                                      std::tuple{"sid", "python3.14", 14}}) {
    std::string path = RootPython(suite, python);
    if (path.empty()) continue;
    absl::StatusOr<PythonLayout> layout = LoadPythonLayout(path, "/nonexistent-trace", path);
    ASSERT_TRUE(layout.ok()) << layout.status();
    EXPECT_EQ(layout->source, "_Py_DebugOffsets");
    EXPECT_EQ(MinorVersion(layout->layout.python_version), minor);
    EXPECT_NE(layout->layout.tstate_current_frame, 0u);
    EXPECT_NE(layout->interpreters_head, 0u);
    EXPECT_EQ(layout->runtime_file, path);
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no trixie or sid root (scripts/testbed/root.sh)";
}

TEST(PythonLayoutTest, A311WithoutGdbUsesTheKnownTable) {
  if (!fs::exists("/usr/bin/python3.11")) GTEST_SKIP() << "no /usr/bin/python3.11";
  std::string cache = testing::TempDir() + "/layout-cache-311";
  setenv("XDG_CACHE_HOME", cache.c_str(), 1);
  NoGdb no_gdb;
  absl::StatusOr<PythonLayout> layout =
      LoadPythonLayout("/usr/bin/python3.11", "/nonexistent-trace", "/usr/bin/python3.11");
  unsetenv("XDG_CACHE_HOME");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->source, "3.11 table");
  EXPECT_EQ(layout->layout.frame_code, 32u);
  EXPECT_NE(layout->interpreters_head, 0u);
}

TEST(PythonLayoutTest, NotPythonIsOneClearLine) {
  absl::StatusOr<PythonLayout> layout = LoadPythonLayout("/bin/sleep", "/nonexistent", "/bin/sleep");
  EXPECT_EQ(layout.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(layout.status().message().find("not CPython 3.11 or later"), std::string::npos)
      << layout.status();
}

}  // namespace
}  // namespace pyreplay
