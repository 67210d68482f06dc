#include "replay/pack/zstd_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class ZstdStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             absl::StrCat("zstd_stream_test-", getpid(), "-",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    data_.reserve(3 << 20);
    for (int i = 0; data_.size() < (3u << 20); ++i) absl::StrAppend(&data_, "line ", i * 7919, "\n");
  }
  void TearDown() override { fs::remove(path_); }

  std::string Compress(int threads) {
    int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ZstdFileWriter out(fd, 3, threads);
    for (size_t at = 0; at < data_.size(); at += 100000) {
      EXPECT_TRUE(out.Write(data_.data() + at, std::min<size_t>(100000, data_.size() - at)).ok());
    }
    EXPECT_TRUE(out.Finish().ok());
    close(fd);
    return *ReadFileToString(path_);
  }

  absl::StatusOr<std::string> Decompress(const std::string& bytes) {
    EXPECT_TRUE(WriteFileAtomically(path_, bytes).ok());
    absl::StatusOr<std::unique_ptr<ZstdFileReader>> in = ZstdFileReader::Open(path_);
    if (!in.ok()) return in.status();
    std::string out;
    for (;;) {
      absl::StatusOr<absl::string_view> chunk = (*in)->Next();
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) break;
      out.append(chunk->data(), chunk->size());
    }
    if (absl::Status end = (*in)->DrainToEnd(0); !end.ok()) return end;
    return out;
  }

  std::string path_;
  std::string data_;
};

TEST_F(ZstdStreamTest, RoundTripsAndIsReproducible) {
  std::string single = Compress(0);
  std::string threaded = Compress(2);
  EXPECT_EQ(Compress(2), threaded);
  EXPECT_EQ(*Decompress(single), data_);
  EXPECT_EQ(*Decompress(threaded), data_);
  EXPECT_LT(threaded.size(), data_.size() / 4);
}

TEST_F(ZstdStreamTest, EveryDamageIsCaught) {
  std::string good = Compress(2);
  for (size_t offset : {size_t{4}, size_t{5}, size_t{100}, good.size() / 2, good.size() - 70,
                        good.size() - 50, good.size() - 5, good.size() - 1}) {
    std::string bad = good;
    bad[offset] ^= 0x20;
    absl::StatusOr<std::string> out = Decompress(bad);
    EXPECT_FALSE(out.ok() && *out == data_) << "flip at " << offset;
    if (!out.ok()) EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << out.status();
    EXPECT_FALSE(out.ok()) << "flip at " << offset;
  }
  for (size_t cut : {good.size() / 2, good.size() - 57, good.size() - 1}) {
    absl::StatusOr<std::string> out = Decompress(good.substr(0, cut));
    EXPECT_NE(out.status().message().find("truncated"), std::string::npos) << out.status();
  }
  absl::StatusOr<std::string> trailing = Decompress(good + "x");
  EXPECT_NE(trailing.status().message().find("after the closing checksum"), std::string::npos)
      << trailing.status();
  EXPECT_NE(Decompress("not zstd at all").status().message().find("not zstd"), std::string::npos);
}

TEST_F(ZstdStreamTest, DrainingIsBounded) {
  Compress(0);
  std::unique_ptr<ZstdFileReader> in = *ZstdFileReader::Open(path_);
  absl::Status status = in->DrainToEnd(1000);
  EXPECT_NE(status.message().find("more than 1000 bytes follow"), std::string::npos) << status;
}

TEST_F(ZstdStreamTest, RequiresTheChecksum) {
  std::string good = Compress(0);
  good[4] &= ~0x04;  // clear Content_Checksum_flag
  EXPECT_NE(Decompress(good).status().message().find("no checksum"), std::string::npos);
}

}  // namespace
}  // namespace pyreplay
