// rr_server.h: `rr replay -s PORT TRACE` run in the background, with a protocol connection to it.
//
// This is a replay driven by pyreplay itself rather than by gdb. The server runs in its own
// process group, so the caller decides what a Ctrl-C means (see `cancel`), and it is killed
// when the RrServer goes away, whatever path that takes.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RrServer> rr, RrServer::Start(trace_dir, PmuChoice::kAuto,
//                                                                  &cancel));
//   GdbRemote& remote = rr->remote();
#ifndef PYREPLAY_REPLAY_RSP_RR_SERVER_H_
#define PYREPLAY_REPLAY_RSP_RR_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "replay/record/pmu_mode.h"
#include "replay/rsp/gdb_remote.h"

namespace pyreplay {

class RrServer {
 public:
  // Start launches the server on a free loopback port and connects. The replay stops at the
  // start of the recorded program (rr's first exec), where rr starts serving.
  static absl::StatusOr<std::unique_ptr<RrServer>> Start(const std::string& trace_dir,
                                                         PmuChoice pmu,
                                                         const std::atomic<bool>* cancel);
  ~RrServer();

  GdbRemote& remote() { return *remote_; }
  // Output is what rr printed so far (for error messages); complete once Finish() returned.
  const std::string& output() const { return output_; }
  // Finish waits for rr to exit after the program ended, and returns how it ended.
  absl::StatusOr<ExitStatus> Finish();

 private:
  RrServer() = default;
  void Kill();

  std::unique_ptr<GdbRemote> remote_;
  std::thread runner_;
  std::atomic<int> pid_{0};
  std::atomic<bool> finished_{false};
  std::string output_;
  absl::StatusOr<ExitStatus> status_ = absl::UnknownError("rr has not finished");
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RSP_RR_SERVER_H_
