#include "replay/index/event_index.h"

#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replay/index/index_report.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;
using testing::RrSockaddrIn;
using testing::SockaddrIn;
using testing::SockaddrUn;
using testing::TestTraceWriter;
using testing::U32;

constexpr uint32_t kLoopback = 0x7f000001;

// LastOfKind is the last entry of `kind` in `index`, or nullptr.
const IndexEntry* LastOfKind(const EventIndex& index, EventKind kind) {
  const IndexEntry* last = nullptr;
  for (const IndexEntry& e : index.entries) {
    if (e.kind == kind) last = &e;
  }
  return last;
}

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
      EXPECT_TRUE(e.local.inferred());
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
  const IndexEntry* accept = LastOfKind(*index, EventKind::kAccept);
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

// Incompressible filler, so the data stream spans many chunks between the bytes the index needs.
std::string Noise(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    seed = seed * 1103515245u + 12345u;
    s[i] = static_cast<char>(seed >> 24);
  }
  return s;
}

// A Unix stream server (tid 10, fd 3 bound and listening) accepting one connection from each of
// `peers` (as accept reports the peer: a path, "" for unnamed, "\0name" for abstract); client
// threads 20, 21, ... connect from fd 5. Frames of filler writes (some with holes) come between.
TestTraceWriter UnixServer(const std::vector<std::string>& peers) {
  TestTraceWriter w;
  w.Syscall(10, 41, true, {1, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  w.Syscall(10, 49, true, {3, 0x1000, 20});
  w.Syscall(10, 49, false, {}, 0);
  w.Syscall(10, 50, true, {3, 5});
  w.Syscall(10, 50, false, {}, 0);
  for (size_t i = 0; i < peers.size(); ++i) {
    const int32_t client = 20 + static_cast<int32_t>(i);
    w.Clone(client, 10, CLONE_THREAD | CLONE_VM | CLONE_FILES);
    std::string filler = Noise(900 + 300 * i, static_cast<uint32_t>(i));
    for (size_t j = 100; j < 300; ++j) filler[j] = '\0';
    w.MemWrite(0x50000, filler, {{100, 200}});
    w.MemWrite(0x60000, Noise(1500, 77 + i));
    w.Sched(client);
    w.Syscall(10, 288, true, {3, 0x7000, 0x7100});
    w.Syscall(client, 41, true, {1, 1, 0});
    w.Syscall(client, 41, false, {}, 5);
    if (!peers[i].empty() && peers[i][0] != '\0') {  // a named client binds first
      w.Syscall(client, 49, true, {5, 0x2100, 30});
      w.Syscall(client, 49, false, {}, 0);
    }
    w.Syscall(client, 42, true, {5, 0x2000, 30});
    w.Syscall(client, 42, false, {}, 0);
    std::string peer = SockaddrUn(peers[i]);
    w.MemWrite(0x7100, U32(static_cast<uint32_t>(peer.size())));  // rr: addrlen, then the address
    w.MemWrite(0x7000, peer);
    w.Syscall(10, 288, false, {}, 4);
  }
  w.MemWrite(0x50000, Noise(3000, 99));
  w.Sched(10);
  return w;
}

TEST_F(EventIndexTest, UnixAcceptPeersComeFromTheDataStream) {
  const std::string abstract = std::string("\0app", 4);
  std::string dir = Trace("t", UnixServer({"/tmp/client.sock", "", abstract}));
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<const IndexEntry*> accepts, connects, binds;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kAccept) accepts.push_back(&e);
    if (e.kind == EventKind::kConnect) connects.push_back(&e);
    if (e.kind == EventKind::kBind) binds.push_back(&e);
  }
  ASSERT_EQ(accepts.size(), 3u);
  const char* want[] = {"/tmp/client.sock", "(unnamed)", "@app"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(accepts[i]->remote.text, want[i]);
    EXPECT_EQ(accepts[i]->remote.family, AddressFamily::kUnix);
    EXPECT_EQ(accepts[i]->remote.source, AddressSource::kSyscall);
    EXPECT_EQ(accepts[i]->family, AF_UNIX);
    // The listener's path is only in bind's argument: the deep pass can read it.
    EXPECT_FALSE(accepts[i]->local.known());
    EXPECT_TRUE(NeedsDeepPass(*index, *accepts[i], false));
    EXPECT_EQ(DescribeEntry(*index, *accepts[i]),
              std::string(want[i]) + " -> (address: pyreplay index --deep) fd 3 new fd 4 ok");
    EXPECT_EQ(accepts[i]->opened_at, 1u);  // the listener's socket() call
  }
  // Unbound Unix clients connect from no address; a bound one's is bind's argument.
  ASSERT_EQ(connects.size(), 3u);
  EXPECT_FALSE(connects[0]->local.known());
  EXPECT_EQ(connects[1]->local.text, "(unnamed)");
  EXPECT_TRUE(connects[1]->local.inferred());
  EXPECT_EQ(DescribeEntry(*index, *connects[1]),
            "(unnamed) (inferred) -> (address: pyreplay index --deep) fd 5 ok");
  EXPECT_EQ(connects[0]->opened_at, binds[1]->opened_at);
  EXPECT_TRUE(NeedsDeepPass(*index, *connects[0], false));
  EXPECT_FALSE(NeedsDeepPass(*index, *connects[1], false));
  EXPECT_TRUE(absl::StartsWith(DescribeEntry(*index, *connects[0]),
                               "(address: pyreplay index --deep) -> "))
      << DescribeEntry(*index, *connects[0]);
  EXPECT_EQ(DescribeEntry(*index, *binds[0]), "(address: pyreplay index --deep) fd 3 ok");
  nlohmann::json j = EntryJson(*index, *accepts[0]);
  EXPECT_EQ(j["remote"]["source"], "syscall");
  EXPECT_EQ(j["address_hint"], "pyreplay index --deep");
  // Once the deep addresses are merged, an address still unknown is just "?".
  index->deep_addresses = true;
  EXPECT_EQ(DescribeEntry(*index, *binds[0]), "? fd 3 ok");
  EXPECT_FALSE(EntryJson(*index, *accepts[0]).contains("address_hint"));
}

