#include "replay/deep_index/deep_index.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "replay/deep_index/deep_builder.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

IndexEntry Entry(EventKind kind, uint64_t event, int32_t tid, int32_t parent = 0) {
  IndexEntry e;
  e.kind = kind;
  e.event = event;
  e.tid = tid;
  e.parent_tid = parent;
  return e;
}

EventIndex SampleIndex() {
  EventIndex index;
  index.uuid = std::string("0123456789abcdef", 16);
  index.streams = {{"events", 1000, std::string(64, 'a')}, {"tasks", 200, std::string(64, 'b')}};
  index.entries = {
      Entry(EventKind::kSocket, 50, 100),
      Entry(EventKind::kThreadStart, 60, 101, /*parent=*/100),
      Entry(EventKind::kConnect, 70, 100),
      Entry(EventKind::kAccept, 72, 101),
      Entry(EventKind::kConnect, 90, 100),
      Entry(EventKind::kThreadExit, 95, 101),
  };
  return index;
}

DeepStop Stop(uint64_t when, int32_t tid, EventKind kind, const std::string& function, int line) {
  DeepStop s;
  s.when = when;
  s.tid = tid;
  s.kind = kind;
  s.stack = {{"/s/sockets.py", line, function}, {"/s/sockets.py", 80, "main"}};
  return s;
}

TEST(DeepIndexTest, AssembleMatchesStopsToTheActingThreadsNextEntry) {
  EventIndex index = SampleIndex();
  std::vector<DeepStop> stops = {
      Stop(58, 100, EventKind::kThreadStart, "start", 10),  // the parent creates thread 101
      Stop(65, 100, EventKind::kConnect, "talk", 41),      // -> connect at 70
      Stop(66, 101, EventKind::kAccept, "serve", 26),      // -> accept at 72
      Stop(80, 100, EventKind::kConnect, "wrong", 1),      // a call that made no syscall...
      Stop(85, 100, EventKind::kConnect, "talk", 42),      // ...is replaced by the last stop
      Stop(96, 100, EventKind::kConnect, "late", 1),       // no entry after it: dropped
  };
  stops[0].child_name = "Thread-1 (serve)";
  DeepIndex deep = AssembleDeepIndex(index, stops, {{100, "MainThread"}});
  ASSERT_EQ(deep.entries.size(), 4u);
  const DeepEntry* thread = deep.Find(60);
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ(thread->tid, 100);
  EXPECT_EQ(thread->stack[0].function, "start");
  EXPECT_EQ(deep.Find(70)->stack[0].line, 41);
  EXPECT_EQ(deep.Find(72)->stack[0].function, "serve");
  EXPECT_EQ(deep.Find(90)->stack[0].line, 42);
  EXPECT_EQ(deep.Find(90)->stop_event, 85u);
  EXPECT_EQ(deep.Find(50), nullptr);  // no stop for it
  EXPECT_EQ(PythonLocation(*deep.Find(70)), "sockets.py:41 in talk()");
  EXPECT_EQ(deep.ThreadName(101), "Thread-1 (serve)");  // named by its creator's stop
  EXPECT_EQ(ThreadLabel(&deep, 101), "Thread-1 (serve) [101]");
  EXPECT_EQ(ThreadLabel(&deep, 555), "555");
  EXPECT_EQ(ThreadLabel(nullptr, 101), "101");
  EXPECT_EQ(deep.stops, 6u);
}

class DeepIndexFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("deep_index_test_" + std::to_string(getpid()));
    fs::create_directories(dir_ / "pyreplay");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DeepIndexFileTest, RoundTripsAndGoesStaleWithTheIndex) {
  EventIndex index = SampleIndex();
  DeepIndex deep = AssembleDeepIndex(
      index, {Stop(65, 100, EventKind::kConnect, "Client.talk", 41)}, {{100, "MainThread"}});
  ASSERT_TRUE(WriteDeepIndex(dir_.string(), deep).ok());
  absl::StatusOr<DeepIndex> loaded = LoadFreshDeepIndex(dir_.string(), index);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->entries.size(), 1u);
  EXPECT_EQ(loaded->entries[0].stack[0].function, "Client.talk");
  EXPECT_EQ(loaded->entries[0].stack[1].line, 80);
  EXPECT_EQ(loaded->ThreadName(100), "MainThread");

  index.streams[0].size += 1;  // the trace changed: the index is rebuilt, the deep index is stale
  absl::Status stale = LoadFreshDeepIndex(dir_.string(), index).status();
  EXPECT_EQ(stale.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(stale.message(), "pyreplay index --deep")) << stale;
}

TEST_F(DeepIndexFileTest, MissingAndCorruptFiles) {
  EXPECT_EQ(LoadDeepIndex(dir_.string()).status().code(), absl::StatusCode::kNotFound);
  std::ofstream(DeepIndexPath(dir_.string())) << "\xff\xff\x01garbage";
  absl::Status corrupt = LoadDeepIndex(dir_.string()).status();
  EXPECT_TRUE(corrupt.code() == absl::StatusCode::kDataLoss ||
              corrupt.code() == absl::StatusCode::kFailedPrecondition)
      << corrupt;
}

}  // namespace
}  // namespace pyreplay
