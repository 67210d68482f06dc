#include "replay/index/event_index.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/exception.h>
#include <kj/io.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/common/atomic_file.h"
#include "replay/common/sealed_file.h"
#include "replay/common/sha256.h"
#include "replay/common/status_macros.h"
#include "replay/index/index.capnp.h"
#include "replay/trace/rr_trace.capnp.h"
#include "replay/trace/raw_data_reader.h"
#include "replay/trace/task_stream.h"
#include "replay/trace/trace_digests.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {
namespace {

// Bumped whenever what the index holds changes: an index of another format is stale.
constexpr uint32_t kIndexFormatVersion = 3;

// x86-64 syscall numbers of the indexed socket calls.
constexpr int kSysRestart = 219;  // restart_syscall: rr's number for a restarted syscall
constexpr int kSysSocket = 41, kSysConnect = 42, kSysAccept = 43, kSysBind = 49, kSysListen = 50,
              kSysAccept4 = 288;
// Not indexed themselves, but what the kernel answered tells a socket's addresses. rr's syscall
// buffer handles getsockname, so it rarely has a frame; getpeername always has one.
constexpr int kSysGetsockname = 51, kSysGetpeername = 52;

// Slots (8 bytes each) in the kernel's x86-64 user_regs_struct.
constexpr size_t kRegRax = 10, kRegRdx = 12, kRegRsi = 13, kRegRdi = 14;

constexpr const char* kStreamsRead[] = {"events", "tasks"};

const char* const kKindNames[kEventKindCount] = {
    "thread", "thread-exit", "fork", "exec", "exit", "socket", "bind", "listen", "connect", "accept"};

bool IsSocketSyscall(int number) {
  return number == kSysSocket || number == kSysConnect || number == kSysAccept ||
         number == kSysBind || number == kSysListen || number == kSysAccept4;
}

bool IsAddressQuery(int number) {
  return number == kSysGetsockname || number == kSysGetpeername;
}

EventKind KindOfSyscall(int number) {
  switch (number) {
    case kSysSocket: return EventKind::kSocket;
    case kSysBind: return EventKind::kBind;
    case kSysListen: return EventKind::kListen;
    case kSysConnect: return EventKind::kConnect;
    default: return EventKind::kAccept;
  }
}

uint64_t Reg(const capnp::Data::Reader& raw, size_t slot) {
  uint64_t value = 0;
  if (raw.size() >= (slot + 1) * 8) memcpy(&value, raw.begin() + slot * 8, 8);
  return value;
}

absl::StatusOr<StreamStamp> Stamp(const std::string& trace_dir, const std::string& name) {
  std::string path = (std::filesystem::path(trace_dir) / name).string();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    int err = errno;
    std::string message = absl::StrCat(path, ": ", strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  StreamStamp stamp;
  stamp.name = name;
  stamp.size = static_cast<uint64_t>(st.st_size);
  uint64_t tail = std::min<uint64_t>(stamp.size, kStampTailBytes);
  std::string bytes(tail, '\0');
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = absl::StrCat(path, ": ", strerror(err));
    if (err == EACCES) return absl::PermissionDeniedError(message);
    return absl::UnavailableError(message);
  }
  ssize_t got = pread(fd, bytes.data(), tail, static_cast<off_t>(stamp.size - tail));
  int err = errno;
  close(fd);
  if (got != static_cast<ssize_t>(tail)) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot read its last ", tail, " bytes",
                                               got < 0 ? absl::StrCat(": ", strerror(err)) : ""));
  }
  stamp.tail_sha256 = Sha256Hex(bytes);
  return stamp;
}

absl::string_view AsView(const capnp::Data::Reader& data) {
  return absl::string_view(reinterpret_cast<const char*>(data.begin()), data.size());
}

// StoredBytes is how many bytes of the data stream a memWrite occupies: its size without its
// holes (TraceStream.cc, read_raw_data_for_frame_with_holes). False when the holes are not as
// rr writes them, in order, apart and inside the write (a corrupt frame); HolesError says so.
// Summing the sizes of any other holes is not what TraceData::Read skips: a hole past the end
// or overlapping another one made it read more bytes than counted here, so later reads came
// from the wrong offsets or failed with an InternalError (found by tests/fuzz/index_fuzz.cc).
// It runs for every write of every frame, so it builds no status on the way.
bool StoredBytes(rr::MemWrite::Reader write, uint64_t* stored) {
  const uint64_t size = write.getSize();
  *stored = size;
  if (!write.hasHoles()) return true;
  uint64_t end = 0;  // of the previous hole
  for (auto hole : write.getHoles()) {
    const uint64_t offset = hole.getOffset();
    if (offset < end || offset > size || hole.getSize() > size - offset) return false;
    end = offset + hole.getSize();
    *stored -= hole.getSize();
  }
  return true;
}

absl::Status HolesError(const std::string& path, rr::MemWrite::Reader write, uint64_t event) {
  return absl::DataLossError(absl::StrCat(
      path, ": frame ", event, ": a memory write's holes exceed its size or overlap (",
      write.getSize(), " bytes at 0x", absl::Hex(write.getAddr()), ")"));
}

// FrameWrites is one frame's memWrites and the data stream offset of the first one's bytes.
struct FrameWrites {
  capnp::List<rr::MemWrite>::Reader writes;
  uint64_t data_offset = 0;
  uint64_t event = 0;
};

// TraceData reads the bytes of chosen memWrites from the trace's `data` stream, in stream order.
// The stream is opened at the first read: an index of a trace whose accepts all carry rr's
// socketAddrs never touches it.
class TraceData {
 public:
  explicit TraceData(std::string trace_dir) : trace_dir_(std::move(trace_dir)) {}