TEST_F(EventIndexTest, OnlyChunksHoldingWantedBytesAreDecompressed) {
  TestTraceWriter w = UnixServer({"/tmp/a.sock", "/tmp/b.sock"});
  std::string dir = (root_ / "t").string();
  w.WriteTo(dir, 256, std::string(16, 'a'));
  // Find the chunks holding the two accepts' addresses (the last 4 + 15 and 4 + 14 bytes before
  // each accept's exit in the stream) by decoding the data file; corrupt every other chunk.
  std::ifstream in(dir + "/data", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  const std::string& stream = w.data_stream();
  std::vector<size_t> wanted;
  for (const std::string& path : {std::string("/tmp/a.sock"), std::string("/tmp/b.sock")}) {
    size_t at = stream.find(SockaddrUn(path));
    ASSERT_NE(at, std::string::npos);
    for (size_t b = at - 4; b < at + SockaddrUn(path).size(); ++b) wanted.push_back(b / 256);
  }
  size_t chunk = 0, corrupted = 0;
  for (size_t at = 0; at < file.size(); ++chunk) {
    uint32_t compressed;
    memcpy(&compressed, file.data() + at, 4);
    if (std::find(wanted.begin(), wanted.end(), chunk) == wanted.end()) {
      for (size_t i = at + 8; i < at + 8 + compressed; ++i) file[i] = static_cast<char>(~file[i]);
      ++corrupted;
    }
    at += 8 + compressed;
  }
  ASSERT_GT(corrupted, 10u);
  TestTraceWriter::WriteFile(dir + "/data", file);
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_TRUE(index.ok()) << index.status();
  int found = 0;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kAccept) {
      EXPECT_EQ(e.remote.text, found == 0 ? "/tmp/a.sock" : "/tmp/b.sock");
      ++found;
    }
  }
  EXPECT_EQ(found, 2);
  // A corrupt chunk that does hold an address is DataLoss naming the file, chunk and offset.
  w.WriteTo(dir, 256, std::string(16, 'a'));
  std::ifstream clean_in(dir + "/data", std::ios::binary);
  std::string clean((std::istreambuf_iterator<char>(clean_in)), {});
  size_t at = 0;
  for (size_t c = 0; c < wanted[0]; ++c) {
    uint32_t compressed;
    memcpy(&compressed, clean.data() + at, 4);
    at += 8 + compressed;
  }
  for (size_t i = at + 8; i < at + 16; ++i) clean[i] = static_cast<char>(~clean[i]);
  TestTraceWriter::WriteFile(dir + "/data", clean);
  index = BuildIndex(dir);
  ASSERT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
  EXPECT_NE(index.status().message().find(dir + "/data: chunk " + std::to_string(wanted[0]) +
                                          " at byte " + std::to_string(at)),
            std::string::npos)
      << index.status();
  EXPECT_NE(index.status().message().find("stream byte"), std::string::npos) << index.status();
  // Truncated before the bytes needed: DataLoss too.
  TestTraceWriter::WriteFile(dir + "/data", clean.substr(0, at + 3));
  EXPECT_EQ(BuildIndex(dir).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(EventIndexTest, TheDataStreamIsOpenedOnlyWhenAnAcceptNeedsIt) {
  std::string tcp = Trace("tcp", ServerAndClient(2));
  fs::remove(tcp + "/data");
  EXPECT_TRUE(BuildIndex(tcp).ok());  // rr's socketAddrs hold every address
  std::string unix_trace = Trace("unix", UnixServer({""}));
  fs::remove(unix_trace + "/data");
  absl::StatusOr<EventIndex> index = BuildIndex(unix_trace);
  ASSERT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  EXPECT_NE(index.status().message().find(unix_trace + "/data"), std::string::npos);
}

TEST_F(EventIndexTest, TcpAcceptWithoutSocketAddrsDecodesTheKernelsAddress) {
  TestTraceWriter w;
  w.Syscall(10, 41, true, {2, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  w.Syscall(10, 288, true, {3, 0x7000, 0x7100});
  w.MemWrite(0x7100, U32(16));
  w.MemWrite(0x7000, SockaddrIn(kLoopback, 40000));  // network byte order, as the kernel writes
  w.Syscall(10, 288, false, {}, 4);
  std::string in6(28, '\0');
  in6[0] = 10;                      // AF_INET6
  in6[2] = 0x9c, in6[3] = 0x41;     // port 40001
  in6[8 + 15] = 1;                  // ::1
  w.Syscall(10, 41, true, {10, 1, 0});
  w.Syscall(10, 41, false, {}, 6);
  w.Syscall(10, 43, true, {6, 0x7000, 0x7100});
  w.MemWrite(0x7100, U32(28));
  w.MemWrite(0x7000, in6);
  w.Syscall(10, 43, false, {}, 7);
  w.Syscall(10, 43, true, {6, 0, 0});   // accept(fd, NULL, NULL): no address asked for
  w.Syscall(10, 43, false, {}, 8);
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("t", w));
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<std::string> peers;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kAccept) peers.push_back(e.remote.text);
  }
  EXPECT_EQ(peers, (std::vector<std::string>{"127.0.0.1:40000", "[::1]:40001", ""}));
}

