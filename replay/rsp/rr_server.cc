#include "replay/rsp/rr_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>

#include "absl/strings/str_cat.h"
#include "replay/common/install_layout.h"
#include "replay/common/status_macros.h"
#include "replay/record/replay_launcher.h"
#include "replay/record/rr_tool.h"
#include "replay/common/rr_dialect.h"

namespace pyreplay {
namespace {

// FreePort asks the kernel for an unused loopback port. Another process could take it before rr
// binds it; then rr fails to start and the caller's error says so.
absl::StatusOr<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("cannot create a socket to find a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("cannot find a free loopback port for rr's gdb server");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RrServer>> RrServer::Start(const std::string& trace_dir,
                                                          PmuChoice pmu,
                                                          const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(CheckTraceDir(trace_dir));
  ASSIGN_OR_RETURN(PmuMode mode, ReplayModeFor(trace_dir, pmu));
  ASSIGN_OR_RETURN(InstallLayout layout, FindInstallLayout());
  ASSIGN_OR_RETURN(int port, FreePort());
  RrLaunch launch = RrLaunchFor(mode, layout);
  std::vector<std::string> argv = launch.argv;
  argv.insert(argv.end(), {"replay", "-s", std::to_string(port), trace_dir});

  // Which rr this is decides how its commands are spelled (rr_dialect.h). Ask while it starts.
  std::future<std::optional<std::string>> rr_version = std::async(std::launch::async, RrVersion);

  std::unique_ptr<RrServer> server(new RrServer());
  RrServer* self = server.get();
  ProcessOptions options;
  options.env = launch.env;
  options.output = &self->output_;
  options.also_stderr = true;
  options.forward_signals = false;
  options.own_process_group = true;  // a Ctrl-C is ours to handle, not rr's
  options.on_start = [self](int pid) { self->pid_ = pid; };
  server->runner_ = std::thread([self, argv, options] {
    self->status_ = RunProcess(argv, options);
    self->finished_ = true;
  });

  // rr listens once it has replayed up to the program's exec; connect as soon as it does.
  // Short connect attempts, so a replay that failed to start is noticed at once.
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  absl::StatusOr<std::unique_ptr<GdbRemote>> remote =
      absl::DeadlineExceededError("rr exited before it started its gdb server");
  while (!server->finished_.load() && absl::Now() < deadline) {
    remote = GdbRemote::Connect(port, absl::Now() + absl::Milliseconds(200), cancel);
    if (remote.ok() || absl::IsCancelled(remote.status())) break;
  }
  if (!remote.ok()) {
    server->Kill();
    if (absl::IsCancelled(remote.status())) return remote.status();
    return absl::InternalError(absl::StrCat("rr replay did not start its gdb server for ",
                                            trace_dir, ": ", remote.status().message(),
                                            server->output_.empty() ? "" : "\n",
                                            server->output_));
  }
  server->remote_ = std::move(*remote);
  std::optional<std::string> version = rr_version.get();
  server->remote_->SetRrRelease(version ? ParseRrRelease(*version) : std::nullopt);
  return server;
}

void RrServer::Kill() {
  // The runner may not have started rr yet (a Start cancelled at once): wait until it has its
  // pid or has given up, or the join below would wait for an `rr replay -s` nobody signalled,
  // which sits in accept() forever. RunProcess reports the pid right after posix_spawn returns.
  while (runner_.joinable() && pid_.load() <= 0 && !finished_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  int pid = pid_.load();
  if (pid > 0) kill(-pid, SIGKILL);
  if (runner_.joinable()) runner_.join();
  pid_ = 0;
}

absl::StatusOr<ExitStatus> RrServer::Finish() {
  // At the end of the replay rr waits for the debugger (it could still run backward); `k` and
  // hanging up end it. A server that lingers anyway is killed after a grace period.
  if (remote_ != nullptr) remote_->KillTarget();
  remote_.reset();
  auto give_up = absl::Now() + absl::Seconds(10);
  while (!finished_.load() && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!finished_.load()) Kill();
  if (runner_.joinable()) runner_.join();
  pid_ = 0;
  return status_;
}

RrServer::~RrServer() {
  remote_.reset();
  Kill();
}

}  // namespace pyreplay
