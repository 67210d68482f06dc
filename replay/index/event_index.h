// event_index.h: every thread, process and socket event of an rr trace, without a replay.
//
// The index is built from rr's `tasks` and `events` streams (replay/trace/trace_reader.h), plus
// the few bytes of the `data` stream that hold an accept's peer address where rr stored none
// (replay/trace/raw_data_reader.h), with no replay; it is saved as Cap'n Proto in
// `<trace>/pyreplay/index` (schema: replay/index/index.capnp). It
// records the rr header uuid and the size and a digest of the end of every stream it read, so a
// stale index (another trace's, or one older than its streams) is detected and rebuilt, while a
// trace copied, packed or unpacked elsewhere (new file times, same bytes) keeps its index.
//
//   ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex("traces/sockets-1"));
//   for (const IndexEntry& e : index.entries) {
//     if (e.kind == EventKind::kConnect && e.peer >= 0) {
//       const IndexEntry& accept = index.entries[e.peer];   // the accept that answered it
//     }
//   }
//
// Every function returns a status and never throws or exits: the gdb plugin (pybind11) calls it.
#ifndef PYREPLAY_REPLAY_INDEX_EVENT_INDEX_H_
#define PYREPLAY_REPLAY_INDEX_EVENT_INDEX_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/index/socket_address.h"

namespace pyreplay {

// EventKind is what an index entry is. The names (EventKindName) are what `--kind` accepts.
enum class EventKind : uint8_t {
  kThreadStart = 0,  // "thread": a clone with CLONE_THREAD (tid = the new thread)
  kThreadExit,       // "thread-exit"
  kFork,             // "fork": a clone without CLONE_THREAD (tid = the new process's tid)
  kExec,             // "exec"
  kProcessExit,      // "exit": the last thread of a process exited
  kSocket,           // "socket"
  kBind,             // "bind"
  kListen,           // "listen"
  kConnect,          // "connect"
  kAccept,           // "accept" (accept and accept4)
};
inline constexpr int kEventKindCount = 10;

// EventKindName is the short name: "thread", "thread-exit", "fork", "exec", "exit", "socket",
// "bind", "listen", "connect", "accept".
absl::string_view EventKindName(EventKind kind);
// ParseEventKind accepts a name above (and "threads"/"accept4" as aliases). InvalidArgument else.
absl::StatusOr<EventKind> ParseEventKind(absl::string_view name);

// IndexEntry is one indexed event.
struct IndexEntry {
  EventKind kind = EventKind::kSocket;
  uint64_t event = 0;       // rr's frame time: what gdb's `when` prints (entering frame)
  uint64_t exit_event = 0;  // for syscalls: the exiting frame's event (0 if the trace ends first)
  int32_t tid = 0;          // the acting thread (for thread/fork: the new task)
  int32_t pid = 0;          // its process (thread-group leader tid)
  double time = 0;          // monotonic seconds (CLOCK_MONOTONIC) of the event
  int32_t syscall = -1;     // x86-64 syscall number for socket events, -1 for task events

  // Socket events. fd: the socket's fd (for accept: the listening fd; `result` is the new fd).
  int64_t fd = -1;
  int32_t family = -1;      // AF_* of the socket (from its socket() call), -1 unknown
  int32_t type = -1;        // SOCK_* of the socket without flags, -1 unknown
  int64_t result = 0;       // the syscall's return value; negative: -errno
  bool finished = false;    // the exiting frame was recorded (result is valid)
  SocketAddress local;
  SocketAddress remote;
  int64_t peer = -1;        // connect <-> accept pairing: index into EventIndex::entries
  // The socket's identity: the event of the socket() or accept call that opened `fd` (for an
  // accept: the listening socket's), 0 when the trace does not show it. Calls on one socket
  // share it, in this process and in forked children.
  uint64_t opened_at = 0;

  // Task events.
  int32_t parent_tid = 0;   // thread/fork: the creating task
  int32_t exit_status = 0;  // thread-exit/exit: the wait status
  std::string detail;       // exec: the file name

