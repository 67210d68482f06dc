// index_fuzz.cc: structure-aware libFuzzer target for the event index builder (BuildIndex).
//
// The input is not a trace but a script: FuzzedDataProvider picks up to kMaxOps operations that
// drive a TestTraceWriter (replay/trace/trace_test_writer.h): socket calls entering and exiting
// (socket, bind, listen, connect, accept, accept4, getsockname, getpeername, restart_syscall,
// close, now and then any number) with fuzzed fds, buffers and results, rr socketAddrs (TCP,
// TCP6, Unix, garbage or short), memory writes with holes (an accept's or getpeername's
// addrlen and sockaddr in the data stream, or noise), task events (clone, exec, exit, detach,
// some stamped out of order) and sched frames; plus whole connect/accept exchanges, so pairing
// is reached without the fuzzer having to guess matching addresses. The streams are written
// (fuzzed chunk size; sometimes a stream is cut, flipped or missing) into a per-process folder
// on /dev/shm, reused each run, and indexed.
//
// Bad input must come back as a status, and one BuildIndex documents (NotFound,
// FailedPrecondition, DataLoss). A built index must keep what event_index.h documents: entries
// sorted by event, peers in range, symmetric and joining a successful connect to a successful
// accept with the addresses swapped, exit events after their entering ones, every task entry's
// task listed; and WriteIndex + LoadIndex must give the same index back, fresh. Then the saved
// index is sometimes damaged: LoadIndex must give a status or in-range peers, LoadOrBuildIndex
// the trace's own index. Anything else abort()s. INDEX_FUZZ_VERBOSE=1 prints each input's
// outcome (e.g. `index_fuzz -runs=0 CORPUS` for a census). Built by tests/fuzz/run_fuzz.sh.
#include <fuzzer/FuzzedDataProvider.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "replay/common/atomic_file.h"
#include "replay/index/event_index.h"
#include "replay/index/socket_address.h"
#include "replay/trace/trace_test_writer.h"

namespace {

using pyreplay::AddressSource;
using pyreplay::EventIndex;
using pyreplay::EventKind;
using pyreplay::IndexEntry;
using pyreplay::SocketAddress;
using pyreplay::testing::TestTraceWriter;

constexpr int kMaxOps = 64;

// x86-64 syscall numbers: the ones the index reads, restart_syscall, and close.
constexpr int kSocket = 41, kConnect = 42, kAccept = 43, kBind = 49, kListen = 50,
              kGetsockname = 51, kGetpeername = 52, kRestart = 219, kAccept4 = 288, kClose = 3;
constexpr int kSyscalls[] = {kSocket, kConnect, kAccept, kBind, kListen, kGetsockname,
                             kGetpeername, kRestart, kAccept4, kClose};
// Buffer addresses the memory writes aim at, so accept's and getpeername's buffers match.
constexpr uint64_t kBuffers[] = {0, 0x7000, 0x7100, 0x2000, 0x2100};

[[noreturn]] void Fail(const char* what, size_t entry = SIZE_MAX) {
  if (entry == SIZE_MAX) {
    fprintf(stderr, "index_fuzz: invariant violated: %s\n", what);
  } else {
    fprintf(stderr, "index_fuzz: invariant violated at entry %zu: %s\n", entry, what);
  }
  abort();
}

std::string Bytes(const void* data, size_t size) {
  return std::string(static_cast<const char*>(data), size);
}

// RrSockaddrIn6 is a sockaddr_in6 as rr 5.6.0 stores it: port in host order (and, for a remote
// address, the four words reversed, which the decoder undoes; any 16 bytes are an address).
std::string RrSockaddrIn6(const std::string& addr16, uint16_t port) {
  std::string raw(128, '\0');
  uint16_t family = 10;  // AF_INET6
  memcpy(raw.data(), &family, 2);
  memcpy(raw.data() + 2, &port, 2);
  memcpy(raw.data() + 8, addr16.data(), std::min<size_t>(16, addr16.size()));
  return raw;
}

// SockaddrIn6 is a sockaddr_in6 as the kernel writes it (port in network order), 28 bytes.
std::string SockaddrIn6(const std::string& addr16, uint16_t port) {
  std::string raw(28, '\0');
  uint16_t family = 10;
  uint16_t net_port = __builtin_bswap16(port);
  memcpy(raw.data(), &family, 2);
  memcpy(raw.data() + 2, &net_port, 2);
  memcpy(raw.data() + 8, addr16.data(), std::min<size_t>(16, addr16.size()));
  return raw;
}

std::string CString(std::string bytes) {
  bytes.erase(std::remove(bytes.begin(), bytes.end(), '\0'), bytes.end());
  return bytes;
}

class Script {
 public:
  explicit Script(FuzzedDataProvider& in) : in_(in) {}

