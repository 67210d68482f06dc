#include "replay/pack/debug_bundle.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class GdbDebugArgumentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trace_ = fs::temp_directory_path() / absl::StrCat("debug_bundle_test-", getpid());
    fs::remove_all(trace_);
    fs::create_directories(trace_);
    setenv("PYREPLAY_SYSTEM_DEBUG_DIR", "/nowhere/debug", 1);
  }
  void TearDown() override {
    unsetenv("PYREPLAY_SYSTEM_DEBUG_DIR");
    fs::remove_all(trace_);
  }
  fs::path trace_;
};

TEST_F(GdbDebugArgumentsTest, BundleFirstAndNeverTrusted) {
  EXPECT_EQ(GdbDebugArguments(trace_.string()),
            (std::vector<std::string>{"-iex", "set auto-load safe-path /nowhere/debug:$datadir/auto-load",
                                      "-iex", "set debug-file-directory /nowhere/debug"}));
  fs::create_directories(trace_ / "pyreplay" / "debug" / ".build-id");
  std::vector<std::string> args = GdbDebugArguments(trace_.string());
  ASSERT_EQ(args.size(), 4u);
  // The safe path (set first) never names the trace; the bundle comes first for symbols.
  EXPECT_EQ(args[1].find(trace_.string()), std::string::npos) << args[1];
  EXPECT_EQ(args[3], absl::StrCat("set debug-file-directory ", (trace_ / "pyreplay" / "debug").string(),
                                  ":/nowhere/debug"));
}

}  // namespace
}  // namespace pyreplay