  bool ok() const { return finished && result >= 0; }
  // error is the errno of a failed call, 0 otherwise. Only -4095..-1 is -errno (the kernel's
  // range); a corrupt trace's rax can be anything, and negating INT64_MIN is undefined, so
  // never negate `result` by hand (found by tests/fuzz/index_fuzz.cc).
  int error() const {
    return finished && result < 0 && result >= -4095 ? static_cast<int>(-result) : 0;
  }
};

// ThreadInfo is one task (thread) of the trace.
struct ThreadInfo {
  int32_t tid = 0;
  int32_t parent_tid = 0;     // 0 for the initial task
  int32_t pid = 0;            // its process
  uint64_t created_at = 0;    // event of its creation (0: there from the start)
  uint64_t exited_at = 0;     // event of its exit (0: never exited in the trace)
  int32_t exit_status = 0;
};

// ProcessInfo is one process (thread group) of the trace.
struct ProcessInfo {
  int32_t pid = 0;
  int32_t parent_pid = 0;
  uint64_t created_at = 0;
  uint64_t exec_at = 0;       // last exec (0: none)
  uint64_t exited_at = 0;
  std::string exe;            // last exec's file name
  std::vector<std::string> cmdline;
};

// StreamStamp identifies one rr stream file as the index read it. No file times: copies, `rr
// pack` and unpacking change them, and rr never rewrites a finished stream.
struct StreamStamp {
  std::string name;           // "events", "tasks"
  uint64_t size = 0;
  std::string tail_sha256;    // SHA-256 of the last kStampTailBytes (all of a smaller file)
};

// kStampTailBytes: how much of a stream's end its stamp hashes (rr appends; the end changes with
// any re-recording, and reading 64 KiB costs well under a millisecond).
inline constexpr uint64_t kStampTailBytes = 64 * 1024;

// SameStream is true when two stamps name the same stream with the same size and tail.
bool SameStream(const StreamStamp& a, const StreamStamp& b);

// EventIndex is the whole index of one trace.
struct EventIndex {
  std::string uuid;           // rr's header uuid (16 raw bytes)
  uint64_t event_count = 0;   // frames in the events stream
  double first_time = 0;      // monotonic seconds of the first and last frame
  double last_time = 0;
  std::vector<IndexEntry> entries;   // sorted by event
  std::vector<ThreadInfo> threads;   // by creation
  std::vector<ProcessInfo> processes;
  std::vector<StreamStamp> streams;
  // deep_addresses: the deep pass's addresses were merged in (ApplyDeepAddresses in
  // deep_index.h); an address still unknown then is not one `pyreplay index --deep` can tell.
  bool deep_addresses = false;

  // FirstAtOrAfter is the index of the first entry with event >= `event` (entries.size() if none).
  size_t FirstAtOrAfter(uint64_t event) const;
  // FindThread / FindProcess return nullptr when absent.
  const ThreadInfo* FindThread(int32_t tid) const;
  const ProcessInfo* FindProcess(int32_t pid) const;
};

// IndexPath is `<trace_dir>/pyreplay/index`.
std::string IndexPath(const std::string& trace_dir);

// IndexProgress is called now and then with the bytes of compressed input read so far.
using IndexProgress = std::function<void(uint64_t done_bytes, uint64_t total_bytes)>;

// BuildIndex reads the trace's streams and builds the index in memory (it does not write it).
// NotFound for a missing trace or stream, FailedPrecondition for another trace format version,
// DataLoss (naming the file, chunk and byte offset) for a truncated or corrupt stream.
absl::StatusOr<EventIndex> BuildIndex(const std::string& trace_dir,
                                      const IndexProgress& progress = nullptr);

// WriteIndex saves `index` to IndexPath atomically (temp file, fsync, rename).
absl::Status WriteIndex(const std::string& trace_dir, const EventIndex& index);

// LoadIndex reads a saved index as is. NotFound when there is none, DataLoss when corrupt.
absl::StatusOr<EventIndex> LoadIndex(const std::string& trace_dir);

// IndexFreshness says whether a saved index matches the trace.
enum class IndexFreshness { kFresh, kMissing, kStale };
// CheckIndexFreshness compares the saved index's uuid and stream stamps with the trace's.
absl::StatusOr<IndexFreshness> CheckIndexFreshness(const std::string& trace_dir);

// LoadOrBuildIndex returns the saved index when fresh; otherwise it builds it, writes it (unless
// the trace directory is read-only, which is not an error) and returns it. `rebuilt`, when given,
// says whether it had to build; `saved`, whether the index on disk now matches (false only when a
// rebuilt index could not be kept because the trace folder is not writable).
absl::StatusOr<EventIndex> LoadOrBuildIndex(const std::string& trace_dir,
                                            const IndexProgress& progress = nullptr,
                                            bool* rebuilt = nullptr, bool* saved = nullptr);

// kIndexNotSavedNote is what a command says when LoadOrBuildIndex could not keep the index.
inline constexpr char kIndexNotSavedNote[] =
    "index not saved: the trace folder is not writable, so it is rebuilt each time (copy the "
    "trace somewhere writable to keep it)";

// PairConnections links each successful connect that is not paired yet to the accept that
// answered it: the accept's remote address is the connect's local one and its local the
// connect's remote (for Unix sockets: "(unnamed)" and the listener's path, usually). When one
// address pair was used more than once, the nearest accept returning at or after the connect
// wins: connections wait in the listener's queue in order.
void PairConnections(EventIndex* index);

// NeedsDeepPass is true for an address that the trace does not hold but the call's own argument
// does, so the deep pass can read it: a bind's or listen's local address, a connect's target, a
// bound Unix socket's connect's local address, an accept's local (the listener's bound) address.
bool NeedsDeepPass(const EventIndex& index, const IndexEntry& entry, bool remote);

// kDeepAddressHint is what the events output shows for such an address.
inline constexpr absl::string_view kDeepAddressHint = "(address: pyreplay index --deep)";

// WaitStatusText is a raw wait(2) status as people read it: "status 1", "killed by signal 9".
std::string WaitStatusText(int32_t status);

// DescribeEntry is the human details of an entry, e.g.
// "127.0.0.1:40312 -> 127.0.0.1:8765 fd 5 ok" or "new thread 1234 (parent 1230)". Addresses
// not from rr's record of that very call are marked "(inferred)" or "(deep)"; an unknown one is
// "?", or kDeepAddressHint when NeedsDeepPass.
std::string DescribeEntry(const EventIndex& index, const IndexEntry& entry);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_INDEX_EVENT_INDEX_H_