  // Read returns the `index`-th write of `frame` as the tracee's memory held it (holes as
  // zeros), at most `limit` bytes of it.
  absl::StatusOr<std::string> Read(const FrameWrites& frame, size_t index, size_t limit) {
    uint64_t offset = frame.data_offset;
    for (size_t i = 0; i < index; ++i) {
      uint64_t stored = 0;
      if (!StoredBytes(frame.writes[i], &stored)) {
        return HolesError("events", frame.writes[i], frame.event);  // BuildIndex checked it
      }
      offset += stored;
    }
    rr::MemWrite::Reader write = frame.writes[index];
    const uint64_t size = std::min<uint64_t>(write.getSize(), limit);
    if (reader_ == nullptr) {
      ASSIGN_OR_RETURN(reader_, RawDataReader::Open(trace_dir_));
    }
    if (offset < reader_->position()) {
      return absl::InternalError(absl::StrCat(reader_->path(), ": read at stream byte ", offset,
                                              " after byte ", reader_->position()));
    }
    reader_->Skip(offset - reader_->position());
    std::string bytes(size, '\0');
    uint64_t at = 0;  // offset in the write
    for (auto hole : write.getHoles()) {
      if (at >= size) break;
      uint64_t hole_at = std::max<uint64_t>(hole.getOffset(), at);
      uint64_t run = std::min<uint64_t>(hole_at, size) - at;
      RETURN_IF_ERROR(reader_->Read(bytes.data() + at, run));
      at = std::min<uint64_t>(hole_at + hole.getSize(), size);  // zeros, not stored
    }
    RETURN_IF_ERROR(reader_->Read(bytes.data() + at, size - at));
    return bytes;
  }

  uint64_t chunks_decompressed() const { return reader_ ? reader_->chunks_decompressed() : 0; }

 private:
  std::string trace_dir_;
  std::unique_ptr<RawDataReader> reader_;
};

// SocketState is what the index knows about one open socket fd of one process.
struct SocketState {
  int32_t family = -1;
  int32_t type = -1;
  uint64_t opened_at = 0;
  // Entries (into the builder's socket entries) of the calls made on it, -1 for none.
  int64_t bind_entry = -1;
  int64_t listen_entry = -1;
  int64_t connect_entry = -1;
  int64_t accept_entry = -1;  // the accept that made this socket
};

uint64_t FdKey(int32_t pid, int64_t fd) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(pid)) << 32) | static_cast<uint32_t>(fd);
}

// Builder holds the state of one index build.
class Builder {
 public:
  Builder(EventIndex& index, std::unique_ptr<TaskStream> tasks, const std::string& trace_dir)
      : index_(index), tasks_(std::move(tasks)), data_(trace_dir) {}

  // ApplyTasksUpTo applies every task record with frame_time <= `event`, timed at `time`.
  absl::Status ApplyTasksUpTo(uint64_t event, double time) {
    TaskRecord task;
    while (true) {
      ASSIGN_OR_RETURN(bool due, tasks_->NextUpTo(event, &task));
      if (!due) return absl::OkStatus();
      ApplyTask(task, time);
    }
  }

  void OnEntering(uint64_t event, int32_t tid, double time, int number,
                  const capnp::Data::Reader& regs) {
    IndexEntry entry;
    entry.kind = KindOfSyscall(number);
    entry.event = event;
    entry.tid = tid;
    entry.pid = PidOf(tid);
    entry.time = time;
    entry.syscall = number;
    uint64_t rdi = Reg(regs, kRegRdi), rsi = Reg(regs, kRegRsi);
    if (number == kSysSocket) {
      entry.family = static_cast<int32_t>(rdi);
      entry.type = static_cast<int32_t>(rsi & 0xf);  // without SOCK_NONBLOCK/SOCK_CLOEXEC
      if (entry.family == AF_UNIX) {
        entry.local.family = entry.remote.family = AddressFamily::kUnix;
      }
    } else {
      entry.fd = static_cast<int32_t>(rdi);
      auto it = sockets_.find(FdKey(entry.pid, entry.fd));
      if (it != sockets_.end()) {
        entry.family = it->second.family;
        entry.type = it->second.type;
        entry.opened_at = it->second.opened_at;
      }
    }
    // accept's output buffers: rr records them at its exit as memWrites at these addresses (the
    // entering frame holds the caller's registers, before rr points them at its scratch memory).
    pending_[tid] = {socket_entries_.size(), rsi, Reg(regs, kRegRdx)};
    socket_entries_.push_back(std::move(entry));
  }

