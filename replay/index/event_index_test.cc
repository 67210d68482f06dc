#include "replay/index/event_index.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "replay/index/index_report.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;
using testing::RrSockaddrIn;
using testing::TestTraceWriter;

constexpr uint32_t kLoopback = 0x7f000001;

class EventIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("event_index_test-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    fs::permissions(root_, fs::perms::all, fs::perm_options::add);
    fs::remove_all(root_);
  }

  // A server (tid 10) listening on 127.0.0.1:8765, and a client thread (tid 11) connecting
  // `connections` times from ports 40000+i; with `reuse`, every connection uses port 40000.
  static TestTraceWriter ServerAndClient(int connections, bool reuse = false) {
    TestTraceWriter w;
    w.Syscall(10, 41, true, {2, 1 | 0x80000, 0});
    w.Syscall(10, 41, false, {}, 3);
    w.Syscall(10, 49, true, {3, 0x1000, 16});
    w.Syscall(10, 49, false, {}, 0);
    w.Syscall(10, 50, true, {3, 5});
    w.Syscall(10, 50, false, {}, 0);
    w.Clone(11, 10, CLONE_THREAD | CLONE_VM | CLONE_FILES);
    w.Sched(11);
    for (int i = 0; i < connections; ++i) {
      std::string server = RrSockaddrIn(kLoopback, 8765);
      std::string client = RrSockaddrIn(kLoopback, static_cast<uint16_t>(reuse ? 40000 : 40000 + i));
      w.Syscall(10, 288, true, {3, 0, 0});
      w.Syscall(11, 41, true, {2, 1, 0});
      w.Syscall(11, 41, false, {}, 5);
      w.Syscall(11, 42, true, {5, 0x2000, 16});
      w.Syscall(11, 42, false, {}, 0, client, server);
      w.Syscall(10, 288, false, {}, 4, server, client);
    }
    w.Syscall(11, 42, true, {5, 0x2000, 16});
    w.Syscall(11, 42, false, {}, -111);  // ECONNREFUSED: no addresses
    w.Exit(11);
    w.Sched(10);
    w.Exit(10);
    return w;
  }

  std::string Trace(const std::string& name, const TestTraceWriter& w, char uuid = 'a') {
    std::string dir = (root_ / name).string();
    w.WriteTo(dir, 700, std::string(16, uuid));
    return dir;
  }

  fs::path root_;
};

TEST_F(EventIndexTest, IndexesSocketCallsThreadsAndPairsConnections) {
  std::string dir = Trace("t", ServerAndClient(3));
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->uuid, std::string(16, 'a'));
  ASSERT_EQ(index->threads.size(), 2u);
  EXPECT_EQ(index->threads[1].tid, 11);
  EXPECT_EQ(index->threads[1].parent_tid, 10);
  EXPECT_EQ(index->threads[1].pid, 10);
  EXPECT_EQ(index->threads[1].created_at, 7u);
  ASSERT_EQ(index->processes.size(), 1u);
  EXPECT_NE(index->processes[0].exited_at, 0u);

  std::vector<const IndexEntry*> connects, accepts;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kConnect) connects.push_back(&e);
    if (e.kind == EventKind::kAccept) accepts.push_back(&e);
  }
  ASSERT_EQ(connects.size(), 4u);
  ASSERT_EQ(accepts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const IndexEntry& c = *connects[i];
    EXPECT_EQ(c.tid, 11);
    EXPECT_EQ(c.fd, 5);
    EXPECT_EQ(c.family, 2);
    EXPECT_EQ(c.type, 1);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.local.text, "127.0.0.1:" + std::to_string(40000 + i));
    EXPECT_EQ(c.remote.text, "127.0.0.1:8765");
    ASSERT_GE(c.peer, 0);
    const IndexEntry& a = index->entries[c.peer];
    EXPECT_EQ(&a, accepts[i]);
    EXPECT_EQ(index->entries[a.peer].event, c.event);
    EXPECT_EQ(a.result, 4);
    EXPECT_EQ(a.fd, 3);
    EXPECT_EQ(a.syscall, 288);
    EXPECT_EQ(DescribeEntry(*index, c).substr(0, 41), "127.0.0.1:" + std::to_string(40000 + i) +
                                                          " -> 127.0.0.1:8765 fd 5 ok");
  }
  EXPECT_FALSE(connects[3]->ok());
  EXPECT_EQ(connects[3]->result, -111);
  EXPECT_EQ(connects[3]->peer, -1);
  EXPECT_NE(DescribeEntry(*index, *connects[3]).find("ECONNREFUSED"), std::string::npos);
  // The bind's address is not in the trace; it is inferred from the accepts.
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kBind) {
      EXPECT_EQ(e.local.text, "127.0.0.1:8765");
      EXPECT_TRUE(e.local.inferred);
    }
    if (e.kind == EventKind::kSocket && e.tid == 10) EXPECT_EQ(e.type, 1);  // flags masked
  }
  // Entries are in event order; events are rr's frame numbers.
  for (size_t i = 1; i < index->entries.size(); ++i) {
    EXPECT_LE(index->entries[i - 1].event, index->entries[i].event);
  }
  EXPECT_EQ(index->entries[0].event, 1u);
  EXPECT_EQ(index->entries[0].exit_event, 2u);
}

