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

// Sockaddr is a sockaddr_un of `path` as CPython passes it to bind and connect (no NUL counted).
std::string SockaddrUnArg(const std::string& path) { return std::string("\x01\x00", 2) + path; }

// A Unix server (tid 100: socket 10, bind 12, listen 14, accepts 30 and 40 on fd 3) and two
// clients (tids 101, 102), the first bound to a path of its own, and a refused TCP connect.
EventIndex UnixIndex() {
  auto socket_call = [](EventKind kind, uint64_t event, int32_t tid, uint64_t opened_at) {
    IndexEntry e = Entry(kind, event, tid);
    e.exit_event = event + 1;
    e.finished = true;
    e.family = 1;
    e.opened_at = opened_at;
    e.fd = 3;
    return e;
  };
  EventIndex index = SampleIndex();
  index.entries.clear();
  index.entries.push_back(socket_call(EventKind::kBind, 12, 100, 10));
  index.entries.push_back(socket_call(EventKind::kListen, 14, 100, 10));
  index.entries.push_back(socket_call(EventKind::kBind, 18, 101, 16));
  index.entries.push_back(socket_call(EventKind::kConnect, 20, 101, 16));
  index.entries.push_back(socket_call(EventKind::kConnect, 24, 102, 22));
  index.entries.back().local = {AddressFamily::kUnix, "(unnamed)", AddressSource::kInferred};
  IndexEntry refused = socket_call(EventKind::kConnect, 26, 100, 25);
  refused.family = 2;
  refused.result = -111;
  index.entries.push_back(refused);
  for (uint64_t event : {28, 34}) {
    IndexEntry accept = socket_call(EventKind::kAccept, event, 100, 10);
    accept.exit_event = event + 2;
    accept.result = 4;
    accept.remote = {AddressFamily::kUnix, event == 28 ? "/tmp/c.sock" : "(unnamed)",
                     AddressSource::kSyscall};
    index.entries.push_back(accept);
  }
  return index;
}

TEST(DeepIndexTest, DeepAddressesNameUnixSocketsAndPairTheirConnections) {
  EventIndex index = UnixIndex();
  std::vector<DeepStop> stops;
  auto stop = [&](uint64_t when, int32_t tid, EventKind kind, std::string sockaddr) {
    DeepStop s = Stop(when, tid, kind, "f", 1);
    s.sockaddr = std::move(sockaddr);
    stops.push_back(s);
  };
  stop(11, 100, EventKind::kBind, SockaddrUnArg("/tmp/s.sock"));
  stop(17, 101, EventKind::kBind, SockaddrUnArg("/tmp/c.sock"));
  stop(19, 101, EventKind::kConnect, SockaddrUnArg("/tmp/s.sock"));
  stop(23, 102, EventKind::kConnect, SockaddrUnArg("/tmp/s.sock"));
  std::string in(16, '\0');
  in[0] = 2, in[2] = 0x1f, in[3] = 0x90, in[4] = 127, in[7] = 1;  // 127.0.0.1:8080
  stop(25, 100, EventKind::kConnect, in);
  DeepIndex deep = AssembleDeepIndex(index, stops, {});
  ASSERT_EQ(deep.Find(26)->sockaddr, in);
  EXPECT_EQ(DescribeEntry(index, index.entries[5]),
            "? -> (address: pyreplay index --deep) fd 3 failed: ECONNREFUSED");

  ApplyDeepAddresses(deep, &index);
  const auto& e = index.entries;
  EXPECT_TRUE(index.deep_addresses);
  EXPECT_EQ(e[0].local.text, "/tmp/s.sock");
  EXPECT_EQ(e[0].local.source, AddressSource::kDeep);
  EXPECT_EQ(DescribeEntry(index, e[0]), "/tmp/s.sock (deep) fd 3 ok");
  EXPECT_EQ(e[1].local.text, "/tmp/s.sock");  // listen: the socket's bound path
  EXPECT_TRUE(e[1].local.inferred());
  EXPECT_EQ(e[3].local.text, "/tmp/c.sock");  // the bound client's connect
  EXPECT_EQ(e[3].remote.text, "/tmp/s.sock");
  EXPECT_EQ(e[4].remote.source, AddressSource::kDeep);
  EXPECT_EQ(DescribeEntry(index, e[5]), "? -> 127.0.0.1:8080 (deep) fd 3 failed: ECONNREFUSED");
  // Accepts: the listener's path; each paired with the connect from its peer.
  EXPECT_EQ(e[6].local.text, "/tmp/s.sock");
  EXPECT_EQ(e[6].peer, 3);
  EXPECT_EQ(e[3].peer, 6);
  EXPECT_EQ(e[7].peer, 4);
  EXPECT_EQ(e[4].peer, 7);
  EXPECT_EQ(e[5].peer, -1);
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
  EXPECT_EQ(loaded->entries[0].sockaddr, "");

  EXPECT_EQ(loaded->entries[0].stack[1].line, 80);
  EXPECT_EQ(loaded->ThreadName(100), "MainThread");

  EventIndex unix_index = UnixIndex();
  DeepStop bind = Stop(11, 100, EventKind::kBind, "serve", 3);
  bind.sockaddr = SockaddrUnArg("/tmp/s.sock");
  unix_index.streams = index.streams;
  ASSERT_TRUE(WriteDeepIndex(dir_.string(), AssembleDeepIndex(unix_index, {bind}, {})).ok());
  loaded = LoadFreshDeepIndex(dir_.string(), unix_index);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->Find(12)->sockaddr, SockaddrUnArg("/tmp/s.sock"));
  ASSERT_TRUE(WriteDeepIndex(dir_.string(), deep).ok());

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