  absl::Status OnExiting(uint64_t event, int32_t tid, int number, uint64_t rax,
                         const rr::Frame::Event::Syscall::Extra::Reader* extra,
                         const FrameWrites& frame) {
    auto it = pending_.find(tid);
    if (it == pending_.end()) return absl::OkStatus();
    const Pending pending = it->second;
    pending_.erase(it);
    IndexEntry& entry = socket_entries_[pending.entry];
    const size_t entry_index = pending.entry;
    if (entry.syscall != number && number != kSysRestart) {
      return absl::OkStatus();  // not the exit of that entry
    }
    entry.exit_event = event;
    entry.finished = true;
    entry.result = static_cast<int64_t>(rax);
    if (extra != nullptr) {
      entry.local = DecodeRrSockaddr(AsView(extra->getSocketAddrs().getLocalAddr()), false);
      entry.remote = DecodeRrSockaddr(AsView(extra->getSocketAddrs().getRemoteAddr()), true);
    }
    if (entry.result <= -512 && entry.result >= -516) {
      // ERESTARTSYS & co: a signal interrupted it and the kernel restarts it; rr records the
      // rest as a restart_syscall pair, which completes this entry (OnRestart).
      interrupted_[tid] = pending;
      return absl::OkStatus();
    }
    if (entry.result < 0) return absl::OkStatus();
    switch (entry.kind) {
      case EventKind::kSocket: {
        SocketState state;
        state.family = entry.family;
        state.type = entry.type;
        state.opened_at = entry.opened_at = entry.event;
        sockets_[FdKey(entry.pid, entry.result)] = state;
        break;
      }
      case EventKind::kBind:
        sockets_[FdKey(entry.pid, entry.fd)].bind_entry = static_cast<int64_t>(entry_index);
        break;
      case EventKind::kListen:
        sockets_[FdKey(entry.pid, entry.fd)].listen_entry = static_cast<int64_t>(entry_index);
        break;
      case EventKind::kConnect: {
        sockets_[FdKey(entry.pid, entry.fd)].connect_entry = static_cast<int64_t>(entry_index);
        // A Unix socket that was never bound connects from no address at all.
        auto state = sockets_.find(FdKey(entry.pid, entry.fd));
        if (entry.family == AF_UNIX && state != sockets_.end() && state->second.bind_entry < 0 &&
            !entry.local.known()) {
          entry.local = {AddressFamily::kUnix, "(unnamed)", AddressSource::kInferred};
        }
        break;
      }
      case EventKind::kAccept: {
        if (!entry.remote.known()) {
          // rr stored no socketAddrs (not TCP): the peer address is what the kernel wrote into
          // accept's buffer, in the trace's data stream.
          ASSIGN_OR_RETURN(entry.remote, KernelPeer(frame, pending));
        }
        SocketState& listener = sockets_[FdKey(entry.pid, entry.fd)];
        for (int64_t owner : {listener.bind_entry, listener.listen_entry}) {
          if (owner < 0) continue;
          SocketAddress& local = socket_entries_[owner].local;
          if (!local.known() && entry.local.known()) {
            local = entry.local;
            local.source = AddressSource::kInferred;
          } else if (local.known() && !entry.local.known()) {
            entry.local = local;
            entry.local.source = AddressSource::kInferred;
          }
        }
        SocketState accepted;
        accepted.family = entry.family;
        accepted.type = entry.type;
        accepted.opened_at = entry.event;
        accepted.accept_entry = static_cast<int64_t>(entry_index);
        sockets_[FdKey(entry.pid, entry.result)] = accepted;
        break;
      }
      default:
        break;
    }
    return absl::OkStatus();
  }

  // OnQueryEntering: the entering frame of a getsockname/getpeername.
  void OnQueryEntering(int32_t tid, int number, const capnp::Data::Reader& regs) {
    Query query;
    query.number = number;
    query.pid = PidOf(tid);
    query.fd = static_cast<int32_t>(Reg(regs, kRegRdi));
    query.buffers.rsi = Reg(regs, kRegRsi);
    query.buffers.rdx = Reg(regs, kRegRdx);
    queries_[tid] = query;
  }

