#include "replay/sources/debian_version.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(CompareDebianVersions, OrdersAsDpkgDoes) {
  EXPECT_LT(CompareDebianVersions("3.11.2-6+deb12u8", "3.11.2-6+deb12u9"), 0);
  EXPECT_LT(CompareDebianVersions("3.11.2-6+deb12u9", "3.11.2-6+deb12u10"), 0);
  EXPECT_LT(CompareDebianVersions("3.11.2-6", "3.11.2-6+deb12u1"), 0);
  EXPECT_LT(CompareDebianVersions("3.11.2~rc1-1", "3.11.2-1"), 0);
  EXPECT_LT(CompareDebianVersions("3.11.2-1", "1:3.10.0-1"), 0);
  EXPECT_GT(CompareDebianVersions("3.11.10-1", "3.11.9-1"), 0);
  EXPECT_EQ(CompareDebianVersions("3.11.2-6+deb12u9", "3.11.2-6+deb12u9"), 0);
  EXPECT_EQ(CompareDebianVersions("0:1.0-1", "1.0-1"), 0);
  EXPECT_LT(CompareDebianVersions("1.0a-1", "1.0+-1"), 0);  // letters before non-letters
}

TEST(UpstreamVersion, DropsEpochAndRevision) {
  EXPECT_EQ(UpstreamVersion("3.11.2-6+deb12u9"), "3.11.2");
  EXPECT_EQ(UpstreamVersion("2:1.2-3-4"), "1.2-3");
  EXPECT_EQ(UpstreamVersion("1.0"), "1.0");
}

TEST(PickNearestVersion, ExactWhenAvailable) {
  EXPECT_EQ(PickNearestVersion("3.11.2-6+deb12u9", {"3.11.2-6+deb12u8", "3.11.2-6+deb12u9"}),
            "3.11.2-6+deb12u9");
}

TEST(PickNearestVersion, PreviousRevisionWhenExactIsMissing) {
  EXPECT_EQ(PickNearestVersion("3.11.2-6+deb12u9",
                               {"3.11.2-6+deb12u6", "3.11.2-6+deb12u8", "3.11.2-6+deb12u10"}),
            "3.11.2-6+deb12u8");
}

TEST(PickNearestVersion, NextRevisionWhenNothingOlder) {
  EXPECT_EQ(PickNearestVersion("3.11.2-6", {"3.11.2-6+deb12u12", "3.11.2-6+deb12u10"}),
            "3.11.2-6+deb12u10");
}

TEST(PickNearestVersion, NeverAnotherUpstreamRelease) {
  EXPECT_EQ(PickNearestVersion("3.11.2-6+deb12u9", {"3.11.4-1", "3.11.1-1"}), std::nullopt);
  EXPECT_EQ(PickNearestVersion("3.11.2-6+deb12u9", {}), std::nullopt);
}

}  // namespace
}  // namespace pyreplay
