// event_sites.h: where each event of a trace happens, so a replay can stop exactly there.
//
// For every rr frame (event) this reads the thread, the syscall (number, entering/exiting) and
// the recorded registers from the trace's `events` stream, without a replay. For a syscall
// entering frame, `rip` is just past the `syscall` instruction, so a breakpoint at `rip - 2` in
// that thread stops at the instant the event begins: `when` equals the event there, and rax
// holds the syscall number. The index (replay/index) says *which* events matter; this says
// where to stop for one.
//
//   ASSIGN_OR_RETURN(std::vector<EventSite> sites, ReadEventSites("traces/sockets-1"));
//   const EventSite& connect = sites[1374 - 1];   // event N is sites[N - 1]
#ifndef PYREPLAY_REPLAY_POSITION_EVENT_SITES_H_
#define PYREPLAY_REPLAY_POSITION_EVENT_SITES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/position/position.h"

namespace pyreplay {

enum class SyscallPhase : uint8_t { kNone, kEntering, kExiting };

struct EventSite {
  uint64_t event = 0;
  int32_t tid = 0;
  SyscallPhase phase = SyscallPhase::kNone;  // kNone: not a syscall frame
  int32_t syscall = -1;                      // x86-64 syscall number, when a syscall frame
  uint64_t rip = 0;                          // recorded rip (0 when the frame has no registers)
  uint64_t rax = 0;
  uint64_t rdi = 0;
  std::string local_addr;                    // raw sockaddr rr stored for TCP connect/accept
  std::string remote_addr;
  // checkpointable: rr can clone its replay while this event is the next one to replay. It
  // cannot during syscallbuf flushes, resets and aborted commits, map growth and exits
  // (ReplaySession::can_clone, Event::has_ticks_slop in rr 5.6.0); an rr `checkpoint` made there
  // is only a mark, and `restart` to it replays forward to find it, which fails without ticks.
  bool checkpointable = true;
};

// ReadEventSites reads every frame of `<trace_dir>/events`. NotFound for a missing trace,
// DataLoss for a truncated or corrupt stream (naming the byte offset).
absl::StatusOr<std::vector<EventSite>> ReadEventSites(const std::string& trace_dir);

// EventStartPosition is the position where event `event` begins, as `pyr goto N` lands there:
// its thread, and for a syscall its `syscall` instruction. It carries no discriminator (no
// registers): resolving it means landing at the event. OutOfRange names the trace's range.
absl::StatusOr<ExactPosition> EventStartPosition(const std::string& trace_dir, uint64_t event);

// FormatSockaddr renders the sockaddr bytes rr stored as "127.0.0.1:8080" or "[::1]:8080", or ""
// when they are not an IPv4/IPv6 address. rr 5.6.0 fills sin_port from /proc/net/tcp in *host*
// byte order (src/util.cc), unlike a real sockaddr, and this reads it that way.
std::string FormatSockaddr(const std::string& raw);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_POSITION_EVENT_SITES_H_