  int32_t Tid() {
    if (in_.ConsumeProbability<float>() < 0.9f) return in_.ConsumeIntegralInRange<int32_t>(10, 13);
    return in_.ConsumeIntegral<int32_t>();
  }

  uint64_t Fd() {
    if (in_.ConsumeProbability<float>() < 0.9f) return in_.ConsumeIntegralInRange<uint64_t>(3, 8);
    return in_.ConsumeIntegral<uint64_t>();
  }

  uint64_t Buffer() {
    if (in_.ConsumeProbability<float>() < 0.9f) return in_.PickValueInArray(kBuffers);
    return in_.ConsumeIntegral<uint64_t>();
  }

  int Number() {
    if (in_.ConsumeProbability<float>() < 0.9f) return in_.PickValueInArray(kSyscalls);
    return in_.ConsumeIntegral<int32_t>();
  }

  // Result: mostly a new fd or 0, else an errno (ERESTARTSYS & co included), else anything.
  int64_t Result() {
    switch (in_.ConsumeIntegralInRange(0, 5)) {
      case 0: case 1: case 2: return in_.ConsumeIntegralInRange<int64_t>(0, 8);
      case 3: return -in_.ConsumeIntegralInRange<int64_t>(1, 133);
      case 4: return -in_.ConsumeIntegralInRange<int64_t>(512, 516);
      default: return in_.ConsumeIntegral<int64_t>();
    }
  }

  // Endpoint: one of a few addresses, so that connects and accepts can match.
  struct Endpoint {
    int kind;        // 0: IPv4, 1: IPv6, 2: Unix path, 3: Unix abstract, 4: Unix unnamed
    uint32_t ip;
    std::string ip6;
    uint16_t port;
    std::string path;
  };

  Endpoint PickEndpoint() {
    Endpoint e;
    e.kind = in_.ConsumeIntegralInRange(0, 4);
    e.ip = in_.ConsumeBool() ? 0x7f000001 : in_.ConsumeIntegral<uint32_t>();
    e.ip6 = in_.ConsumeBool() ? std::string(15, '\0') + "\x01" : in_.ConsumeBytesAsString(16);
    e.port = in_.ConsumeBool() ? static_cast<uint16_t>(8765 + in_.ConsumeIntegralInRange(0, 2))
                               : in_.ConsumeIntegral<uint16_t>();
    e.path = in_.ConsumeBool() ? "/tmp/app.sock" : in_.ConsumeRandomLengthString(120);
    return e;
  }

  // RrLayout is the endpoint as rr's socketAddrs hold it (Unix: as a plain sockaddr_un, which
  // rr never stores, but the decoder must take anything).
  static std::string RrLayout(const Endpoint& e) {
    switch (e.kind) {
      case 0: return pyreplay::testing::RrSockaddrIn(e.ip, e.port);
      case 1: return RrSockaddrIn6(e.ip6, e.port);
      case 2: return pyreplay::testing::SockaddrUn(e.path);
      case 3: return pyreplay::testing::SockaddrUn(std::string(1, '\0') + e.path);
      default: return pyreplay::testing::SockaddrUn("");
    }
  }

