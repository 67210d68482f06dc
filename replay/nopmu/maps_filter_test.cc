#include "replay/nopmu/maps_filter.h"

#include <gtest/gtest.h>

namespace pyreplay::nopmu {
namespace {

TEST(MapsFilterTest, MergesAdjacentVvarPair) {
  std::string in =
      "7f00-7f10 r-xp 00000000 08:01 1 /usr/lib/libc.so.6\n"
      "7f11cb43e000-7f11cb442000 r--p 00000000 00:00 0                          [vvar]\n"
      "7f11cb442000-7f11cb444000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
      "7f11cb444000-7f11cb446000 r-xp 00000000 00:00 0                          [vdso]\n";
  EXPECT_EQ(MergeVvarLines(in),
            "7f00-7f10 r-xp 00000000 08:01 1 /usr/lib/libc.so.6\n"
            "7f11cb43e000-7f11cb444000 r--p 00000000 00:00 0                          [vvar]\n"
            "7f11cb444000-7f11cb446000 r-xp 00000000 00:00 0                          [vdso]\n");
}

TEST(MapsFilterTest, LeavesNonAdjacentPairAlone) {
  std::string in =
      "1000-2000 r--p 00000000 00:00 0 [vvar]\n"
      "3000-4000 r--p 00000000 00:00 0 [vvar_vclock]\n";
  EXPECT_EQ(MergeVvarLines(in), in);
}

TEST(MapsFilterTest, OldKernelUnchangedAndLastLineWithoutNewline) {
  std::string in = "1000-2000 r--p 00000000 00:00 0 [vvar]\n2000-3000 r-xp 00000000 00:00 0 [vdso]";
  EXPECT_EQ(MergeVvarLines(in), in);
}

TEST(MapsFilterTest, RecognisesMapsPaths) {
  EXPECT_TRUE(IsProcMapsPath("/proc/123/maps"));
  EXPECT_TRUE(IsProcMapsPath("/proc/self/task/5/maps"));
  EXPECT_FALSE(IsProcMapsPath("/proc/123/smaps_rollup"));
  EXPECT_FALSE(IsProcMapsPath("/tmp/maps"));
}

}  // namespace
}  // namespace pyreplay::nopmu