  // OnQueryExiting: what the kernel answered fills the socket's calls' unknown addresses, as
  // inferred: getpeername the connect's target, getsockname the bound, listening, connecting
  // or accepted socket's own address.
  absl::Status OnQueryExiting(int32_t tid, int number, uint64_t rax, const FrameWrites& frame) {
    auto it = queries_.find(tid);
    if (it == queries_.end()) return absl::OkStatus();
    const Query query = it->second;
    queries_.erase(it);
    if (query.number != number || rax != 0) return absl::OkStatus();
    auto state = sockets_.find(FdKey(query.pid, query.fd));
    if (state == sockets_.end()) return absl::OkStatus();
    std::vector<SocketAddress*> unknown;
    auto want = [&](int64_t owner, bool remote) {
      if (owner < 0) return;
      SocketAddress& address =
          remote ? socket_entries_[owner].remote : socket_entries_[owner].local;
      if (!address.known()) unknown.push_back(&address);
    };
    if (number == kSysGetpeername) {
      want(state->second.connect_entry, true);
    } else {
      for (int64_t owner : {state->second.bind_entry, state->second.listen_entry,
                            state->second.connect_entry, state->second.accept_entry}) {
        want(owner, false);
      }
    }
    // Programs ask often (CPython's repr of a socket does): read the data stream only when the
    // answer tells something new, so a TCP trace decompresses none of it.
    if (unknown.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(SocketAddress answer, KernelPeer(frame, query.buffers));
    if (!answer.known()) return absl::OkStatus();
    answer.source = AddressSource::kInferred;
    for (SocketAddress* address : unknown) *address = answer;
    return absl::OkStatus();
  }

  // OnRestartEntering: a restart_syscall frame. When it restarts an interrupted socket call of
  // this thread, its exit completes that entry.
  void OnRestartEntering(int32_t tid) {
    auto it = interrupted_.find(tid);
    if (it == interrupted_.end()) return;
    pending_[tid] = it->second;
    interrupted_.erase(it);
  }

  // Finish applies the remaining tasks, merges and pairs the entries.
  absl::Status Finish() {
    RETURN_IF_ERROR(ApplyTasksUpTo(UINT64_MAX, index_.last_time));
    // The exit of a process is the exit of its last thread.
    absl::flat_hash_map<int32_t, size_t> live;
    for (const ThreadInfo& thread : index_.threads) {
      if (thread.exited_at == 0) ++live[thread.pid];
    }
    for (ProcessInfo& process : index_.processes) {
      if (live.contains(process.pid)) continue;
      const IndexEntry* last = nullptr;
      for (const IndexEntry& e : task_entries_) {
        if (e.kind == EventKind::kThreadExit && e.pid == process.pid &&
            (last == nullptr || e.event >= last->event)) {
          last = &e;
        }
      }
      if (last == nullptr) continue;
      process.exited_at = last->event;
      IndexEntry exit = *last;
      exit.kind = EventKind::kProcessExit;
      exit_entries_.push_back(exit);
    }
    // Each list is in event order already (socket calls by their entering frame, task events as
    // the tasks stream gives them), so the few task entries are merged into the socket calls in
    // place, not sorted with them into a copy. At one event, task events come before process
    // exits, and those before socket calls (the entries with a syscall number).
    auto rank = [](const IndexEntry& e) {
      return e.syscall >= 0 ? 2 : e.kind == EventKind::kProcessExit ? 1 : 0;
    };
    auto in_order = [&](const IndexEntry& a, const IndexEntry& b) {
      return a.event != b.event ? a.event < b.event : rank(a) < rank(b);
    };
    std::vector<IndexEntry>& all = index_.entries;
    all = std::move(socket_entries_);
    const size_t socket_count = all.size();
    for (auto* list : {&task_entries_, &exit_entries_}) {
      for (IndexEntry& e : *list) all.push_back(std::move(e));
      list->clear();
    }
    if (!std::is_sorted(all.begin(), all.begin() + socket_count, in_order)) {
      std::stable_sort(all.begin(), all.begin() + socket_count, in_order);
    }
    if (!std::is_sorted(all.begin() + socket_count, all.end(), in_order)) {
      std::stable_sort(all.begin() + socket_count, all.end(), in_order);
    }
    std::inplace_merge(all.begin(), all.begin() + socket_count, all.end(), in_order);
    PairConnections(&index_);
    return absl::OkStatus();
  }

 private:
  // Pending is a socket call between its entering and exiting frames.
  struct Pending {
    size_t entry = 0;   // into socket_entries_
    uint64_t rsi = 0;   // accept: the sockaddr buffer
    uint64_t rdx = 0;   // accept: the addrlen (socklen_t, in and out)
  };
  // Query is a getsockname/getpeername between its frames; it writes as accept does.
  struct Query {
    int number = 0;
    int32_t pid = 0;
    int32_t fd = -1;
    Pending buffers;
  };

  // KernelPeer decodes the address accept (or getpeername, getsockname) wrote. rr records the
  // addrlen (IN_OUT) and then the sockaddr, as long as the smaller of the buffer and what the
  // kernel reported (record_syscall.cc, `case Arch::accept`); the addrlen it wrote says how
  // much is address.
  absl::StatusOr<SocketAddress> KernelPeer(const FrameWrites& frame, const Pending& pending) {
    if (pending.rsi == 0) return SocketAddress();  // accept(fd, NULL, NULL): no address asked
    int64_t len_write = -1, addr_write = -1;
    for (size_t i = 0; i < frame.writes.size(); ++i) {
      uint64_t addr = frame.writes[i].getAddr();
      if (addr == pending.rdx && len_write < 0 && frame.writes[i].getSize() == 4) len_write = i;
      else if (addr == pending.rsi && addr_write < 0) addr_write = i;
    }
    if (addr_write < 0) return SocketAddress();
    uint64_t length = sizeof(sockaddr_storage);
    // The writes are read in stream order: addrlen first when rr recorded it first.
    std::string len_bytes;
    if (len_write >= 0 && len_write < addr_write) {
      ASSIGN_OR_RETURN(len_bytes, data_.Read(frame, len_write, 4));
    }
    ASSIGN_OR_RETURN(std::string sockaddr,
                     data_.Read(frame, addr_write, sizeof(sockaddr_storage)));
    if (len_write > addr_write) {
      ASSIGN_OR_RETURN(len_bytes, data_.Read(frame, len_write, 4));
    }
    if (len_bytes.size() == 4) {
      uint32_t value;
      memcpy(&value, len_bytes.data(), 4);
      length = value;
    }
    return DecodeSockaddr(sockaddr, length, AddressSource::kSyscall);
  }

  int32_t PidOf(int32_t tid) {
    auto it = pid_of_.find(tid);
    if (it != pid_of_.end()) return it->second;
    pid_of_[tid] = tid;  // a task the trace never showed being created: its own process
    return tid;
  }

  ProcessInfo* Process(int32_t pid) {
    auto it = process_at_.find(pid);
    if (it != process_at_.end()) return &index_.processes[it->second];
    return nullptr;
  }

  void EnsureTask(int32_t tid) {
    if (thread_at_.contains(tid)) return;
    ThreadInfo thread;
    thread.tid = tid;
    thread.pid = PidOf(tid);
    thread_at_[tid] = index_.threads.size();
    index_.threads.push_back(thread);
    if (thread.pid == tid && Process(tid) == nullptr) {
      ProcessInfo process;
      process.pid = tid;
      process_at_[tid] = index_.processes.size();
      index_.processes.push_back(process);
    }
  }

  void ApplyTask(const TaskRecord& task, double time) {
    IndexEntry entry;
    entry.event = task.frame_time;
    entry.tid = task.tid;
    entry.time = time;
    switch (task.type) {
      case TaskRecord::kClone: {
        EnsureTask(task.parent_tid);
        bool thread = (task.flags & CLONE_THREAD) != 0;
        int32_t parent_pid = PidOf(task.parent_tid);
        pid_of_[task.tid] = thread ? parent_pid : task.tid;
        thread_at_.erase(task.tid);  // a reused tid is a new task
        EnsureTask(task.tid);
        ThreadInfo& info = index_.threads[thread_at_[task.tid]];
        info.parent_tid = task.parent_tid;
        info.created_at = task.frame_time;
        if (!thread) {
          if ((task.flags & CLONE_FILES) == 0) InheritSockets(parent_pid, task.tid);
          ProcessInfo* process = Process(task.tid);
          if (process != nullptr) {
            process->parent_pid = parent_pid;
            process->created_at = task.frame_time;
            if (ProcessInfo* parent = Process(parent_pid)) {
              process->exe = parent->exe;
              process->cmdline = parent->cmdline;
            }
          }
        }
        entry.kind = thread ? EventKind::kThreadStart : EventKind::kFork;
        entry.parent_tid = task.parent_tid;
        entry.pid = pid_of_[task.tid];
        break;
      }
      case TaskRecord::kExec: {
        EnsureTask(task.tid);
        entry.kind = EventKind::kExec;
        entry.pid = PidOf(task.tid);
        entry.detail = task.file_name;
        if (ProcessInfo* process = Process(entry.pid)) {
          process->exec_at = task.frame_time;
          process->exe = task.file_name;
          process->cmdline = task.cmdline;
        }
        break;
      }
      case TaskRecord::kExit:
      case TaskRecord::kDetach: {
        EnsureTask(task.tid);
        ThreadInfo& info = index_.threads[thread_at_[task.tid]];
        if (info.exited_at != 0) return;
        info.exited_at = std::max<uint64_t>(task.frame_time, 1);
        info.exit_status = task.exit_status;
        entry.kind = EventKind::kThreadExit;
        entry.pid = info.pid;
        entry.exit_status = task.exit_status;
        break;
      }
    }
    task_entries_.push_back(std::move(entry));
  }

  void InheritSockets(int32_t parent_pid, int32_t child_pid) {
    std::vector<std::pair<uint64_t, SocketState>> copies;
    for (const auto& [key, state] : sockets_) {
      if (static_cast<int32_t>(key >> 32) == parent_pid) {
        copies.emplace_back(FdKey(child_pid, static_cast<int32_t>(key & 0xffffffffu)), state);
      }
    }
    for (auto& [key, state] : copies) sockets_[key] = state;
  }

  EventIndex& index_;
  std::unique_ptr<TaskStream> tasks_;
  TraceData data_;
  absl::flat_hash_map<int32_t, int32_t> pid_of_;
  absl::flat_hash_map<int32_t, size_t> thread_at_;
  absl::flat_hash_map<int32_t, size_t> process_at_;
  absl::flat_hash_map<int32_t, Pending> pending_;      // tid -> socket call awaiting its exit
  absl::flat_hash_map<int32_t, Pending> interrupted_;  // tid -> call to be restarted
  absl::flat_hash_map<int32_t, Query> queries_;        // tid -> getsockname/getpeername
  absl::flat_hash_map<uint64_t, SocketState> sockets_;
  std::vector<IndexEntry> task_entries_;
  std::vector<IndexEntry> exit_entries_;
  std::vector<IndexEntry> socket_entries_;
};

void ToSchema(const SocketAddress& in, schema::SocketAddress::Builder out) {
  out.setFamily(static_cast<uint8_t>(in.family));
  out.setText(in.text);
  out.setInferred(in.inferred());
  out.setSource(static_cast<uint8_t>(in.source));
}

SocketAddress FromSchema(schema::SocketAddress::Reader in) {
  SocketAddress out;
  out.family = static_cast<AddressFamily>(std::min<uint8_t>(in.getFamily(), 3));
  out.text = in.getText();
  out.source = static_cast<AddressSource>(
      std::min<uint8_t>(in.getSource(), kAddressSourceCount - 1));
  return out;
}

absl::StatusOr<std::vector<StreamStamp>> CurrentStamps(const std::string& trace_dir) {
  std::vector<StreamStamp> stamps;
  for (const char* name : kStreamsRead) {
    ASSIGN_OR_RETURN(StreamStamp stamp, Stamp(trace_dir, name));
    stamps.push_back(std::move(stamp));
  }
  return stamps;
}

bool SameStamps(const std::vector<StreamStamp>& a, const std::vector<StreamStamp>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameStream(a[i], b[i])) return false;
  }
  return true;
}