  // KernelLayout is the endpoint as the kernel writes it into accept's or getpeername's buffer.
  static std::string KernelLayout(const Endpoint& e) {
    switch (e.kind) {
      case 0: return pyreplay::testing::SockaddrIn(e.ip, e.port);
      case 1: return SockaddrIn6(e.ip6, e.port);
      case 2: return pyreplay::testing::SockaddrUn(e.path);
      case 3: return pyreplay::testing::SockaddrUn(std::string(1, '\0') + e.path);
      default: return pyreplay::testing::SockaddrUn("");
    }
  }

  // RawAddress is what goes into socketAddrs or a buffer: mostly well formed, else garbage.
  std::string RawAddress(bool rr_layout) {
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0: return "";
      case 1: return in_.ConsumeBytesAsString(in_.ConsumeIntegralInRange<size_t>(0, 3));
      case 2: return in_.ConsumeRandomLengthString(160);
      case 3: {  // a known family, fuzzed body and length
        std::string raw = in_.ConsumeRandomLengthString(140);
        uint16_t family = in_.PickValueInArray({1, 2, 10});
        if (raw.size() < 2) raw.resize(2);
        memcpy(raw.data(), &family, 2);
        return raw;
      }
      default: {
        Endpoint e = PickEndpoint();
        return rr_layout ? RrLayout(e) : KernelLayout(e);
      }
    }
  }

  // MemWrite queues a write of `bytes` at `addr` for the next frame, with well-formed holes
  // (sorted, inside the write: TestTraceWriter needs that), and now and then a corrupt size.
  void MemWrite(uint64_t addr, std::string bytes) {
    std::vector<std::pair<uint64_t, uint64_t>> holes;
    int hole_count = in_.ConsumeIntegralInRange(0, 3);
    uint64_t at = 0;
    for (int i = 0; i < hole_count && at < bytes.size(); ++i) {
      uint64_t offset = in_.ConsumeIntegralInRange<uint64_t>(at, bytes.size());
      uint64_t size = in_.ConsumeIntegralInRange<uint64_t>(0, bytes.size() - offset);
      holes.push_back({offset, size});
      at = offset + size;
    }
    int32_t tid = in_.ConsumeBool() ? 0 : Tid();
    w_.MemWrite(addr, bytes, std::move(holes), tid);
    if (in_.ConsumeProbability<float>() > 0.95f) {
      w_.SetLastWriteSize(in_.ConsumeBool() ? in_.ConsumeIntegralInRange<uint64_t>(0, 512)
                                            : in_.ConsumeIntegral<uint64_t>());
    }
    if (in_.ConsumeProbability<float>() > 0.95f) {  // holes rr would not write
      std::vector<std::pair<uint64_t, uint64_t>> corrupt;
      for (int i = in_.ConsumeIntegralInRange(1, 3); i > 0; --i) {
        bool small = in_.ConsumeBool();
        uint64_t offset = small ? in_.ConsumeIntegralInRange<uint64_t>(0, bytes.size() + 16)
                                : in_.ConsumeIntegral<uint64_t>();
        uint64_t size = small ? in_.ConsumeIntegralInRange<uint64_t>(0, bytes.size() + 16)
                              : in_.ConsumeIntegral<uint64_t>();
        corrupt.push_back({offset, size});
      }
      w_.SetLastWriteHoles(std::move(corrupt));
    }
  }

  // AddrOut writes what accept/getpeername/getsockname return: the addrlen at rdx and the
  // address at rsi, in either order, either one sometimes left out.
  void AddrOut(uint64_t rsi, uint64_t rdx, const std::string& address) {
    std::string storage = address;
    if (in_.ConsumeBool()) storage.resize(std::max<size_t>(storage.size(), 128), '\0');
    uint32_t len = in_.ConsumeBool() ? static_cast<uint32_t>(address.size())
                                     : in_.ConsumeIntegral<uint32_t>();
    bool len_first = in_.ConsumeBool();
    bool with_len = in_.ConsumeProbability<float>() < 0.9f;
    bool with_addr = in_.ConsumeProbability<float>() < 0.95f;
    if (len_first && with_len) MemWrite(rdx, pyreplay::testing::U32(len));
    if (with_addr) MemWrite(rsi, storage);
    if (!len_first && with_len) MemWrite(rdx, pyreplay::testing::U32(len));
  }

