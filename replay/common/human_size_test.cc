#include "replay/common/human_size.h"

#include <gtest/gtest.h>

namespace pyreplay {
namespace {

TEST(HumanSizeTest, EachUnitFromItsThreshold) {
  EXPECT_EQ(HumanSize(0), "0 B");
  EXPECT_EQ(HumanSize(1023), "1023 B");
  EXPECT_EQ(HumanSize(1024), "1.0 KiB");
  EXPECT_EQ(HumanSize(1536), "1.5 KiB");
  EXPECT_EQ(HumanSize(16ull << 20), "16.0 MiB");
  EXPECT_EQ(HumanSize(3ull << 29), "1.50 GiB");
}

}  // namespace
}  // namespace pyreplay