// ReadIndexFile parses a saved index; `format` receives its format version.
absl::StatusOr<EventIndex> ReadIndexFile(const std::string& path, uint32_t* format) {
  ASSIGN_OR_RETURN(std::string file, ReadFileToString(path, /*follow_links=*/false));
  // The index is a cache: a damaged one (or one without a checksum) is simply rebuilt.
  ASSIGN_OR_RETURN(Unsealed sealed, Unseal(file, path));
  if (!sealed.sealed) {
    return absl::DataLossError(absl::StrCat(path, ": no checksum (an older pyreplay wrote it)"));
  }
  const absl::string_view bytes = sealed.payload;
  EventIndex index;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    capnp::ReaderOptions options;
    options.traversalLimitInWords = std::max<uint64_t>(1 << 20, bytes.size() * 4);
    capnp::PackedMessageReader message(input, options);
    schema::Index::Reader root = message.getRoot<schema::Index>();
    *format = root.getFormatVersion();
    if (*format != kIndexFormatVersion) return;
    auto uuid = root.getUuid();
    index.uuid.assign(reinterpret_cast<const char*>(uuid.begin()), uuid.size());
    for (auto s : root.getStreams()) {
      index.streams.push_back({s.getName(), s.getSize(), s.getTailSha256()});
    }
    index.event_count = root.getEventCount();
    index.first_time = root.getFirstTime();
    index.last_time = root.getLastTime();
    index.entries.reserve(root.getEntries().size());
    for (auto e : root.getEntries()) {
      IndexEntry entry;
      entry.kind = static_cast<EventKind>(std::min<uint8_t>(e.getKind(), kEventKindCount - 1));
      entry.event = e.getEvent();
      entry.exit_event = e.getExitEvent();
      entry.tid = e.getTid();
      entry.pid = e.getPid();
      entry.time = e.getTime();
      entry.syscall = e.getSyscall();
      entry.fd = e.getFd();
      entry.family = e.getFamily();
      entry.type = e.getType();
      entry.result = e.getResult();
      entry.finished = e.getFinished();
      entry.local = FromSchema(e.getLocal());
      entry.remote = FromSchema(e.getRemote());
      entry.peer = e.getPeer();
      entry.opened_at = e.getOpenedAt();
      entry.parent_tid = e.getParentTid();
      entry.exit_status = e.getExitStatus();
      entry.detail = e.getDetail();
      index.entries.push_back(std::move(entry));
    }
    for (auto t : root.getThreads()) {
      index.threads.push_back({t.getTid(), t.getParentTid(), t.getPid(), t.getCreatedAt(),
                               t.getExitedAt(), t.getExitStatus()});
    }
    for (auto p : root.getProcesses()) {
      ProcessInfo process;
      process.pid = p.getPid();
      process.parent_pid = p.getParentPid();
      process.created_at = p.getCreatedAt();
      process.exec_at = p.getExecAt();
      process.exited_at = p.getExitedAt();
      process.exe = p.getExe();
      for (auto arg : p.getCmdline()) process.cmdline.emplace_back(arg);
      index.processes.push_back(std::move(process));
    }
  });
  KJ_IF_MAYBE(e, error) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt index: ", e->getDescription().cStr()));
  }
  for (const IndexEntry& e : index.entries) {
    if (e.peer >= static_cast<int64_t>(index.entries.size())) {
      return absl::DataLossError(absl::StrCat(path, ": corrupt index: peer out of range"));
    }
  }
  return index;
}

}  // namespace