  void Op() {
    switch (in_.ConsumeIntegralInRange(0, 13)) {
      case 0: case 1: {  // a syscall entering
        int number = Number();
        uint64_t rdi = number == kSocket && in_.ConsumeBool()
                           ? in_.PickValueInArray<uint64_t>({1, 2, 10})
                           : Fd();
        uint64_t rsi = number == kSocket ? in_.ConsumeIntegral<uint64_t>() : Buffer();
        w_.Syscall(Tid(), number, true, {rdi, rsi, Buffer()});
        break;
      }
      case 2: case 3: {  // a syscall exiting, with or without socketAddrs
        int32_t tid = Tid();
        int number = Number();
        int64_t rax = Result();
        std::string local, remote;
        if (in_.ConsumeBool()) {
          local = RawAddress(true);
          remote = RawAddress(true);
        }
        w_.Syscall(tid, number, false, {}, rax, local, remote);
        break;
      }
      case 4: {  // a memory write for the next frame
        uint64_t addr = Buffer();
        std::string bytes = in_.ConsumeBool() ? RawAddress(false)
                                              : in_.ConsumeRandomLengthString(300);
        if (in_.ConsumeBool()) bytes = pyreplay::testing::U32(in_.ConsumeIntegral<uint32_t>());
        MemWrite(addr, bytes);
        break;
      }
      case 5:
        w_.Sched(Tid());
        break;
      case 6: {
        int32_t flags = 0;
        switch (in_.ConsumeIntegralInRange(0, 3)) {
          case 0: flags = CLONE_THREAD | CLONE_VM | CLONE_FILES | CLONE_SIGHAND; break;
          case 1: flags = 0; break;  // fork: copies the fd table
          case 2: flags = CLONE_FILES | CLONE_VM; break;
          default: flags = in_.ConsumeIntegral<int32_t>();
        }
        int32_t tid = Tid();
        w_.Clone(tid, Tid(), flags);
        break;
      }
      case 7: {
        int32_t tid = Tid();
        w_.Exit(tid, in_.ConsumeIntegral<int32_t>());
        break;
      }
      case 8: {
        // Any bytes but NUL: the kernel's file names and arguments are C strings (and the
        // index keeps them as Cap'n Proto Text, which ends at a NUL).
        int32_t tid = Tid();
        std::string file = CString(in_.ConsumeRandomLengthString(64));
        std::vector<std::string> args;
        for (int i = in_.ConsumeIntegralInRange(0, 3); i > 0; --i) {
          args.push_back(CString(in_.ConsumeRandomLengthString(32)));
        }
        w_.Exec(tid, file, args);
        break;
      }
      case 9:
        if (in_.ConsumeBool()) {
          w_.Detach(Tid());
        } else if (in_.ConsumeBool()) {
          w_.SetTaskTime(in_.ConsumeBool() ? in_.ConsumeIntegralInRange<int64_t>(-2, 80)
                                           : in_.ConsumeIntegral<int64_t>());
        } else {
          w_.ClearTaskTime();
        }
        break;
      case 10: case 11: {  // a connection: client connects, server accepts, either exit first
        int32_t server = Tid(), client = Tid();
        uint64_t listen_fd = Fd(), client_fd = Fd();
        Endpoint server_end = PickEndpoint(), client_end = PickEndpoint();
        bool tcp = server_end.kind <= 1 && in_.ConsumeBool();
        if (tcp) client_end.kind = server_end.kind;
        int accept_number = in_.ConsumeBool() ? kAccept4 : kAccept;
        uint64_t rsi = tcp && in_.ConsumeBool() ? 0 : 0x7000, rdx = rsi == 0 ? 0 : 0x7100;
        if (in_.ConsumeBool()) {  // the client's own socket() first
          const uint64_t family = server_end.kind == 0 ? 2 : server_end.kind == 1 ? 10 : 1;
          w_.Syscall(client, kSocket, true, {family, 1, 0});
          w_.Syscall(client, kSocket, false, {}, static_cast<int64_t>(client_fd));
        }
        w_.Syscall(server, accept_number, true, {listen_fd, rsi, rdx});
        w_.Syscall(client, kConnect, true, {client_fd, 0x2000, 16});
        int64_t connect_result = in_.ConsumeProbability<float>() < 0.85f ? 0 : Result();
        int64_t accept_result = in_.ConsumeProbability<float>() < 0.85f
                                    ? in_.ConsumeIntegralInRange<int64_t>(3, 9)
                                    : Result();
        auto connect_exit = [&]() {
          if (tcp) {
            w_.Syscall(client, kConnect, false, {}, connect_result, RrLayout(client_end),
                       RrLayout(server_end));
          } else {
            w_.Syscall(client, kConnect, false, {}, connect_result);
          }
        };
        bool connect_first = in_.ConsumeBool();
        if (connect_first) connect_exit();
        if (tcp) {
          w_.Syscall(server, accept_number, false, {}, accept_result, RrLayout(server_end),
                     RrLayout(client_end));
        } else {
          if (rsi != 0) AddrOut(rsi, rdx, KernelLayout(client_end));
          w_.Syscall(server, accept_number, false, {}, accept_result);
        }
        if (!connect_first) connect_exit();
        break;
      }
      case 12: {  // getsockname / getpeername with the kernel's answer in the data stream
        int32_t tid = Tid();
        int number = in_.ConsumeBool() ? kGetpeername : kGetsockname;
        uint64_t rsi = Buffer(), rdx = Buffer();
        w_.Syscall(tid, number, true, {Fd(), rsi, rdx});
        AddrOut(rsi, rdx, RawAddress(false));
        w_.Syscall(tid, number, false, {}, in_.ConsumeProbability<float>() < 0.8f ? 0 : Result());
        break;
      }
      default: {  // restart_syscall: the rest of an interrupted call
        int32_t tid = Tid();
        w_.Syscall(tid, kRestart, true);
        if (in_.ConsumeBool()) AddrOut(0x7000, 0x7100, RawAddress(false));
        std::string local, remote;
        if (in_.ConsumeBool()) {
          local = RawAddress(true);
          remote = RawAddress(true);
        }
        w_.Syscall(tid, kRestart, false, {}, Result(), local, remote);
        break;
      }
    }
  }

