// gdb_remote.h: a small client for gdb's remote serial protocol, as rr's gdb server speaks it.
//
// It lets pyreplay drive a replay without gdb: set breakpoints, continue, read memory and ask rr
// for `when`. gdb itself needs ~0.6 s to start and load CPython's debug info; a pass that only
// stops at a few dozen events and reads Python frames does not need any of that.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<GdbRemote> remote, GdbRemote::Connect(port, deadline));
//   RETURN_IF_ERROR(remote->SetBreakpoint(address));
//   ASSIGN_OR_RETURN(StopReply stop, remote->Continue());
//   ASSIGN_OR_RETURN(uint64_t when, remote->When());
//
// Only what the deep index pass needs is here: one connection, all-stop mode, no-ack mode.
#ifndef PYREPLAY_REPLAY_RSP_GDB_REMOTE_H_
#define PYREPLAY_REPLAY_RSP_GDB_REMOTE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "replay/pyframes/memory_reader.h"
#include "replay/common/rr_dialect.h"

namespace pyreplay {

// StopReply is how a `continue` ended.
struct StopReply {
  enum Kind { kSignal, kExited, kKilled } kind = kSignal;
  int signal = 0;    // kSignal: the stop signal (5 = SIGTRAP for a breakpoint); kKilled: the signal
  int exit_code = 0; // kExited
  int32_t pid = 0;   // kSignal: its process
  int32_t tid = 0;   // kSignal: the thread that stopped
};

class GdbRemote : public MemoryReader {
 public:
  // Connect connects to 127.0.0.1:port, retrying until `deadline` while the server starts, and
  // turns off acks. `cancel`, when set and true, ends any wait with Cancelled.
  static absl::StatusOr<std::unique_ptr<GdbRemote>> Connect(int port, absl::Time deadline,
                                                            const std::atomic<bool>* cancel);
  ~GdbRemote() override;

  // Request sends one packet and returns the reply's payload.
  absl::StatusOr<std::string> Request(const std::string& payload);

  absl::Status SetBreakpoint(uint64_t address);
  absl::Status RemoveBreakpoint(uint64_t address);
  absl::StatusOr<StopReply> Continue();
  // Step runs one instruction of thread `tid` of process `pid`. rr, like gdbserver, leaves it
  // to the client to step off a breakpoint before continuing: remove it, Step, insert it again.
  absl::StatusOr<StopReply> Step(int32_t pid, int32_t tid);
  // SetRrRelease tells the client which rr serves it (see rr_dialect.h); without it, the
  // first rr command finds out which `qRRCmd` format rr speaks.
  void SetRrRelease(const std::optional<RrRelease>& release);
  // RrCommand runs one of rr's own commands (`when`, `when-ticks`, ...) about thread `tid`
  // (-1: rr's current one) and returns the text it printed.
  absl::StatusOr<std::string> RrCommand(absl::string_view name, int64_t tid = -1);
  // When is rr's current event (frame time, the same on every rr release), from `when`.
  absl::StatusOr<uint64_t> When(int64_t tid = -1);
  // KillTarget sends `k` (ending the replay) without waiting for a reply; errors are ignored.
  void KillTarget();

  // Read implements MemoryReader with `m` packets.
  bool Read(uint64_t address, void* out, size_t len) override;

 private:
  GdbRemote(int fd, const std::atomic<bool>* cancel) : fd_(fd), cancel_(cancel) {}
  // Resume sends a packet that lets the program run, and waits for its stop reply.
  absl::StatusOr<StopReply> Resume(const std::string& packet);
  absl::Status SendPacket(const std::string& payload);
  absl::StatusOr<std::string> ReceivePacket();
  absl::StatusOr<char> ReadByte();

  int fd_;
  const std::atomic<bool>* cancel_;
  bool acks_ = true;
  std::string buffer_;
  size_t buffer_pos_ = 0;
  RrCommandFormat rr_command_format_ = RrCommandFormatFor(std::nullopt);
  bool rr_command_format_known_ = false;
};

// ParseStopReply decodes a stop reply payload ("T05thread:p1f.20;...", "W00", "X09").
absl::StatusOr<StopReply> ParseStopReply(const std::string& payload);

// DecodeRunLength expands the protocol's run-length encoding ("0* " is "0000").
std::string DecodeRunLength(const std::string& payload);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RSP_GDB_REMOTE_H_