bool SameStream(const StreamStamp& a, const StreamStamp& b) {
  return a.name == b.name && a.size == b.size && a.tail_sha256 == b.tail_sha256;
}

absl::string_view EventKindName(EventKind kind) {
  int i = static_cast<int>(kind);
  return i >= 0 && i < kEventKindCount ? kKindNames[i] : "?";
}

absl::StatusOr<EventKind> ParseEventKind(absl::string_view name) {
  for (int i = 0; i < kEventKindCount; ++i) {
    if (name == kKindNames[i]) return static_cast<EventKind>(i);
  }
  if (name == "threads" || name == "clone") return EventKind::kThreadStart;
  if (name == "accept4") return EventKind::kAccept;
  if (name == "process-exit") return EventKind::kProcessExit;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown event kind '", name,
      "' (kinds: thread, thread-exit, fork, exec, exit, socket, bind, listen, connect, accept)"));
}

size_t EventIndex::FirstAtOrAfter(uint64_t event) const {
  return std::lower_bound(entries.begin(), entries.end(), event,
                          [](const IndexEntry& e, uint64_t n) { return e.event < n; }) -
         entries.begin();
}

const ThreadInfo* EventIndex::FindThread(int32_t tid) const {
  const ThreadInfo* found = nullptr;
  for (const ThreadInfo& t : threads) {
    if (t.tid == tid) found = &t;  // the latest task with that tid
  }
  return found;
}

const ProcessInfo* EventIndex::FindProcess(int32_t pid) const {
  const ProcessInfo* found = nullptr;
  for (const ProcessInfo& p : processes) {
    if (p.pid == pid) found = &p;
  }
  return found;
}

std::string IndexPath(const std::string& trace_dir) {
  return (std::filesystem::path(trace_dir) / "pyreplay" / "index").string();
}

absl::StatusOr<EventIndex> BuildIndex(const std::string& trace_dir,
                                      const IndexProgress& progress) {
  ASSIGN_OR_RETURN(TraceHeader header, ReadTraceHeader(trace_dir));
  EventIndex index;
  index.uuid = header.uuid;
  ASSIGN_OR_RETURN(index.streams, CurrentStamps(trace_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<TaskStream> tasks, TaskStream::Open(trace_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> events, StreamReader::Open(trace_dir, "events"));
  Builder builder(index, std::move(tasks), trace_dir);
  const uint64_t total = events->file_size();
  uint64_t event = 0;
  double time = 0;
  uint64_t data_offset = 0;  // where this frame's memWrites start in the data stream
  while (true) {
    ASSIGN_OR_RETURN(bool more, events->Next());
    if (!more) break;
    ++event;
    uint64_t frame_data = 0;
    RETURN_IF_ERROR(events->Visit([&]() -> absl::Status {
      rr::Frame::Reader frame = events->Root<rr::Frame>();
      time = frame.getMonotonicSec();
      if (event == 1) index.first_time = time;
      RETURN_IF_ERROR(builder.ApplyTasksUpTo(event, time));
      const FrameWrites writes{frame.getMemWrites(), data_offset, event};
      for (rr::MemWrite::Reader write : writes.writes) {
        uint64_t stored = 0;
        if (!StoredBytes(write, &stored)) return HolesError(events->path(), write, event);
        // A corrupt size must not wrap the data stream offsets around: TraceData would then
        // read behind its position (an InternalError) or another write's bytes. data_offset +
        // frame_data never exceeds UINT64_MAX, so this does not underflow (found by
        // tests/fuzz/index_fuzz.cc).
        if (stored > UINT64_MAX - data_offset - frame_data) {
          return absl::DataLossError(absl::StrCat(
              events->path(), ": frame ", event, ": memory writes past 2^64 bytes of data (",
              write.getSize(), " bytes at 0x", absl::Hex(write.getAddr()), ")"));
        }
        frame_data += stored;
      }
      rr::Frame::Event::Reader ev = frame.getEvent();
      if (ev.which() != rr::Frame::Event::SYSCALL) return absl::OkStatus();
      rr::Frame::Event::Syscall::Reader syscall = ev.getSyscall();
      int number = syscall.getNumber();
      if (number == kSysRestart) {
        if (syscall.getState() != rr::SyscallState::EXITING) {
          builder.OnRestartEntering(frame.getTid());
          return absl::OkStatus();
        }
      } else if (IsAddressQuery(number)) {
        if (syscall.getState() != rr::SyscallState::EXITING) {
          builder.OnQueryEntering(frame.getTid(), number, frame.getRegisters().getRaw());
          return absl::OkStatus();
        }
        return builder.OnQueryExiting(frame.getTid(), number,
                                      Reg(frame.getRegisters().getRaw(), kRegRax), writes);
      } else if (!IsSocketSyscall(number)) {
        return absl::OkStatus();
      }
      if (syscall.getState() != rr::SyscallState::EXITING) {
        builder.OnEntering(event, frame.getTid(), time, number, frame.getRegisters().getRaw());
        return absl::OkStatus();
      }
      auto extra = syscall.getExtra();
      return builder.OnExiting(event, frame.getTid(), number,
                               Reg(frame.getRegisters().getRaw(), kRegRax),
                               extra.isSocketAddrs() ? &extra : nullptr, writes);
    }));
    data_offset += frame_data;
    if (progress && (event & 0x3fff) == 0) progress(events->compressed_read(), total);
  }
  if (event == 0) {
    return absl::DataLossError(absl::StrCat(events->path(), ": empty stream, no events recorded"));
  }
  index.event_count = event;
  index.last_time = time;
  RETURN_IF_ERROR(builder.Finish());
  if (progress) progress(total, total);
  return index;
}

absl::Status WriteIndex(const std::string& trace_dir, const EventIndex& index) {
  capnp::MallocMessageBuilder message;
  schema::Index::Builder root = message.initRoot<schema::Index>();
  root.setFormatVersion(kIndexFormatVersion);
  root.setUuid(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(index.uuid.data()),
                                   index.uuid.size()));
  auto streams = root.initStreams(index.streams.size());
  for (size_t i = 0; i < index.streams.size(); ++i) {
    streams[i].setName(index.streams[i].name);
    streams[i].setSize(index.streams[i].size);
    streams[i].setTailSha256(index.streams[i].tail_sha256);
  }
  root.setEventCount(index.event_count);
  root.setFirstTime(index.first_time);
  root.setLastTime(index.last_time);
  auto entries = root.initEntries(index.entries.size());
  for (size_t i = 0; i < index.entries.size(); ++i) {
    const IndexEntry& e = index.entries[i];
    auto out = entries[i];
    out.setKind(static_cast<uint8_t>(e.kind));
    out.setEvent(e.event);
    out.setExitEvent(e.exit_event);
    out.setTid(e.tid);
    out.setPid(e.pid);
    out.setTime(e.time);
    out.setSyscall(e.syscall);
    out.setFd(e.fd);
    out.setFamily(e.family);
    out.setType(e.type);
    out.setResult(e.result);
    out.setFinished(e.finished);
    ToSchema(e.local, out.initLocal());
    ToSchema(e.remote, out.initRemote());
    out.setPeer(e.peer);
    out.setOpenedAt(e.opened_at);
    out.setParentTid(e.parent_tid);
    out.setExitStatus(e.exit_status);
    out.setDetail(e.detail);
  }
  auto threads = root.initThreads(index.threads.size());
  for (size_t i = 0; i < index.threads.size(); ++i) {
    const ThreadInfo& t = index.threads[i];
    threads[i].setTid(t.tid);
    threads[i].setParentTid(t.parent_tid);
    threads[i].setPid(t.pid);
    threads[i].setCreatedAt(t.created_at);
    threads[i].setExitedAt(t.exited_at);
    threads[i].setExitStatus(t.exit_status);
  }
  auto processes = root.initProcesses(index.processes.size());
  for (size_t i = 0; i < index.processes.size(); ++i) {
    const ProcessInfo& p = index.processes[i];
    processes[i].setPid(p.pid);
    processes[i].setParentPid(p.parent_pid);
    processes[i].setCreatedAt(p.created_at);
    processes[i].setExecAt(p.exec_at);
    processes[i].setExitedAt(p.exited_at);
    processes[i].setExe(p.exe);
    auto cmdline = processes[i].initCmdline(p.cmdline.size());
    for (size_t j = 0; j < p.cmdline.size(); ++j) cmdline.set(j, p.cmdline[j]);
  }
  // Sized up front for the worst case (packing adds at most 2 bytes per 16), so the buffer
  // never regrows and copies; only the pages written are touched.
  const size_t unpacked = capnp::computeSerializedSizeInWords(message) * sizeof(capnp::word);
  kj::VectorOutputStream output(unpacked + unpacked / 8 + 64);
  capnp::writePackedMessage(output, message);
  auto bytes = output.getArray();
  return WriteFileAtomically(
      IndexPath(trace_dir),
      Seal(absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size())));
}