  TestTraceWriter& writer() { return w_; }

 private:
  FuzzedDataProvider& in_;
  TestTraceWriter w_;
};

// Corrupt sometimes damages one stream file: cuts its end, flips a byte or drops it. (Zero,
// which the provider gives once the input is used up, picks the sound choice here and
// everywhere else.)
std::string Corrupt(FuzzedDataProvider& in, std::string bytes, bool* drop) {
  switch (in.ConsumeIntegralInRange(0, 15)) {
    case 13:
      if (!bytes.empty()) bytes.resize(in.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1));
      break;
    case 14:
      if (!bytes.empty()) {
        bytes[in.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1)] ^=
            static_cast<char>(in.ConsumeIntegralInRange(1, 255));
      }
      break;
    case 15:
      *drop = true;
      break;
    default:
      break;
  }
  return bytes;
}

// TraceDir is this process's trace folder, removed at exit. Never destroyed itself: the exit
// handler runs after the destructors of statics initialized before it registered.
const std::string& TraceDir() {
  static const std::string* dir = [] {
    std::string parent = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    auto* d = new std::string(parent + "/pyreplay-index-fuzz." + std::to_string(getpid()));
    atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(TraceDir(), ignored);
    });
    return d;
  }();
  return *dir;
}

bool IsSocketKind(EventKind kind) {
  return kind == EventKind::kSocket || kind == EventKind::kBind || kind == EventKind::kListen ||
         kind == EventKind::kConnect || kind == EventKind::kAccept;
}

