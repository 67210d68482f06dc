#include "replay/trace/trace_reader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

using testing::TestTraceWriter;

class TraceReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trace_reader_test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    for (int i = 0; i < 400; ++i) {
      writer_.Syscall(100 + i % 7, 41, true, {2, 1, 0});
      writer_.Syscall(100 + i % 7, 41, false, {}, 3);
    }
    writer_.WriteTo(dir_.string(), /*chunk_size=*/1000);  // messages straddle chunks
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Events() const { return (dir_ / "events").string(); }
  std::string ReadEvents() const {
    std::ifstream in(Events(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteEvents(const std::string& bytes) const { TestTraceWriter::WriteFile(Events(), bytes); }

  // ReadAll reads every frame; returns the status of the first failure or the frame count.
  absl::StatusOr<uint64_t> ReadAll() const {
    absl::StatusOr<std::unique_ptr<StreamReader>> reader = StreamReader::Open(dir_.string(), "events");
    if (!reader.ok()) return reader.status();
    uint64_t n = 0;
    while (true) {
      absl::StatusOr<bool> more = (*reader)->Next();
      if (!more.ok()) return more.status();
      if (!*more) return n;
      absl::Status visited = (*reader)->Visit([&]() -> absl::Status {
        auto frame = (*reader)->Root<rr::Frame>();
        if (frame.getTid() != static_cast<int32_t>(100 + (n / 2) % 7)) {
          return absl::InternalError("wrong tid");
        }
        return absl::OkStatus();
      });
      if (!visited.ok()) return visited;
      ++n;
    }
  }

  std::filesystem::path dir_;
  TestTraceWriter writer_;
};

TEST_F(TraceReaderTest, ReadsEveryFrameAcrossChunkBoundaries) {
  absl::StatusOr<uint64_t> frames = ReadAll();
  ASSERT_TRUE(frames.ok()) << frames.status();
  EXPECT_EQ(*frames, 800u);
  EXPECT_EQ(*DecodeEvents(dir_.string()), 800u);
}

TEST_F(TraceReaderTest, TruncatedStreamsAreDataLossNamingFileChunkAndOffset) {
  const std::string full = ReadEvents();
  for (size_t keep : {size_t{3}, size_t{8}, size_t{20}, full.size() / 3, full.size() / 2,
                      full.size() - 1}) {
    WriteEvents(full.substr(0, keep));
    absl::StatusOr<uint64_t> frames = ReadAll();
    ASSERT_FALSE(frames.ok()) << "kept " << keep;
    EXPECT_EQ(frames.status().code(), absl::StatusCode::kDataLoss) << frames.status();
    EXPECT_NE(frames.status().message().find(Events()), std::string::npos) << frames.status();
    EXPECT_NE(frames.status().message().find("chunk "), std::string::npos) << frames.status();
    EXPECT_NE(frames.status().message().find("at byte "), std::string::npos) << frames.status();
  }
}

TEST_F(TraceReaderTest, TruncatedAtAChunkBoundaryInsideAMessageIsDataLoss) {
  // Cut exactly after the first chunk: the message straddling into chunk 1 is incomplete.
  const std::string full = ReadEvents();
  uint32_t header[2];
  memcpy(header, full.data(), 8);
  WriteEvents(full.substr(0, 8 + header[0]));
  absl::StatusOr<uint64_t> frames = ReadAll();
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.status().code(), absl::StatusCode::kDataLoss) << frames.status();
}

TEST_F(TraceReaderTest, CorruptBrotliBlockIsDataLoss) {
  std::string bytes = ReadEvents();
  uint32_t header[2];
  memcpy(header, bytes.data(), 8);
  size_t second = 8 + header[0];  // the second chunk's header
  for (size_t i = second + 8 + 2; i < second + 8 + 12; ++i) bytes[i] = static_cast<char>(~bytes[i]);
  WriteEvents(bytes);
  absl::StatusOr<uint64_t> frames = ReadAll();
  ASSERT_FALSE(frames.ok());
  EXPECT_EQ(frames.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(frames.status().message().find("chunk 1 at byte " + std::to_string(second)),
            std::string::npos)
      << frames.status();
}

TEST_F(TraceReaderTest, WrongChunkSizeIsDataLoss) {
  const std::string full = ReadEvents();
  for (int delta : {+1, -1}) {
    std::string bytes = full;
    uint32_t uncompressed;
    memcpy(&uncompressed, bytes.data() + 4, 4);
    uncompressed += delta;
    memcpy(bytes.data() + 4, &uncompressed, 4);
    WriteEvents(bytes);
    absl::StatusOr<uint64_t> frames = ReadAll();
    ASSERT_FALSE(frames.ok()) << "delta " << delta;
    EXPECT_EQ(frames.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_NE(frames.status().message().find("chunk 0 at byte 0"), std::string::npos)
        << frames.status();
  }
  // A compressed size beyond the file, and an implausible one.
  for (uint32_t compressed : {uint32_t{1} << 20, uint32_t{0xfffffff0}}) {
    std::string bytes = full;
    memcpy(bytes.data(), &compressed, 4);
    WriteEvents(bytes);
    absl::StatusOr<uint64_t> frames = ReadAll();
    ASSERT_FALSE(frames.ok());
    EXPECT_EQ(frames.status().code(), absl::StatusCode::kDataLoss) << frames.status();
  }
}

TEST_F(TraceReaderTest, AfterAnErrorNextKeepsFailing) {
  WriteEvents(ReadEvents().substr(0, 100));
  auto reader = StreamReader::Open(dir_.string(), "events");
  ASSERT_TRUE(reader.ok());
  absl::Status first;
  for (int i = 0; i < 1000 && first.ok(); ++i) {
    absl::StatusOr<bool> more = (*reader)->Next();
    if (!more.ok()) first = more.status();
  }
  ASSERT_FALSE(first.ok());
  EXPECT_EQ((*reader)->Next().status(), first);
}

TEST_F(TraceReaderTest, MissingAndEmptyFiles) {
  EXPECT_EQ(StreamReader::Open(dir_.string(), "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadTraceHeader((dir_ / "no-such-trace").string()).status().code(),
            absl::StatusCode::kNotFound);
  WriteEvents("");
  absl::StatusOr<uint64_t> frames = ReadAll();
  ASSERT_TRUE(frames.ok());  // an empty stream has no messages; the index rejects it
  EXPECT_EQ(*frames, 0u);
  TestTraceWriter::WriteFile((dir_ / "version").string(), "");
  absl::StatusOr<TraceHeader> header = ReadTraceHeader(dir_.string());
  EXPECT_EQ(header.status().code(), absl::StatusCode::kDataLoss) << header.status();
  EXPECT_NE(header.status().message().find("empty"), std::string::npos);
}

TEST_F(TraceReaderTest, HeaderVersionAndUuid) {
  absl::StatusOr<TraceHeader> header = ReadTraceHeader(dir_.string());
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->version, 85);
  EXPECT_EQ(header->uuid, std::string(16, '\x42'));
  std::string hex;
  for (int i = 0; i < 16; ++i) hex += "42";
  EXPECT_EQ(UuidHex(header->uuid), hex);
  TestTraceWriter::WriteFile((dir_ / "version").string(), testing::VersionFile(std::string(16, 'x'), 86));
  header = ReadTraceHeader(dir_.string());
  ASSERT_EQ(header.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(header.status().message().find("86"), std::string::npos) << header.status();
  EXPECT_NE(header.status().message().find("85"), std::string::npos) << header.status();
  TestTraceWriter::WriteFile((dir_ / "version").string(), "85\n\x10\x20garbage");
  EXPECT_EQ(ReadTraceHeader(dir_.string()).status().code(), absl::StatusCode::kDataLoss);
  TestTraceWriter::WriteFile((dir_ / "version").string(), "hello\n");
  EXPECT_EQ(ReadTraceHeader(dir_.string()).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace pyreplay
