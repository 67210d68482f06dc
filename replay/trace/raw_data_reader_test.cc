#include "replay/trace/raw_data_reader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "replay/trace/rr_trace.capnp.h"
#include "replay/trace/trace_reader.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

using testing::TestTraceWriter;

constexpr size_t kChunk = 100;  // tiny chunks: most writes straddle or skip whole chunks

// Bytes that differ at every offset, so a read from a wrong offset shows.
std::string Pattern(size_t size, int seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + seed * 7 + 1) & 0xff);
  return s;
}

struct Expected {
  uint64_t offset;   // stream offset of the write's stored bytes
  std::string stored;
};

class RawDataReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("raw_data_reader_test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    // 60 frames of writes of various sizes; every 5th has a hole in the middle.
    for (int i = 0; i < 60; ++i) {
      std::string bytes = Pattern(static_cast<size_t>(7 + (i * 37) % 230), i);
      std::vector<std::pair<uint64_t, uint64_t>> holes;
      if (i % 5 == 0 && bytes.size() > 40) {
        for (size_t j = 10; j < 30; ++j) bytes[j] = '\0';
        holes.push_back({10, 20});
      }
      writer_.MemWrite(0x1000 + i, bytes, holes);
      if (i % 3 == 0) writer_.MemWrite(0x9000 + i, Pattern(4, i + 100));
      writer_.Sched(100);
    }
    writer_.WriteTo(dir_.string(), kChunk);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Data() const { return (dir_ / "data").string(); }
  std::string ReadData() const {
    std::ifstream in(Data(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteData(const std::string& bytes) const { TestTraceWriter::WriteFile(Data(), bytes); }

  // Offsets of every write, summed from the events stream's memWrites alone (size minus holes),
  // as the index does.
  std::vector<Expected> FromEvents() const {
    std::vector<Expected> out;
    auto events = StreamReader::Open(dir_.string(), "events");
    EXPECT_TRUE(events.ok());
    uint64_t offset = 0;
    const std::string& stream = writer_.data_stream();
    while (*(*events)->Next()) {
      EXPECT_TRUE((*events)->Visit([&]() -> absl::Status {
        for (auto w : (*events)->Root<rr::Frame>().getMemWrites()) {
          uint64_t stored = w.getSize();
          for (auto h : w.getHoles()) stored -= h.getSize();
          out.push_back({offset, stream.substr(offset, stored)});
          offset += stored;
        }
        return absl::OkStatus();
      }).ok());
    }
    EXPECT_EQ(offset, stream.size());
    return out;
  }

  std::filesystem::path dir_;
  TestTraceWriter writer_;
};

TEST_F(RawDataReaderTest, ReadsWritesAtOffsetsSummedFromTheFramesAcrossChunks) {
  std::vector<Expected> writes = FromEvents();
  ASSERT_GT(writes.size(), 60u);
  auto reader = RawDataReader::Open(dir_.string());
  ASSERT_TRUE(reader.ok()) << reader.status();
  int straddling = 0;
  // Every 4th write: the others are skipped.
  for (size_t i = 0; i < writes.size(); i += 4) {
    const Expected& e = writes[i];
    (*reader)->Skip(e.offset - (*reader)->position());
    std::string got;
    ASSERT_TRUE((*reader)->Read(e.stored.size(), &got).ok()) << i;
    EXPECT_EQ(got, e.stored) << "write " << i << " at stream byte " << e.offset;
    if (e.offset / kChunk != (e.offset + e.stored.size() - 1) / kChunk) ++straddling;
  }
  EXPECT_GT(straddling, 5);
  // Holes are not in the stream: a holed write's stored bytes skip the zero run.
  // writes[7] is frame 5's: 192 bytes with a hole at 10..30, so 172 stored.
  std::string holed = Pattern(192, 5);
  holed.erase(10, 20);
  EXPECT_EQ(writes[7].stored, holed);
  // Whole chunks between the wanted bytes were passed over without decompressing them.
  EXPECT_GT((*reader)->chunks_skipped(), 10u);
  EXPECT_GT((*reader)->chunks_decompressed(), 0u);
  EXPECT_EQ((*reader)->chunks_skipped() + (*reader)->chunks_decompressed(),
            (*reader)->position() / kChunk + 1);
}

TEST_F(RawDataReaderTest, SkippedChunksAreNeverDecompressed) {
  // Corrupt the Brotli block of chunk 3: reading around it still works.
  std::string bytes = ReadData();
  std::vector<size_t> starts;
  for (size_t at = 0; at < bytes.size();) {
    starts.push_back(at);
    uint32_t compressed;
    memcpy(&compressed, bytes.data() + at, 4);
    at += 8 + compressed;
  }
  ASSERT_GT(starts.size(), 10u);
  for (size_t i = starts[3] + 8; i < starts[4]; ++i) bytes[i] = static_cast<char>(~bytes[i]);
  WriteData(bytes);
  const std::string& stream = writer_.data_stream();
  auto reader = RawDataReader::Open(dir_.string());
  ASSERT_TRUE(reader.ok());
  std::string got;
  ASSERT_TRUE((*reader)->Read(10, &got).ok());
  EXPECT_EQ(got, stream.substr(0, 10));
  (*reader)->Skip(5 * kChunk + 20 - (*reader)->position());
  ASSERT_TRUE((*reader)->Read(150, &got).ok());  // chunks 5 and 6; 1 to 4 passed over
  EXPECT_EQ(got, stream.substr(5 * kChunk + 20, 150));
  EXPECT_EQ((*reader)->chunks_skipped(), 4u);
  EXPECT_EQ((*reader)->chunks_decompressed(), 3u);

  // Reading into the corrupt chunk is DataLoss naming the file, the chunk and both offsets.
  auto again = RawDataReader::Open(dir_.string());
  (*again)->Skip(3 * kChunk + 50);
  absl::Status status = (*again)->Read(4, &got);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find(Data() + ": chunk 3 at byte " + std::to_string(starts[3])),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("corrupt Brotli block"), std::string::npos) << status;
  EXPECT_NE(status.message().find("stream byte 350"), std::string::npos) << status;
  // The error sticks.
  EXPECT_EQ((*again)->Read(1, &got), status);
}

TEST_F(RawDataReaderTest, TruncatedFilesAreDataLossNamingFileChunkAndOffset) {
  const std::string full = ReadData();
  const uint64_t end = writer_.data_stream().size();
  for (size_t keep : {size_t{0}, size_t{3}, size_t{8}, size_t{20}, full.size() / 2,
                      full.size() - 1}) {
    WriteData(full.substr(0, keep));
    auto reader = RawDataReader::Open(dir_.string());
    ASSERT_TRUE(reader.ok());
    (*reader)->Skip(end - 4);
    std::string got;
    absl::Status status = (*reader)->Read(4, &got);
    ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << "kept " << keep << ": " << status;
    EXPECT_NE(status.message().find(Data()), std::string::npos) << status;
    EXPECT_NE(status.message().find(keep == 0 ? "stream ends" : "chunk "), std::string::npos)
        << status;
    EXPECT_NE(status.message().find(keep == 0 ? "stream byte" : " at byte "), std::string::npos)
        << status;
  }
}

TEST_F(RawDataReaderTest, ImplausibleAndWrongChunkSizes) {
  std::string bytes = ReadData();
  uint32_t huge = 0xfffffff0;
  memcpy(bytes.data() + 4, &huge, 4);
  WriteData(bytes);
  auto reader = RawDataReader::Open(dir_.string());
  std::string got;
  absl::Status status = (*reader)->Read(1, &got);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("chunk 0 at byte 0: implausible chunk size"), std::string::npos)
      << status;

  bytes = ReadData();
  uint32_t size;
  memcpy(&size, bytes.data() + 4, 4);
  memcpy(bytes.data() + 4, &(size = kChunk + 1), 4);
  WriteData(bytes);
  reader = RawDataReader::Open(dir_.string());
  status = (*reader)->Read(1, &got);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("wrong chunk size"), std::string::npos) << status;
}

TEST_F(RawDataReaderTest, ReadingPastTheEndAndMissingFiles) {
  auto reader = RawDataReader::Open(dir_.string());
  const uint64_t end = writer_.data_stream().size();
  (*reader)->Skip(end - 2);
  std::string got;
  absl::Status status = (*reader)->Read(5, &got);
  ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("stream ends at stream byte " + std::to_string(end)),
            std::string::npos)
      << status;
  EXPECT_NE(status.message().find("up to stream byte " + std::to_string(end + 3)),
            std::string::npos)
      << status;
  EXPECT_TRUE((*RawDataReader::Open(dir_.string()))->Read(0, &got).ok());
  EXPECT_EQ(RawDataReader::Open((dir_ / "nope").string()).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pyreplay