void CheckAddress(const SocketAddress& a, size_t i) {
  if (a.known() != (a.source != AddressSource::kNone)) Fail("address known without a source", i);
  if (a.known() && a.family == pyreplay::AddressFamily::kUnknown) {
    Fail("address known without a family", i);
  }
  if (pyreplay::AddressSourceName(a.source).empty() != (a.source == AddressSource::kNone)) {
    Fail("address source has no name", i);
  }
}

bool SameAddress(const SocketAddress& a, const SocketAddress& b) {
  return a.family == b.family && a.text == b.text && a.source == b.source;
}

// Check walks every entry and the index's documented invariants.
uint64_t Check(const EventIndex& index) {
  uint64_t sum = 0;
  const std::vector<IndexEntry>& all = index.entries;
  if (index.event_count == 0) Fail("a built index with no events");
  for (size_t i = 0; i < all.size(); ++i) {
    const IndexEntry& e = all[i];
    if (i > 0 && all[i - 1].event > e.event) Fail("entries not sorted by event", i);
    size_t first = index.FirstAtOrAfter(e.event);
    if (first > i || all[first].event != e.event) Fail("FirstAtOrAfter disagrees", i);
    if (static_cast<int>(e.kind) >= pyreplay::kEventKindCount) Fail("kind out of range", i);
    if (pyreplay::EventKindName(e.kind) == "?") Fail("kind has no name", i);
    CheckAddress(e.local, i);
    CheckAddress(e.remote, i);
    if (IsSocketKind(e.kind)) {
      if (e.syscall != kSocket && e.syscall != kConnect && e.syscall != kAccept &&
          e.syscall != kBind && e.syscall != kListen && e.syscall != kAccept4) {
        Fail("socket entry of another syscall", i);
      }
      if (e.event == 0 || e.event > index.event_count) Fail("socket entry beyond the events", i);
      if (e.finished != (e.exit_event != 0)) Fail("finished disagrees with exit_event", i);
      if (e.finished && (e.exit_event <= e.event || e.exit_event > index.event_count)) {
        Fail("exit event not after the entering one", i);
      }
      if (e.opened_at > e.event) Fail("socket opened after its call", i);
      if (e.kind == EventKind::kSocket && e.ok() && e.opened_at != e.event) {
        Fail("socket() entry not its own opening", i);
      }
    } else {
      if (e.syscall != -1) Fail("task entry with a syscall", i);
      if (e.peer != -1) Fail("task entry with a peer", i);
      if (e.kind == EventKind::kProcessExit ? index.FindProcess(e.pid) == nullptr
                                            : index.FindThread(e.tid) == nullptr) {
        Fail("task entry's task or process not listed", i);
      }
    }
    if (e.peer < -1 || e.peer >= static_cast<int64_t>(all.size())) Fail("peer out of range", i);
    if (e.peer >= 0) {
      const IndexEntry& p = all[e.peer];
      if (p.peer != static_cast<int64_t>(i)) Fail("peer link not symmetric", i);
      const IndexEntry& connect = e.kind == EventKind::kConnect ? e : p;
      const IndexEntry& accept = e.kind == EventKind::kConnect ? p : e;
      if (connect.kind != EventKind::kConnect || accept.kind != EventKind::kAccept) {
        Fail("peers are not a connect and an accept", i);
      }
      if (!connect.ok() || !accept.ok()) Fail("a failed call has a peer", i);
      if (connect.local.text != accept.remote.text || connect.remote.text != accept.local.text) {
        Fail("peers' addresses do not match", i);
      }
    }
    for (bool remote : {false, true}) sum += pyreplay::NeedsDeepPass(index, e, remote);
    sum += pyreplay::DescribeEntry(index, e).size() + e.detail.size() + e.local.text.size() +
           e.remote.text.size() + static_cast<uint64_t>(e.result) + e.opened_at;
  }
  for (const pyreplay::ThreadInfo& t : index.threads) {
    sum += static_cast<uint64_t>(t.tid) + t.created_at + t.exited_at;
  }
  for (const pyreplay::ProcessInfo& p : index.processes) {
    sum += static_cast<uint64_t>(p.pid) + p.exe.size() + p.cmdline.size();
  }
  return sum;
}

