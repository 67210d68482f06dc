#include "replay/common/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace pyreplay {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> BuildEnvironment(const std::vector<EnvChange>& changes) {
  std::map<std::string, std::string> env;
  std::vector<std::string> order;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : changes) {
    if (value.has_value()) {
      env[name] = *value;
    } else {
      env.erase(name);
    }
  }
  std::vector<std::string> out;
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

absl::StatusOr<std::string> FindOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (IsExecutableFile(program)) return program;
    return absl::NotFoundError(absl::StrCat(program, ": no such executable file"));
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(program, ": not found on PATH"));
}

absl::StatusOr<ExitStatus> RunProcess(const std::vector<std::string>& argv,
                                      const ProcessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty command line");
  absl::StatusOr<std::string> program = FindOnPath(argv[0]);
  if (!program.ok()) return program.status();

  std::vector<std::string> args = argv;
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);

  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (options.output != nullptr) {
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
    }
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    if (options.also_stderr) posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  }

  struct sigaction ignore = {}, old_int = {}, old_term = {}, old_quit = {};
  ignore.sa_handler = SIG_IGN;
  if (options.forward_signals) {
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGTERM, &ignore, &old_term);
    sigaction(SIGQUIT, &ignore, &old_quit);
  }
  // The child must not inherit our ignored dispositions.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGQUIT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  short spawn_flags = POSIX_SPAWN_SETSIGDEF;
  if (options.own_process_group) {
    spawn_flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, spawn_flags);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, program->c_str(), &actions, &attr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (options.output != nullptr) close(pipe_fds[1]);

  absl::StatusOr<ExitStatus> result;
  if (rc != 0) {
    result = absl::NotFoundError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  } else {
    if (options.on_start) options.on_start(pid);
    if (options.output != nullptr) {
      char buf[65536];
      for (;;) {
        ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        options.output->append(buf, static_cast<size_t>(n));
      }
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    ExitStatus status;
    if (WIFSIGNALED(wstatus)) {
      status.signal = WTERMSIG(wstatus);
    } else {
      status.code = WEXITSTATUS(wstatus);
    }
    result = status;
  }
  if (options.output != nullptr) close(pipe_fds[0]);
  if (options.forward_signals) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
  }
  return result;
}

absl::StatusOr<std::string> CaptureOutput(const std::vector<std::string>& argv,
                                          const std::vector<EnvChange>& env) {
  std::string output;
  ProcessOptions options;
  options.env = env;
  options.output = &output;
  options.forward_signals = false;
  absl::StatusOr<ExitStatus> status = RunProcess(argv, options);
  if (!status.ok()) return status.status();
  if (!status->ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(absl::StrJoin(argv, " "), " exited with status ", status->ShellCode()));
  }
  return output;
}

}  // namespace pyreplay