absl::StatusOr<EventIndex> LoadIndex(const std::string& trace_dir) {
  uint32_t format = 0;
  ASSIGN_OR_RETURN(EventIndex index, ReadIndexFile(IndexPath(trace_dir), &format));
  if (format != kIndexFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(IndexPath(trace_dir), ": index format ",
                                                      format, ", this pyreplay writes ",
                                                      kIndexFormatVersion));
  }
  return index;
}

absl::StatusOr<IndexFreshness> CheckIndexFreshness(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(TraceHeader header, ReadTraceHeader(trace_dir));
  ASSIGN_OR_RETURN(std::vector<StreamStamp> stamps, CurrentStamps(trace_dir));
  uint32_t format = 0;
  absl::StatusOr<EventIndex> saved = ReadIndexFile(IndexPath(trace_dir), &format);
  if (absl::IsNotFound(saved.status())) return IndexFreshness::kMissing;
  if (!saved.ok() || format != kIndexFormatVersion) return IndexFreshness::kStale;
  if (saved->uuid != header.uuid || !SameStamps(saved->streams, stamps)) {
    return IndexFreshness::kStale;
  }
  return IndexFreshness::kFresh;
}

absl::StatusOr<EventIndex> LoadOrBuildIndex(const std::string& trace_dir,
                                            const IndexProgress& progress, bool* rebuilt,
                                            bool* saved) {
  if (rebuilt != nullptr) *rebuilt = false;
  if (saved != nullptr) *saved = true;
  ASSIGN_OR_RETURN(TraceHeader header, ReadTraceHeader(trace_dir));
  // Every file's size against the digests (a stat each): a truncated `data` or mapped file is
  // caught here, even when the saved index is fresh and no stream is read.
  ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(trace_dir));
  if (digests) {
    RETURN_IF_ERROR(CheckTraceSizes(trace_dir, *digests));
    // `version` (rr's header: the uuid `info` shows) is read whole, and is small: hash it too.
    RETURN_IF_ERROR(CheckSmallFile(trace_dir, *digests, "version"));
  }
  ASSIGN_OR_RETURN(std::vector<StreamStamp> stamps, CurrentStamps(trace_dir));
  uint32_t format = 0;
  absl::StatusOr<EventIndex> on_disk = ReadIndexFile(IndexPath(trace_dir), &format);
  if (on_disk.ok() && format == kIndexFormatVersion && on_disk->uuid == header.uuid &&
      SameStamps(on_disk->streams, stamps)) {
    return on_disk;
  }
  ASSIGN_OR_RETURN(EventIndex index, BuildIndex(trace_dir, progress));
  if (rebuilt != nullptr) *rebuilt = true;
  absl::Status written = WriteIndex(trace_dir, index);
  // A read-only trace (e.g. someone else's) is still usable: the index just isn't kept.
  if (!written.ok() && !absl::IsPermissionDenied(written) && access(trace_dir.c_str(), W_OK) == 0) {
    return written;
  }
  if (saved != nullptr) *saved = written.ok();
  return index;
}

