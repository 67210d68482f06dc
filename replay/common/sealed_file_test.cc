#include "replay/common/sealed_file.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(SealedFile, RoundTrips) {
  std::string sealed = Seal(std::string("pay\0load", 8));
  ASSERT_EQ(sealed.size(), 8 + kSealBytes);
  absl::StatusOr<Unsealed> back = Unseal(sealed, "x");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->sealed);
  EXPECT_EQ(back->payload, std::string("pay\0load", 8));
}

TEST(SealedFile, AnyFlippedByteIsCaughtOrUnseals) {
  const std::string payload(100, 'a');
  const std::string sealed = Seal(payload);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0xff);
    absl::StatusOr<Unsealed> back = Unseal(bad, "marks");
    if (back.ok()) {
      // Only a flip in the seal's prefix makes the file look unsealed; then the payload the
      // reader gets is not the writer's (it holds the seal line), which its parser rejects.
      EXPECT_FALSE(back->sealed) << i;
      EXPECT_NE(back->payload, payload) << i;
    } else {
      EXPECT_NE(back.status().message().find("marks is damaged"), std::string::npos);
    }
  }
}

TEST(SealedFile, UnsealedFilesAreReturnedWhole) {
  absl::StatusOr<Unsealed> back = Unseal("short", "x");
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->sealed);
  EXPECT_EQ(back->payload, "short");
}

}  // namespace
}  // namespace pyreplay
