// deep_index.h: where each indexed event happened in the *Python* code, and the threads' names.
//
// The deep index comes from one replay pass (deep_builder.h). For every indexed event the pass
// could stop at, it keeps the Python stack (file, line, function per frame) of the acting thread,
// and the Python names of the threads (threading.Thread.name). For bind and connect it also keeps
// the sockaddr the program passed: rr never stores a call's input, so for a Unix socket, a
// refused TCP connect or a UDP connect nothing else tells the address (ApplyDeepAddresses). It
// lives in `<trace>/pyreplay/deep` (Cap'n Proto, schema deep_index.capnp) beside the event index, and
// carries that index's uuid and stream stamps: when the index goes stale, so does it.
//
//   ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace));
//   absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(trace, index);   // NotFound: none yet
//   if (deep.ok()) {
//     if (const DeepEntry* e = deep->Find(entry.event)) printf("%s\n", PythonLocation(*e).c_str());
//     ApplyDeepAddresses(*deep, &index);   // Unix paths, refused and UDP connects' targets
//   }
#ifndef PYREPLAY_REPLAY_DEEP_INDEX_DEEP_INDEX_H_
#define PYREPLAY_REPLAY_DEEP_INDEX_DEEP_INDEX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/index/event_index.h"

namespace pyreplay {

// DeepFrame is one Python frame.
struct DeepFrame {
  std::string file;      // co_filename, as the program saw it
  int32_t line = -1;     // -1 when unknown
  std::string function;  // co_qualname
};

// DeepEntry is the Python stack at one indexed event.
struct DeepEntry {
  uint64_t event = 0;       // the EventIndex entry's event
  int32_t tid = 0;          // the acting thread
  uint64_t stop_event = 0;  // `when` at the stop that read the stack (<= event)
  std::vector<DeepFrame> stack;  // innermost first; empty: no Python frames
  // bind/connect: the sockaddr argument's bytes (addrlen of them, at most kMaxSockaddrBytes);
  // empty: none read.
  std::string sockaddr;
};

// kMaxSockaddrBytes bounds a kept sockaddr argument: sizeof(struct sockaddr_storage).
inline constexpr size_t kMaxSockaddrBytes = 128;

// DeepIndex is the whole deep index of one trace.
struct DeepIndex {
  std::string uuid;
  std::vector<StreamStamp> streams;
  std::vector<DeepEntry> entries;  // sorted by event
  std::vector<std::pair<int32_t, std::string>> thread_names;  // sorted by tid
  uint32_t stops = 0;

  // Find is the entry of indexed event `event`, or nullptr.
  const DeepEntry* Find(uint64_t event) const;
  // ThreadName is tid's Python name, or "" when unknown.
  std::string ThreadName(int32_t tid) const;
};

// DeepIndexPath is `<trace_dir>/pyreplay/deep`.
std::string DeepIndexPath(const std::string& trace_dir);

// WriteDeepIndex saves atomically (temp file, fsync, rename).
absl::Status WriteDeepIndex(const std::string& trace_dir, const DeepIndex& deep);
// LoadDeepIndex reads the saved deep index as is: NotFound when none, DataLoss when corrupt.
absl::StatusOr<DeepIndex> LoadDeepIndex(const std::string& trace_dir);
// DeepIndexMatches says whether `deep` was built from this `index` (same uuid and streams).
bool DeepIndexMatches(const DeepIndex& deep, const EventIndex& index);
// LoadFreshDeepIndex loads the deep index when it matches `index`; NotFound when there is none,
// FailedPrecondition (saying to run `pyreplay index --deep`) when it is stale.
absl::StatusOr<DeepIndex> LoadFreshDeepIndex(const std::string& trace_dir,
                                             const EventIndex& index);

// ActingTid is the thread whose Python code caused `entry`: the creating thread for a thread or
// fork, else the entry's own tid.
int32_t ActingTid(const IndexEntry& entry);

// IsStandardLibrary is true for Python's own modules (/usr/lib/python3.11/socket.py, frozen).
bool IsStandardLibrary(const std::string& file);
// UserFrame is the innermost frame outside the standard library (the program's own line, e.g.
// the `s.connect(...)` rather than socket.py's internals), else the innermost; null when empty.
const DeepFrame* UserFrame(const DeepEntry& entry);
// PythonLocation is UserFrame as "sockets.py:57 in client()", or "" for no frames.
std::string PythonLocation(const DeepEntry& entry);
// InnermostLocation is the innermost frame the way `pyr mark` records a mark's Python location,
// "/path/sockets.py:57, in talk" ("?" for an unknown line), or "" for no frames.
std::string InnermostLocation(const DeepEntry& entry);
// MarkPythonLocation is InnermostLocation at the start of event `event` in thread `tid`, from
// the trace's deep index when it is fresh and has that event for that thread; "" otherwise (no
// deep index, a stale or unreadable one, another thread, not an indexed event). It never fails:
// a mark is worth saving without its Python location.
std::string MarkPythonLocation(const std::string& trace_dir, uint64_t event, int32_t tid);
// ThreadLabel is `Thread-3 (worker) [1234]` when the tid has a Python name, else the tid.
std::string ThreadLabel(const DeepIndex* deep, int32_t tid);

// DeepStop is one stop of the replay pass: `when`, the stopped thread, and which indexed kind
// the breakpoint stands for, with the thread's Python stack there.
struct DeepStop {
  uint64_t when = 0;
  int32_t tid = 0;
  EventKind kind = EventKind::kSocket;
  std::vector<DeepFrame> stack;
  // For a thread-create stop inside threading's Thread.start(): the new thread's name.
  std::string child_name;
  // For a bind or connect stop: the bytes of its sockaddr argument (rsi, rdx of them).
  std::string sockaddr;
};

// AssembleDeepIndex matches stops to index entries: a stop of thread T for kind K at `when` W
// belongs to T's first entry of kind K at or after W (the syscall that the libc function is about
// to make). A later stop for the same entry replaces an earlier one. A thread-create stop's
// child_name names the entry's new thread when the pass never saw that thread running.
DeepIndex AssembleDeepIndex(const EventIndex& index, const std::vector<DeepStop>& stops,
                            std::vector<std::pair<int32_t, std::string>> thread_names);

// ApplyDeepAddresses merges the addresses the deep pass read into `index`: each bind's local and
// each connect's target address from its own argument (source "deep"; it replaces unknown and
// inferred ones, never rr's own record). A socket's bound address then fills, as inferred, the
// unknown local address of its listen, of the accepts on it and of its connect (calls on one
// socket share `opened_at`). Connections not yet paired are paired again (PairConnections), so
// a Unix connect meets the accept on the listener bound to its path. Sets deep_addresses.
void ApplyDeepAddresses(const DeepIndex& deep, EventIndex* index);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DEEP_INDEX_DEEP_INDEX_H_
