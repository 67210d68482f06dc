#include "replay/common/elf_build_id.h"

#include <gtest/gtest.h>

#include <fstream>

namespace pyreplay {
namespace {

TEST(ElfBuildIdTest, ReadsOurOwnBinary) {
  absl::StatusOr<std::string> id = ReadBuildId("/proc/self/exe");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_GE(id->size(), 16u);
  EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ElfBuildIdTest, RejectsNonElf) {
  std::string path = ::testing::TempDir() + "/not-elf";
  std::ofstream(path) << "#!/bin/sh\necho hi\n";
  absl::StatusOr<std::string> id = ReadBuildId(path);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(id.status().message().find(path), absl::string_view::npos);
}

TEST(ElfBuildIdTest, DebugFileLayoutMatchesGdb) {
  EXPECT_EQ(DebugFileForBuildId("/usr/lib/debug", "abcdef"), "/usr/lib/debug/.build-id/ab/cdef.debug");
}

}  // namespace
}  // namespace pyreplay