void PairConnections(EventIndex* index) {
  std::vector<IndexEntry>& all = index->entries;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> accepts;
  for (size_t i = 0; i < all.size(); ++i) {
    const IndexEntry& e = all[i];
    if (e.kind == EventKind::kAccept && e.ok() && e.peer < 0 && e.local.known() &&
        e.remote.known()) {
      accepts[{e.remote.text, e.local.text}].push_back(i);  // keyed as (client, server)
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    IndexEntry& connect = all[i];
    if (connect.kind != EventKind::kConnect || !connect.ok() || connect.peer >= 0 ||
        !connect.local.known() || !connect.remote.known()) {
      continue;
    }
    auto it = accepts.find({connect.local.text, connect.remote.text});
    if (it == accepts.end()) continue;
    int64_t best = -1, fallback = -1;
    for (size_t a : it->second) {
      if (all[a].peer >= 0) continue;
      if (all[a].exit_event >= connect.event) {
        if (best < 0 || all[a].exit_event < all[best].exit_event) best = static_cast<int64_t>(a);
      } else if (fallback < 0 || all[a].exit_event > all[fallback].exit_event) {
        fallback = static_cast<int64_t>(a);
      }
    }
    int64_t chosen = best >= 0 ? best : fallback;
    if (chosen < 0) continue;
    connect.peer = chosen;
    all[chosen].peer = static_cast<int64_t>(i);
  }
}

bool NeedsDeepPass(const EventIndex& index, const IndexEntry& e, bool remote) {
  if (index.deep_addresses) return false;
  switch (e.kind) {
    case EventKind::kBind:
    case EventKind::kListen:
      return !remote && !e.local.known();
    case EventKind::kConnect:
      // A Unix socket connecting from an unknown address was bound first (an unbound one is
      // "(unnamed)"): its address is in that bind's argument.
      return remote ? !e.remote.known() : !e.local.known() && e.family == AF_UNIX;
    case EventKind::kAccept:
      return !remote && e.ok() && !e.local.known();
    default:
      return false;
  }
}

std::string WaitStatusText(int32_t status) {
  // rr's exit records hold the raw wait(2) status, as the kernel reports it.
  if ((status & 0x7f) != 0) return absl::StrCat("killed by signal ", status & 0x7f);
  return absl::StrCat("status ", (status >> 8) & 0xff);
}

std::string DescribeEntry(const EventIndex& index, const IndexEntry& e) {
  auto outcome = [&]() -> std::string {
    if (!e.finished) return "(no exit recorded)";
    if (e.result >= 0) return "ok";
    const int err = e.error();
    if (err == 0) return absl::StrCat("failed: result ", e.result);  // not an errno: corrupt
    const char* name = strerrorname_np(err);
    return absl::StrCat("failed: ", name != nullptr ? name : absl::StrCat("errno ", err));
  };
  auto addr = [&](const SocketAddress& a) -> std::string {
    if (!a.known()) {
      return NeedsDeepPass(index, e, &a == &e.remote) ? std::string(kDeepAddressHint) : "?";
    }
    switch (a.source) {
      case AddressSource::kInferred: return absl::StrCat(a.text, " (inferred)");
      case AddressSource::kDeep: return absl::StrCat(a.text, " (deep)");
      default: return a.text;
    }
  };
  auto family = [&]() -> std::string {
    switch (e.family) {
      case AF_INET: return "inet";
      case AF_INET6: return "inet6";
      case AF_UNIX: return "unix";
      case -1: return "?";
      default: return absl::StrCat("family ", e.family);
    }
  };
  auto type = [&]() -> std::string {
    switch (e.type) {
      case SOCK_STREAM: return "stream";
      case SOCK_DGRAM: return "dgram";
      case SOCK_SEQPACKET: return "seqpacket";
      case SOCK_RAW: return "raw";
      case -1: return "?";
      default: return absl::StrCat("type ", e.type);
    }
  };
  auto peer = [&]() -> std::string {
    if (e.peer < 0 || e.peer >= static_cast<int64_t>(index.entries.size())) return "";
    const IndexEntry& p = index.entries[e.peer];
    return absl::StrCat(" [", EventKindName(p.kind), " at ", p.event, " tid ", p.tid, "]");
  };
  switch (e.kind) {
    case EventKind::kThreadStart:
      return absl::StrCat("new thread ", e.tid, " (parent ", e.parent_tid, ", process ", e.pid, ")");
    case EventKind::kFork:
      return absl::StrCat("new process ", e.tid, " (parent ", e.parent_tid, ")");
    case EventKind::kExec:
      return absl::StrCat(e.detail);
    case EventKind::kThreadExit:
      return absl::StrCat("thread ", e.tid, " exited (", WaitStatusText(e.exit_status), ")");
    case EventKind::kProcessExit:
      return absl::StrCat("process ", e.pid, " exited (", WaitStatusText(e.exit_status), ")");
    case EventKind::kSocket:
      return absl::StrCat(family(), " ", type(),
                          e.finished && e.result >= 0 ? absl::StrCat(" fd ", e.result) : "", " ",
                          outcome());
    case EventKind::kBind:
      return absl::StrCat(addr(e.local), " fd ", e.fd, " ", outcome());
    case EventKind::kListen:
      return absl::StrCat(addr(e.local), " fd ", e.fd, " ", outcome());
    case EventKind::kConnect:
      return absl::StrCat(addr(e.local), " -> ", addr(e.remote), " fd ", e.fd, " ", outcome(),
                          peer());
    case EventKind::kAccept:
      return absl::StrCat(addr(e.remote), " -> ", addr(e.local), " fd ", e.fd,
                          e.ok() ? absl::StrCat(" new fd ", e.result) : "", " ", outcome(),
                          peer());
  }
  return "";
}

}  // namespace pyreplay
