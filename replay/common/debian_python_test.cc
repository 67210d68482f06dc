#include "replay/common/debian_python.h"

#include <filesystem>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(DebianPythonTest, TakesTheVersionedInterpreterPython3LinksTo) {
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3.11"), "/usr/bin/python3.11");
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3.13"), "/usr/bin/python3.13");
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3.14"), "/usr/bin/python3.14");
}

TEST(DebianPythonTest, FallsBackWhenPython3IsNotDebiansPython3X) {
  EXPECT_EQ(DebianPythonFor(""), kFallbackPython);                     // no /usr/bin/python3
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3"), kFallbackPython);     // not a link
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3."), kFallbackPython);
  EXPECT_EQ(DebianPythonFor("/usr/bin/python3.13d"), kFallbackPython); // the debug build
  EXPECT_EQ(DebianPythonFor("/opt/py/bin/python3.13"), kFallbackPython);
}

TEST(DebianPythonTest, OnThisMachineNamesAnInstalledInterpreter) {
  std::string python = DebianPython();
  if (python == kFallbackPython && !std::filesystem::exists(python)) {
    GTEST_SKIP() << "no /usr/bin/python3.X on this machine";
  }
  EXPECT_TRUE(std::filesystem::exists(python)) << python;
}

}  // namespace
}  // namespace pyreplay
