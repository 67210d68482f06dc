#include "replay/trace/task_stream.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

using testing::TestTraceWriter;

constexpr int32_t kCloneThread = 0x10000;  // CLONE_THREAD

class TaskStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("task_stream_test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    // 300 threads, each created at one frame and exiting some frames later; several records
    // share a frame time. Two exits come after the last frame (rr writes them at the end).
    writer_.Sched(100);
    for (int i = 0; i < 300; ++i) {
      writer_.Clone(1000 + i, 100, kCloneThread);
      if (i % 3 == 0) writer_.Clone(5000 + i, 100, 0);  // a fork at the same frame
      if (i >= 5) writer_.Exit(1000 + i - 5, i);
      writer_.Sched(100);
      if (i % 7 == 0) writer_.Sched(100);
    }
    last_frame_ = writer_.frames();
    writer_.Exit(1298);
    writer_.Exit(1299);
    writer_.WriteTo(dir_.string(), /*chunk_size=*/300);  // records straddle chunks
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Tasks() const { return (dir_ / "tasks").string(); }

  std::filesystem::path dir_;
  TestTraceWriter writer_;
  uint64_t last_frame_ = 0;
};

TEST_F(TaskStreamTest, RecordsComeDueAtTheirFramesWithOneRecordOfLookahead) {
  absl::StatusOr<std::unique_ptr<TaskStream>> tasks = TaskStream::Open(dir_.string());
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  uint64_t delivered = 0, clones = 0, forks = 0, exits = 0;
  TaskRecord task;
  for (uint64_t frame = 1; frame <= last_frame_; ++frame) {
    while (true) {
      absl::StatusOr<bool> due = (*tasks)->NextUpTo(frame, &task);
      ASSERT_TRUE(due.ok()) << due.status();
      if (!*due) break;
      // Due exactly at its own frame: not before, and not left for a later one.
      EXPECT_EQ(task.frame_time, frame);
      ++delivered;
      if (task.type == TaskRecord::kClone) {
        EXPECT_EQ(task.parent_tid, 100);
        ++(task.flags & kCloneThread ? clones : forks);
      } else {
        EXPECT_EQ(task.type, TaskRecord::kExit);
        ++exits;
      }
    }
    // Never more than the one record it looks ahead at is read before it is due.
    EXPECT_LE((*tasks)->records(), delivered + 1) << "frame " << frame;
  }
  EXPECT_EQ(clones, 300u);
  EXPECT_EQ(forks, 100u);
  EXPECT_EQ(exits, 295u);
  // The records stamped after the last frame come at the end.
  for (int32_t tid : {1298, 1299}) {
    absl::StatusOr<bool> due = (*tasks)->NextUpTo(UINT64_MAX, &task);
    ASSERT_TRUE(due.ok() && *due);
    EXPECT_EQ(task.tid, tid);
    EXPECT_EQ(task.type, TaskRecord::kExit);
  }
  absl::StatusOr<bool> end = (*tasks)->NextUpTo(UINT64_MAX, &task);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(*end);
  EXPECT_FALSE(*(*tasks)->NextUpTo(UINT64_MAX, &task));  // the end stays the end
}

TEST_F(TaskStreamTest, TruncatedAndCorruptStreamsAreDataLossNamingFileAndChunk) {
  std::ifstream in(Tasks(), std::ios::binary);
  const std::string full((std::istreambuf_iterator<char>(in)), {});
  for (size_t keep : {size_t{5}, full.size() / 2, full.size() - 3}) {
    TestTraceWriter::WriteFile(Tasks(), full.substr(0, keep));
    absl::StatusOr<std::unique_ptr<TaskStream>> tasks = TaskStream::Open(dir_.string());
    ASSERT_TRUE(tasks.ok());
    TaskRecord task;
    absl::Status status;
    for (int i = 0; i < 10000 && status.ok(); ++i) {
      absl::StatusOr<bool> due = (*tasks)->NextUpTo(UINT64_MAX, &task);
      if (!due.ok()) status = due.status();
      else if (!*due) break;
    }
    ASSERT_EQ(status.code(), absl::StatusCode::kDataLoss) << "kept " << keep << ": " << status;
    EXPECT_NE(status.message().find(Tasks() + ": chunk "), std::string::npos) << status;
    // The error sticks.
    EXPECT_EQ((*tasks)->NextUpTo(UINT64_MAX, &task).status(), status);
  }
  std::string corrupt = full;
  for (size_t i = 8; i < 40 && i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(~corrupt[i]);
  TestTraceWriter::WriteFile(Tasks(), corrupt);
  absl::StatusOr<std::unique_ptr<TaskStream>> tasks = TaskStream::Open(dir_.string());
  ASSERT_TRUE(tasks.ok());
  TaskRecord task;
  absl::StatusOr<bool> due = (*tasks)->NextUpTo(1, &task);
  ASSERT_EQ(due.status().code(), absl::StatusCode::kDataLoss) << due.status();
  EXPECT_NE(due.status().message().find("chunk 0 at byte 0"), std::string::npos) << due.status();
}

TEST_F(TaskStreamTest, MissingAndEmptyStreams) {
  std::filesystem::remove(Tasks());
  EXPECT_EQ(TaskStream::Open(dir_.string()).status().code(), absl::StatusCode::kNotFound);
  TestTraceWriter::WriteFile(Tasks(), "");
  absl::StatusOr<std::unique_ptr<TaskStream>> tasks = TaskStream::Open(dir_.string());
  ASSERT_TRUE(tasks.ok());
  TaskRecord task;
  absl::StatusOr<bool> due = (*tasks)->NextUpTo(UINT64_MAX, &task);
  ASSERT_TRUE(due.ok());
  EXPECT_FALSE(*due);
}

}  // namespace
}  // namespace pyreplay