TEST_F(EventIndexTest, AcceptPeersWithHolesAndWritesInEitherOrder) {
  TestTraceWriter w;
  w.Syscall(10, 41, true, {1, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  // A sockaddr_storage sized buffer whose tail rr stored as a hole (zeros, not in the stream),
  // and a hole inside the path's zero padding: the peer is read around them.
  std::string peer = SockaddrUn("/tmp/peer.sock");
  std::string storage = peer + std::string(128 - peer.size(), '\0');
  w.Syscall(10, 43, true, {3, 0x7000, 0x7100});
  w.MemWrite(0x6000, std::string(300, 'x'), {{20, 200}});  // another write of the same frame
  w.MemWrite(0x7100, U32(static_cast<uint32_t>(peer.size())));
  w.MemWrite(0x7000, storage, {{peer.size() + 2, 10}, {64, 64}});
  w.Syscall(10, 43, false, {}, 4);
  // rr recorded the address before the length: both are still read, in stream order.
  std::string second = SockaddrUn("/tmp/other.sock");
  w.Syscall(10, 288, true, {3, 0x7000, 0x7100});
  w.MemWrite(0x7000, second + "trailing bytes the length leaves out");
  w.MemWrite(0x7100, U32(static_cast<uint32_t>(second.size())));
  w.Syscall(10, 288, false, {}, 5);
  // No addrlen write at all: the sockaddr's own NUL ends the path.
  w.Syscall(10, 43, true, {3, 0x7000, 0x7100});
  w.MemWrite(0x7000, SockaddrUn("/tmp/third"));
  w.Syscall(10, 43, false, {}, 6);
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("t", w));
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<std::string> peers;
  for (const IndexEntry& e : index->entries) {
    if (e.kind != EventKind::kAccept) continue;
    peers.push_back(e.remote.text);
    EXPECT_EQ(e.remote.source, AddressSource::kSyscall);
  }
  EXPECT_EQ(peers, (std::vector<std::string>{"/tmp/peer.sock", "/tmp/other.sock", "/tmp/third"}));
}

TEST_F(EventIndexTest, HolesLargerThanTheirWriteAreDataLossNamingTheEventsFile) {
  TestTraceWriter w;
  w.Syscall(10, 41, true, {1, 1, 0});
  w.MemWrite(0x6000, std::string(10, 'x'), {{0, 10}});
  w.SetLastWriteSize(9);  // a 10-byte hole in a 9-byte write
  w.Syscall(10, 41, false, {}, 3);
  std::string dir = Trace("t", w);
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
  EXPECT_NE(index.status().message().find(dir + "/events"), std::string::npos) << index.status();
  EXPECT_NE(index.status().message().find("holes exceed its size"), std::string::npos)
      << index.status();
}

// Holes past their write's end or overlapping each other are DataLoss too. Before, only their
// total size was checked: the hole {93, 20} in a 46-byte write counted 26 stored bytes while
// the read of that write took 46, so the next one (the addrlen) failed with an InternalError,
// and in other layouts an accept's peer was read from the wrong bytes (found by
// tests/fuzz/index_fuzz.cc).
TEST_F(EventIndexTest, HolesPastTheirWriteOrOverlappingAreDataLoss) {
  const std::vector<std::vector<std::pair<uint64_t, uint64_t>>> corrupt = {
      {{93, 20}}, {{40, 10}}, {{0, 10}, {5, 10}}, {{20, 5}, {0, 5}}};
  for (size_t i = 0; i < corrupt.size(); ++i) {
    TestTraceWriter w;
    w.Syscall(11, 41, true, {1, 1, 0});
    w.Syscall(11, 41, false, {}, 5);
    w.Syscall(11, 288, true, {5, 0x7000, 0x7100});
    std::string peer = SockaddrUn("/tmp/peer.sock");
    w.MemWrite(0x7000, peer + std::string(46 - peer.size(), '\0'));
    w.SetLastWriteHoles(corrupt[i]);
    w.MemWrite(0x7100, U32(static_cast<uint32_t>(peer.size())));
    w.Syscall(11, 288, false, {}, 4);
    std::string dir = Trace("t" + std::to_string(i), w);
    absl::StatusOr<EventIndex> index = BuildIndex(dir);
    ASSERT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << i << ": " << index.status();
    EXPECT_NE(index.status().message().find(dir + "/events: frame 4:"), std::string::npos)
        << index.status();
    EXPECT_NE(index.status().message().find("holes exceed its size or overlap"),
              std::string::npos)
        << index.status();
  }
  // Holes as rr writes them, adjacent or empty, still read the peer around them.
  TestTraceWriter w;
  w.Syscall(11, 41, true, {1, 1, 0});
  w.Syscall(11, 41, false, {}, 5);
  w.Syscall(11, 288, true, {5, 0x7000, 0x7100});
  std::string peer = SockaddrUn("/tmp/peer.sock");
  w.MemWrite(0x7000, peer + std::string(46 - peer.size(), '\0'),
             {{peer.size(), 0}, {peer.size(), 10}, {peer.size() + 10, 46 - peer.size() - 10}});
  w.MemWrite(0x7100, U32(static_cast<uint32_t>(peer.size())));
  w.Syscall(11, 288, false, {}, 4);
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("ok", w));
  ASSERT_TRUE(index.ok()) << index.status();
  const IndexEntry* accept = LastOfKind(*index, EventKind::kAccept);
  ASSERT_NE(accept, nullptr);
  EXPECT_EQ(accept->remote.text, "/tmp/peer.sock");
}