void CheckSame(const EventIndex& a, const EventIndex& b) {
  if (a.entries.size() != b.entries.size()) Fail("loaded index has another entry count");
  if (a.uuid != b.uuid || a.event_count != b.event_count || a.threads.size() != b.threads.size() ||
      a.processes.size() != b.processes.size() || a.streams.size() != b.streams.size()) {
    Fail("loaded index differs in its header");
  }
  for (size_t i = 0; i < a.entries.size(); ++i) {
    const IndexEntry& x = a.entries[i];
    const IndexEntry& y = b.entries[i];
    const char* field = x.kind != y.kind                 ? "kind"
                        : x.event != y.event             ? "event"
                        : x.exit_event != y.exit_event   ? "exit_event"
                        : x.tid != y.tid                 ? "tid"
                        : x.pid != y.pid                 ? "pid"
                        : x.syscall != y.syscall         ? "syscall"
                        : x.fd != y.fd                   ? "fd"
                        : x.family != y.family           ? "family"
                        : x.type != y.type               ? "type"
                        : x.result != y.result           ? "result"
                        : x.finished != y.finished       ? "finished"
                        : x.peer != y.peer               ? "peer"
                        : x.opened_at != y.opened_at     ? "opened_at"
                        : x.parent_tid != y.parent_tid   ? "parent_tid"
                        : x.exit_status != y.exit_status ? "exit_status"
                        : x.detail != y.detail           ? "detail"
                        : !SameAddress(x.local, y.local) ? "local"
                        : !SameAddress(x.remote, y.remote) ? "remote"
                                                           : nullptr;
    if (field != nullptr) {
      fprintf(stderr, "index_fuzz: %s differs: built \"%s\", loaded \"%s\"\n", field,
              pyreplay::DescribeEntry(a, x).c_str(), pyreplay::DescribeEntry(b, y).c_str());
      Fail("loaded entry differs", i);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Script script(in);
  for (int op = 0; op < kMaxOps && in.remaining_bytes() > 0; ++op) script.Op();
  TestTraceWriter& w = script.writer();
  if (in.ConsumeBool()) w.Sched(10);  // flushes memory writes still queued

  const std::string& dir = TraceDir();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::filesystem::create_directories(dir);
  const size_t chunk = in.PickValueInArray<size_t>({4096, 700, 64, 16, 1 << 20});
  std::string uuid = in.ConsumeBytesAsString(16);
  uuid.resize(16, '\x42');
  const int version = in.ConsumeProbability<float>() < 0.95f ? 85 : in.ConsumeIntegral<int>();
  struct File {
    const char* name;
    std::string bytes;
  } files[] = {{"version", pyreplay::testing::VersionFile(uuid, version)},
               {"events", pyreplay::testing::Chunked(w.events_stream(), chunk)},
               {"tasks", pyreplay::testing::Chunked(w.tasks_stream(), chunk)},
               {"data", pyreplay::testing::Chunked(w.data_stream(), chunk)}};
  for (File& file : files) {
    bool drop = false;
    std::string bytes = Corrupt(in, std::move(file.bytes), &drop);
    if (!drop) TestTraceWriter::WriteFile(dir + "/" + file.name, bytes);
  }

  uint64_t last_done = 0;
  absl::StatusOr<EventIndex> index = pyreplay::BuildIndex(dir, [&](uint64_t done, uint64_t total) {
    if (done > total || done < last_done) Fail("progress beyond the total or backwards");
    last_done = done;
  });
  static const bool verbose = getenv("INDEX_FUZZ_VERBOSE") != nullptr;
  if (verbose) fprintf(stderr, "index_fuzz: %s\n", index.status().ToString().c_str());
  if (!index.ok()) {
    // A status is what bad input must give, and one of those BuildIndex documents (the folder
    // and its files are always readable here).
    absl::StatusCode code = index.status().code();
    if (code != absl::StatusCode::kNotFound && code != absl::StatusCode::kFailedPrecondition &&
        code != absl::StatusCode::kDataLoss) {
      fprintf(stderr, "index_fuzz: %s\n", index.status().ToString().c_str());
      Fail("BuildIndex failed with a status it does not document");
    }
    return 0;
  }
  volatile uint64_t sink = Check(*index);
  (void)sink;
  if (verbose) {
    size_t peers = 0;
    for (const IndexEntry& e : index->entries) peers += e.peer >= 0;
    fprintf(stderr, "index_fuzz: %zu entries, %zu paired\n", index->entries.size(), peers);
  }

  // Round trip: what WriteIndex saves, LoadIndex gives back, fresh for these streams.
  absl::Status written = pyreplay::WriteIndex(dir, *index);
  if (!written.ok()) {
    fprintf(stderr, "index_fuzz: %s\n", written.ToString().c_str());
    Fail("WriteIndex failed on a built index");
  }
  absl::StatusOr<EventIndex> loaded = pyreplay::LoadIndex(dir);
  if (!loaded.ok()) {
    fprintf(stderr, "index_fuzz: %s\n", loaded.status().ToString().c_str());
    Fail("LoadIndex failed on a written index");
  }
  CheckSame(*index, *loaded);
  absl::StatusOr<pyreplay::IndexFreshness> fresh = pyreplay::CheckIndexFreshness(dir);
  if (!fresh.ok() || *fresh != pyreplay::IndexFreshness::kFresh) {
    Fail("a just written index is not fresh");
  }
  bool rebuilt = true;
  absl::StatusOr<EventIndex> again = pyreplay::LoadOrBuildIndex(dir, nullptr, &rebuilt);
  if (!again.ok() || rebuilt) Fail("LoadOrBuildIndex rebuilt a fresh index");
  CheckSame(*index, *again);

  // A damaged saved index: LoadIndex gives a status or an index whose peers are in range (what
  // its readers rely on), and LoadOrBuildIndex still gives the trace's own index back.
  if (in.ConsumeBool()) {
    absl::StatusOr<std::string> saved = pyreplay::ReadFileToString(pyreplay::IndexPath(dir));
    if (!saved.ok()) Fail("the written index cannot be read back");
    std::string bytes = *saved;
    switch (in.ConsumeIntegralInRange(0, 2)) {
      case 0:
        bytes.resize(in.ConsumeIntegralInRange<size_t>(0, bytes.size()));
        break;
      case 1:
        if (!bytes.empty()) {
          bytes[in.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1)] ^=
              static_cast<char>(in.ConsumeIntegralInRange(1, 255));
        }
        break;
      default: {
        size_t at = in.ConsumeIntegralInRange<size_t>(0, bytes.size());
        std::string junk = in.ConsumeRandomLengthString(64);
        bytes.replace(at, std::min(junk.size(), bytes.size() - at), junk);
      }
    }
    TestTraceWriter::WriteFile(pyreplay::IndexPath(dir), bytes);
    absl::StatusOr<EventIndex> damaged = pyreplay::LoadIndex(dir);
    if (damaged.ok()) {
      for (size_t i = 0; i < damaged->entries.size(); ++i) {
        const IndexEntry& e = damaged->entries[i];
        if (e.peer >= static_cast<int64_t>(damaged->entries.size())) {
          Fail("a loaded index has a peer out of range", i);
        }
        volatile size_t n = pyreplay::DescribeEntry(*damaged, e).size();
        (void)n;
      }
    }
    absl::StatusOr<pyreplay::IndexFreshness> freshness = pyreplay::CheckIndexFreshness(dir);
    if (!freshness.ok()) Fail("CheckIndexFreshness failed on a damaged index");
    absl::StatusOr<EventIndex> rebuilt_index = pyreplay::LoadOrBuildIndex(dir);
    if (!rebuilt_index.ok()) Fail("LoadOrBuildIndex failed on a damaged index");
    if (*freshness != pyreplay::IndexFreshness::kFresh) CheckSame(*index, *rebuilt_index);
  }
  return 0;
}