TEST_F(EventIndexTest, ReusedPortsPairWithTheNearestAccept) {
  std::string dir = Trace("t", ServerAndClient(3, /*reuse=*/true));
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<size_t> connects, accepts;
  for (size_t i = 0; i < index->entries.size(); ++i) {
    if (index->entries[i].kind == EventKind::kConnect && index->entries[i].ok()) connects.push_back(i);
    if (index->entries[i].kind == EventKind::kAccept) accepts.push_back(i);
  }
  ASSERT_EQ(connects.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(index->entries[connects[i]].peer, static_cast<int64_t>(accepts[i]));
  }
}

TEST_F(EventIndexTest, InterruptedAcceptCompletedByRestartSyscall) {
  TestTraceWriter w;
  std::string server = RrSockaddrIn(kLoopback, 8765), client = RrSockaddrIn(kLoopback, 40000);
  w.Syscall(10, 41, true, {2, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  w.Syscall(10, 288, true, {3, 0, 0});
  w.Syscall(10, 288, false, {}, -512);  // ERESTARTSYS: a signal came in
  w.Syscall(11, 42, true, {5, 0x2000, 16});
  w.Syscall(11, 42, false, {}, 0, client, server);
  w.Syscall(10, 219, true);
  w.Syscall(10, 219, false, {}, 4, server, client);
  std::string dir = Trace("t", w);
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok()) << index.status();
  const IndexEntry* accept = nullptr;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kAccept) accept = &e;
  }
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->event, 3u);
  EXPECT_EQ(accept->exit_event, 8u);
  EXPECT_EQ(accept->result, 4);
  EXPECT_EQ(accept->remote.text, "127.0.0.1:40000");
  ASSERT_GE(accept->peer, 0);
  EXPECT_EQ(index->entries[accept->peer].kind, EventKind::kConnect);
}

TEST_F(EventIndexTest, SavedIndexRoundTripsAndStaleOneIsRebuilt) {
  std::string a = Trace("a", ServerAndClient(2), 'a');
  std::string b = Trace("b", ServerAndClient(5), 'b');
  EXPECT_EQ(*CheckIndexFreshness(a), IndexFreshness::kMissing);
  bool rebuilt = false;
  absl::StatusOr<EventIndex> built = LoadOrBuildIndex(a, nullptr, &rebuilt);
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(rebuilt);
  EXPECT_EQ(*CheckIndexFreshness(a), IndexFreshness::kFresh);
  absl::StatusOr<EventIndex> loaded = LoadOrBuildIndex(a, nullptr, &rebuilt);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(rebuilt);
  ASSERT_EQ(loaded->entries.size(), built->entries.size());
  for (size_t i = 0; i < built->entries.size(); ++i) {
    EXPECT_EQ(DescribeEntry(*loaded, loaded->entries[i]), DescribeEntry(*built, built->entries[i]));
    EXPECT_EQ(loaded->entries[i].peer, built->entries[i].peer);
  }
  // Another trace's index copied in is stale (uuid differs), and is rebuilt.
  fs::create_directories(fs::path(b) / "pyreplay");
  fs::copy_file(IndexPath(a), IndexPath(b));
  EXPECT_EQ(*CheckIndexFreshness(b), IndexFreshness::kStale);
  absl::StatusOr<EventIndex> other = LoadOrBuildIndex(b, nullptr, &rebuilt);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(rebuilt);
  EXPECT_EQ(other->uuid, std::string(16, 'b'));
  EXPECT_EQ(*CheckIndexFreshness(b), IndexFreshness::kFresh);
  // A stream that changed (same uuid) makes it stale too.
  ServerAndClient(4).WriteTo(a, 700, std::string(16, 'a'));
  EXPECT_EQ(*CheckIndexFreshness(a), IndexFreshness::kStale);
  // A corrupt index file is stale, not an error.
  TestTraceWriter::WriteFile(IndexPath(a), "garbage");
  EXPECT_EQ(*CheckIndexFreshness(a), IndexFreshness::kStale);
  ASSERT_TRUE(LoadOrBuildIndex(a).ok());
}