// A write whose size is near 2^64 is DataLoss too. Before, the data stream offsets wrapped
// around: the next write's bytes were looked for one byte before the reader's position, an
// InternalError (found by tests/fuzz/index_fuzz.cc).
TEST_F(EventIndexTest, MemoryWritesPastTwoToTheSixtyFourAreDataLoss) {
  TestTraceWriter w;
  w.Syscall(11, 41, true, {1, 1, 0});
  w.Syscall(11, 41, false, {}, 5);
  std::string peer = SockaddrUn("/tmp/peer.sock");
  for (int i = 0; i < 2; ++i) {
    w.Syscall(11, 288, true, {5, 0x7000, 0x7100});
    if (i == 1) {
      w.MemWrite(0x6000, "x");
      w.SetLastWriteSize(UINT64_MAX);
    }
    w.MemWrite(0x7100, U32(static_cast<uint32_t>(peer.size())));
    w.MemWrite(0x7000, peer);
    w.Syscall(11, 288, false, {}, 6 + i);
  }
  std::string dir = Trace("t", w);
  absl::StatusOr<EventIndex> index = BuildIndex(dir);
  ASSERT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
  EXPECT_NE(index.status().message().find(dir + "/events: frame 6: memory writes past 2^64"),
            std::string::npos)
      << index.status();
}

// A corrupt trace's rax can be any 64 bits: only -4095..-1 is named as an errno. INT64_MIN used
// to be negated (undefined behavior, found by tests/fuzz/index_fuzz.cc) and -4294967298 truncated
// to int, naming ENOENT.
TEST_F(EventIndexTest, ResultsOutsideTheErrnoRangeAreNotNamedAsErrnos) {
  TestTraceWriter w;
  w.Syscall(10, 41, true, {2, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  const int64_t results[] = {std::numeric_limits<int64_t>::min(), -4294967298, -4096, -4095, -111};
  for (int64_t rax : results) {
    w.Syscall(10, 42, true, {3, 0x2000, 16});
    w.Syscall(10, 42, false, {}, rax);
  }
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("t", w));
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<std::string> outcomes;
  for (const IndexEntry& e : index->entries) {
    if (e.kind != EventKind::kConnect) continue;
    std::string text = DescribeEntry(*index, e);
    outcomes.push_back(text.substr(text.find("failed: ")));
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{
                          "failed: result -9223372036854775808", "failed: result -4294967298",
                          "failed: result -4096", "failed: errno 4095", "failed: ECONNREFUSED"}));
}

// rr's exit records hold the raw wait(2) status: exit(1) is 256, SIGKILL is 9. The entry text
// says what `pyreplay diff` says, not the raw number.
TEST_F(EventIndexTest, ExitsShowTheWaitStatusAsPeopleReadIt) {
  TestTraceWriter w;
  w.Clone(11, 10, CLONE_VM | CLONE_THREAD);
  w.Sched(11);
  w.Exit(11, 9);
  w.Sched(10);
  w.Exit(10, 1 << 8);
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("t", w));
  ASSERT_TRUE(index.ok()) << index.status();
  std::vector<std::string> exits;
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kThreadExit || e.kind == EventKind::kProcessExit) {
      exits.push_back(DescribeEntry(*index, e));
    }
  }
  EXPECT_EQ(std::count(exits.begin(), exits.end(), "thread 11 exited (killed by signal 9)"), 1)
      << absl::StrJoin(exits, "; ");
  EXPECT_EQ(std::count(exits.begin(), exits.end(), "process 10 exited (status 1)"), 1)
      << absl::StrJoin(exits, "; ");
  EXPECT_EQ(WaitStatusText(0), "status 0");
}

TEST_F(EventIndexTest, GetpeernameFramesFillTheConnectsTarget) {
  TestTraceWriter w;
  w.Syscall(20, 41, true, {1, 1, 0});
  w.Syscall(20, 41, false, {}, 5);
  w.Syscall(20, 42, true, {5, 0x2000, 30});
  w.Syscall(20, 42, false, {}, 0);
  w.Syscall(20, 52, true, {5, 0x7000, 0x7100});
  std::string server = SockaddrUn("/run/app.sock");
  w.MemWrite(0x7100, U32(static_cast<uint32_t>(server.size())));
  w.MemWrite(0x7000, server);
  w.Syscall(20, 52, false, {}, 0);
  absl::StatusOr<EventIndex> index = BuildIndex(Trace("t", w));
  ASSERT_TRUE(index.ok()) << index.status();
  const IndexEntry* connect = LastOfKind(*index, EventKind::kConnect);
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->remote.text, "/run/app.sock");
  EXPECT_TRUE(connect->remote.inferred());
  EXPECT_EQ(index->entries.size(), 2u);  // getpeername itself is not an indexed event
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