TEST_F(EventIndexTest, BadTracesFailCleanlyAndLeaveNoIndex) {
  std::string dir = Trace("t", ServerAndClient(3));
  std::string events = dir + "/events";
  std::ifstream in(events, std::ios::binary);
  std::string full((std::istreambuf_iterator<char>(in)), {});
  for (size_t keep : {size_t{5}, size_t{9}, full.size() / 2, full.size() - 3}) {
    TestTraceWriter::WriteFile(events, full.substr(0, keep));
    absl::StatusOr<EventIndex> index = LoadOrBuildIndex(dir);
    ASSERT_FALSE(index.ok());
    EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
    EXPECT_FALSE(fs::exists(IndexPath(dir)));
    if (fs::exists(fs::path(dir) / "pyreplay")) {
      EXPECT_TRUE(fs::is_empty(fs::path(dir) / "pyreplay"));
    }
  }
  TestTraceWriter::WriteFile(events, "");
  EXPECT_EQ(LoadOrBuildIndex(dir).status().code(), absl::StatusCode::kDataLoss);
  fs::remove(events);
  EXPECT_EQ(LoadOrBuildIndex(dir).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(LoadOrBuildIndex((root_ / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
  TestTraceWriter::WriteFile(dir + "/version", testing::VersionFile(std::string(16, 'a'), 90));
  EXPECT_EQ(LoadOrBuildIndex(dir).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fs::exists(IndexPath(dir)));
}

// RunAsNobody runs `f` in a child process with uid/gid 65534, so permissions apply even when the
// tests run as root; returns f's result.
int RunAsNobody(const std::function<int()>& f) {
  pid_t child = fork();
  if (child == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    _exit(f());
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST_F(EventIndexTest, UnreadableTraceDirectoryIsOneErrorNotACrash) {
  std::string dir = Trace("t", ServerAndClient(1));
  fs::permissions(root_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::others_read);
  fs::permissions(dir, fs::perms::owner_all);  // 0700: nobody cannot read it
  int code = RunAsNobody([&] {
    absl::StatusOr<EventIndex> index = LoadOrBuildIndex(dir);
    if (index.ok()) return 1;
    if (index.status().code() != absl::StatusCode::kPermissionDenied) return 2;
    if (index.status().message().find(dir) == absl::string_view::npos) return 3;
    return 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(fs::exists(IndexPath(dir)));
}

TEST_F(EventIndexTest, ReadOnlyTraceStillIndexesWithoutSaving) {
  std::string dir = Trace("t", ServerAndClient(1));
  fs::permissions(root_, fs::perms::owner_all | fs::perms::others_exec | fs::perms::others_read);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  int code = RunAsNobody([&] {
    bool rebuilt = false;
    absl::StatusOr<EventIndex> index = LoadOrBuildIndex(dir, nullptr, &rebuilt);
    return index.ok() && rebuilt ? 0 : 1;
  });
  EXPECT_EQ(code, 0);
  EXPECT_FALSE(fs::exists(IndexPath(dir)));
}

TEST_F(EventIndexTest, FilterAndKinds) {
  std::string dir = Trace("t", ServerAndClient(2));
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok());
  EventFilter filter;
  filter.kinds = *ParseKinds("connect,accept");
  filter.tid = 11;
  std::vector<size_t> selected = FilterEvents(*index, filter);
  ASSERT_EQ(selected.size(), 3u);
  for (size_t i : selected) EXPECT_EQ(index->entries[i].kind, EventKind::kConnect);
  EXPECT_FALSE(ParseKinds("connect,bogus").ok());
  EXPECT_EQ(*ParseEventKind("accept4"), EventKind::kAccept);
  for (int k = 0; k < kEventKindCount; ++k) {
    EXPECT_EQ(*ParseEventKind(EventKindName(static_cast<EventKind>(k))), static_cast<EventKind>(k));
  }
}

}  // namespace
}  // namespace pyreplay
