#include "replay/hunt/hunter.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/human_size.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_builder.h"
#include "replay/index/event_index.h"
#include "replay/record/recorder.h"
#include "replay/record/rr_tool.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kFirstTryReserve = 16 * kMiB;
// After the failing run is caught, at most this many more tries look for a passing run to compare
// it with (when none passed before it). A program that always fails does not need more.
constexpr int kPassingSearchTries = 6;

std::string HuntName(const HuntRequest& request) {
  if (!request.name.empty()) return request.name;
  for (size_t i = 1; i < request.command.size(); ++i) {
    if (absl::EndsWith(request.command[i], ".py")) {
      return fs::path(request.command[i]).stem().string();
    }
  }
  return fs::path(request.command[0]).filename().string();
}

bool MentionsDiskFull(absl::string_view message) {
  return absl::StrContains(message, "No space left") || absl::StrContains(message, "ENOSPC") ||
         absl::StrContains(message, "Disk quota exceeded");
}

// TellingLine is the line of rr's output that best says why it failed, for error messages: one
// that mentions a full disk, else the last line that is not part of rr's backtrace banner.
std::string TellingLine(absl::string_view text) {
  std::string last;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "===") || absl::StartsWith(line, "#")) continue;
    if (MentionsDiskFull(line)) return std::string(line);
    last = std::string(line);
  }
  return last;
}

// ProbeWritable creates and removes a file in `dir`: permission bits alone do not tell (root, a
// read-only mount).
absl::Status ProbeWritable(const std::string& dir) {
  std::string probe = (fs::path(dir) / ".pyreplay-hunt-probe-XXXXXX").string();
  int fd = mkstemp(probe.data());
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write traces to ", dir, ": ",
                                                   strerror(errno),
                                                   "; choose another folder with -o"));
  }
  close(fd);
  unlink(probe.c_str());
  return absl::OkStatus();
}

void RemoveTrace(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

// kTryDirPrefix names the private folders tries record into: hidden, and never <name>-<n>, so
// neither NextTraceNumber nor `pyreplay ls` takes one for a trace.
constexpr char kTryDirPrefix[] = ".hunt-";

// kOwnerFile, in a try's private folder, names the hunt that made it: "<pid> <boot id>", then
// the pid of the rr it started there (and any live process naming the folder counts as its rr).
// A hunt killed with SIGKILL (or a reboot) cannot clean up, and its rr, in a process group of
// its own, may record on; the next hunt in the same folder removes the try folders whose hunt
// and rr are both gone, and only those: a folder without this file, or whose hunt or rr may
// still run, is left alone.
constexpr char kOwnerFile[] = "hunt-owner";

std::string BootId() {
  absl::StatusOr<std::string> id = ReadFileToString("/proc/sys/kernel/random/boot_id");
  return id.ok() ? std::string(absl::StripAsciiWhitespace(*id)) : "";
}

// ClaimTryDir writes the owner file. A failure only means a SIGKILL would leave the folder for
// the user to remove, so it is not an error.
void ClaimTryDir(const std::string& try_dir) {
  std::ofstream out(fs::path(try_dir) / kOwnerFile);
  out << getpid() << " " << BootId() << "\n";
}
void NoteRecorderPid(const std::string& try_dir, int pid) {
  std::ofstream out(fs::path(try_dir) / kOwnerFile, std::ios::app);
  out << pid << "\n";
}

// ProcessRuns says whether `pid` is a live process. A zombie is not: an rr whose hunt was killed
// is reparented to init, and an init that does not reap (in some containers) keeps it a zombie.
bool ProcessRuns(long pid) {
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  absl::StatusOr<std::string> stat = ReadFileToString(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return true;     // cannot tell: assume it runs
  size_t paren = stat->rfind(')');  // "pid (comm) S ...": comm may hold spaces
  if (paren == std::string::npos || paren + 2 >= stat->size()) return true;
  const char state = (*stat)[paren + 2];
  return state != 'Z' && state != 'X';
}

// HuntIsGone reads a try folder's owner file: true when it names a hunt, and the rr it started,
// that no longer run.
bool HuntIsGone(const fs::path& try_dir) {
  std::ifstream in(try_dir / kOwnerFile);
  long hunt = 0;
  std::string boot;
  if (!(in >> hunt >> boot) || hunt <= 0) return false;  // not a hunt's folder, or unreadable
  if (boot != BootId()) return true;                      // made before the last reboot
  std::vector<long> pids = {hunt};
  for (long rr; in >> rr;) pids.push_back(rr);
  for (long pid : pids) {
    if (pid <= 0 || pid == getpid() || ProcessRuns(pid)) return false;
  }
  return true;
}

// AnyProcessMentions says whether a live process has `text` in its command line. rr's always
// holds its `-o` folder, so this finds a try's rr even when the hunt died after starting it but
// before writing its pid into the owner file.
bool AnyProcessMentions(const std::string& text) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    long pid = 0;
    if (!absl::SimpleAtoi(it->path().filename().string(), &pid)) continue;  // not a process
    absl::StatusOr<std::string> cmdline = ReadFileToString((it->path() / "cmdline").string());
    if (cmdline.ok() && absl::StrContains(*cmdline, text) && ProcessRuns(pid)) return true;
  }
  return false;
}

// SweepAbandonedTries removes the try folders in `root` left by hunts that are gone.
AbandonedTries SweepAbandonedTries(const std::string& root) {
  AbandonedTries swept;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code entry_ec;
    if (!absl::StartsWith(name, kTryDirPrefix) || it->is_symlink(entry_ec) ||
        !it->is_directory(entry_ec) || !HuntIsGone(it->path()) ||
        AnyProcessMentions(name + "/trace")) {  // rr's -o, however the folder was spelled
      continue;
    }
    swept.bytes += TraceDiskBytes(it->path().string());
    RemoveTrace(it->path().string());
    ++swept.folders;
  }
  return swept;
}

// MakeTryDir creates a fresh private folder in `root` for one try (mkdtemp: a new name, made
// atomically, mode 0700), so nothing anyone else made can be in the way of rr's trace folder.
absl::StatusOr<std::string> MakeTryDir(const std::string& root) {
  std::string dir = (fs::path(root) / absl::StrCat(kTryDirPrefix, "XXXXXX")).string();
  if (mkdtemp(dir.data()) == nullptr) {
    int err = errno;
    std::string message = absl::StrCat("cannot create a folder for the next try in ", root, ": ",
                                       strerror(err));
    return err == ENOSPC || err == EDQUOT ? absl::ResourceExhaustedError(message)
                                          : absl::PermissionDeniedError(message);
  }
  return dir;
}

}  // namespace

absl::StatusOr<std::string> MoveTraceToFreeName(const std::string& from, const std::string& root,
                                                const std::string& name, int* next) {
  bool noreplace = true;
  for (int n = *next, last = *next + 100000; n < last; ++n) {
    std::string to = (fs::path(root) / absl::StrCat(name, "-", n)).string();
    if (noreplace) {
      if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        *next = n + 1;
        return to;
      }
      if (errno == EEXIST) continue;
      if (errno != EINVAL && errno != ENOSYS) {
        return absl::InternalError(absl::StrCat("cannot move ", from, " to ", to, ": ",
                                                strerror(errno)));
      }
      noreplace = false;  // this file system cannot: claim each name with mkdir instead
    }
    // rename(2) replaces only an empty folder, and this one is ours: nobody else could have
    // filled it unnoticed (then the rename fails with ENOTEMPTY and the next number is tried).
    if (mkdir(to.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return absl::InternalError(absl::StrCat("cannot create ", to, ": ", strerror(errno)));
    }
    if (rename(from.c_str(), to.c_str()) == 0) {
      *next = n + 1;
      return to;
    }
    int err = errno;
    rmdir(to.c_str());  // ours, and only if still empty
    if (err == ENOTEMPTY || err == EEXIST) continue;
    return absl::InternalError(absl::StrCat("cannot move ", from, " to ", to, ": ",
                                            strerror(err)));
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free name ", name, "-N in ", root, " for ", from));
}

double HuntProgress::RunsPerMinute() const {
  double minutes = absl::ToDoubleMinutes(elapsed);
  return minutes <= 0 ? 0.0 : finished / minutes;
}

uint64_t TraceDiskBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& dir) {
  struct statvfs vfs;
  if (statvfs(dir.c_str(), &vfs) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot check free space in ", dir, ": ",
                                            strerror(errno)));
  }
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

absl::Status ValidateHuntRequest(const HuntRequest& request) {
  if (request.command.empty()) {
    return absl::InvalidArgumentError(
        "nothing to hunt: give the program after --, e.g. "
        "`pyreplay hunt -- /usr/bin/python3.11 flaky.py`");
  }
  if (request.tries < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tries must be at least 1 (got ", request.tries, ")"));
  }
  if (request.jobs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs must be at least 1 (got ", request.jobs, ")"));
  }
  absl::StatusOr<std::string> program = FindOnPath(request.command[0]);
  if (!program.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot hunt: ", program.status().message()));
  }
  // `python3.11 missing.py` would "fail" on every try; say what is wrong instead.
  if (absl::StrContains(fs::path(*program).filename().string(), "python")) {
    for (size_t i = 1; i < request.command.size(); ++i) {
      const std::string& arg = request.command[i];
      if (arg == "-m" || arg == "-c") break;
      if (absl::StartsWith(arg, "-")) continue;
      std::error_code ec;
      if (!fs::is_regular_file(arg, ec)) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot hunt: the script ", arg, " does not exist"));
      }
      break;
    }
  }
  std::string root = request.output_root.empty() ? DefaultTracesRoot() : request.output_root;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec || !fs::is_directory(root)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot write traces to ", root, ": ", ec ? ec.message() : "not a folder",
        "; choose another folder with -o"));
  }
  RETURN_IF_ERROR(ProbeWritable(root));
  return CheckRrAvailable();
}

absl::StatusOr<TryResult> RecordTry(const HuntRequest& request, const TrySpec& spec,
                                    const std::function<void(int)>& on_start) {
  std::string output;
  RecordRequest record;
  record.command = request.command;
  record.output_dir = spec.trace_dir;
  record.name = HuntName(request);
  record.pmu = request.pmu;
  record.chaos = true;
  record.quiet = true;
  record.program_env = request.program_env;
  record.program_output = &output;
  record.own_process_group = true;
  record.on_start = on_start;
  // Most tries are deleted: index only the kept ones (Hunt does), and ask rr its version once.
  record.index = false;
  static const std::optional<std::string> rr_version = RrVersion();
  record.rr_version = rr_version;
  absl::Time start = absl::Now();
  absl::StatusOr<RecordResult> recorded = Record(record);
  if (!recorded.ok()) {
    // rr makes its -o folder itself (mkdir) and refuses one that exists: someone else made it.
    if (absl::StrContains(output,
                          absl::StrCat("Trace directory `", spec.trace_dir, "' already exists"))) {
      return absl::AlreadyExistsError(absl::StrCat(
          "rr refused to record: its trace folder ", spec.trace_dir,
          " was made by someone else after this try started; it was left alone"));
    }
    std::string last = TellingLine(output);
    return absl::Status(recorded.status().code(),
                        last.empty() ? recorded.status().message()
                                     : absl::StrCat(recorded.status().message(), " (rr: ", last,
                                                    ")"));
  }
  TryResult result;
  result.number = spec.number;
  result.trace_dir = recorded->trace_dir;
  result.status = recorded->program_status;
  result.output = std::move(output);
  result.failed = request.until.Matches(result.status, result.output);
  result.duration = absl::Now() - start;
  result.trace_bytes = TraceDiskBytes(result.trace_dir);
  return result;
}

absl::Status WriteHuntRecord(const TryResult& run, absl::string_view role,
                             const HuntRequest& request, const HuntProgress& progress) {
  nlohmann::json j = {
      {"format", 1},
      {"role", std::string(role)},
      {"try", run.number},
      {"tries_so_far", progress.finished},
      {"until", request.until.text()},
      {"command", request.command},
      {"exit_code", run.status.code},
      {"signal", run.status.signal},
      {"shell_status", run.status.ShellCode()},
      {"output", run.output},
      {"seconds", absl::ToDoubleSeconds(run.duration)},
  };
  return WriteFileAtomically((fs::path(run.trace_dir) / "pyreplay" / "hunt.json").string(),
                             j.dump(2) + "\n");
}

namespace {

// HuntState is shared by the workers and the coordinating thread; every field is under mu.
struct HuntState {
  std::mutex mu;
  std::condition_variable changed;
  const HuntRequest* request = nullptr;
  TryRecorder recorder;
  std::string root;
  std::string name;
  int next_number = 1;       // next try to start
  int last_number = 0;       // the last try to start: tries, or fewer once a failure is caught
  int next_dir = 1;          // next <name>-<n> to try for a kept trace
  bool stopping = false;
  std::optional<HuntStop> stop;
  std::string reason;
  std::map<int, int> pids;   // running try -> rr's pid (its process group)
  std::set<int> cancelled;   // tries we stopped ourselves: not counted, deleted
  std::set<int> started;     // tries whose rr ran: only their traces can be ours to delete
  int running = 0;
  int live_workers = 0;
  int finished = 0;
  int failures = 0;
  int deleted = 0;
  uint64_t largest_trace = 0;
  std::optional<TryResult> failing;
  std::optional<TryResult> passing;
  std::string keep_warning;
  std::deque<TryResult> reports;  // finished tries not yet shown
  absl::Time start;

  // StopLocked ends the hunt for `why` (the first reason wins) and stops every running try.
  void StopLocked(HuntStop why, std::string text) {
    if (!stop) {
      stop = why;
      reason = std::move(text);
    }
    stopping = true;
    for (const auto& [number, pid] : pids) {
      cancelled.insert(number);
      kill(-pid, SIGTERM);
    }
    changed.notify_all();
  }

  // KeepLocked moves a kept run's trace out of its private folder to <root>/<name>-<n>. When
  // that fails, the trace stays where it is (still a whole trace) and the hunt says so.
  void KeepLocked(TryResult& run) {
    absl::StatusOr<std::string> moved = MoveTraceToFreeName(run.trace_dir, root, name, &next_dir);
    if (!moved.ok()) {
      if (keep_warning.empty()) {
        keep_warning = absl::StrCat(moved.status().message(), "; the trace stays there");
      }
      return;
    }
    run.trace_dir = *moved;  // the try's folder is now empty; the worker removes it
  }

  HuntProgress ProgressLocked() const {
    HuntProgress p;
    p.tries = request->tries;
    p.finished = finished;
    p.running = running;
    p.failures = failures;
    p.caught_at = failing && !passing ? failing->number : 0;
    p.elapsed = absl::Now() - start;
    return p;
  }
};

void Worker(HuntState& state) {
  const HuntRequest& request = *state.request;
  for (;;) {
    TrySpec spec;
    std::string try_dir;  // the private folder this try records into; ours
    {
      std::unique_lock lock(state.mu);
      if (state.stopping || state.next_number > state.last_number) break;
      absl::StatusOr<uint64_t> free = FreeDiskBytes(state.root);
      uint64_t reserve = request.min_free_bytes >= 0
                             ? static_cast<uint64_t>(request.min_free_bytes)
                             : std::max<uint64_t>(state.largest_trace, kFirstTryReserve);
      if (free.ok() && *free < reserve) {
        state.StopLocked(HuntStop::kDiskFull,
                         absl::StrCat("the disk is full: only ", HumanSize(*free), " free in ",
                                      state.root, ", and a trace needs about ",
                                      HumanSize(reserve)));
        break;
      }
      absl::StatusOr<std::string> made = MakeTryDir(state.root);
      if (!made.ok()) {
        state.StopLocked(absl::IsResourceExhausted(made.status()) ? HuntStop::kDiskFull
                                                                  : HuntStop::kError,
                         std::string(made.status().message()));
        break;
      }
      try_dir = *made;
      ClaimTryDir(try_dir);
      spec.number = state.next_number++;
      spec.trace_dir = (fs::path(try_dir) / "trace").string();
      ++state.running;
    }
    auto on_start = [&state, number = spec.number, try_dir](int pid) {
      NoteRecorderPid(try_dir, pid);
      std::unique_lock lock(state.mu);
      state.pids[number] = pid;
      state.started.insert(number);
      if (state.stopping) {
        state.cancelled.insert(number);
        kill(-pid, SIGTERM);
      }
    };
    absl::StatusOr<TryResult> result = state.recorder(request, spec, on_start);

    // What to remove once the lock is released: the try's whole private folder when everything
    // in it is ours, else only the folder itself if it is empty (rmdir).
    bool remove_all = false;
    std::optional<std::pair<TryResult, std::string>> to_keep;  // run, role
    {
      std::unique_lock lock(state.mu);
      --state.running;
      state.pids.erase(spec.number);
      bool cancelled = state.cancelled.count(spec.number) > 0;
      if (!result.ok()) {
        if (!cancelled) {
          absl::StatusOr<uint64_t> free = FreeDiskBytes(state.root);
          bool full = MentionsDiskFull(result.status().message()) ||
                      (free.ok() && *free < std::max<uint64_t>(state.largest_trace, 4 * kMiB));
          if (full) {
            state.StopLocked(HuntStop::kDiskFull,
                             absl::StrCat("the disk filled up while recording try ", spec.number,
                                          " in ", state.root, ": ", result.status().message()));
          } else {
            state.StopLocked(HuntStop::kError, absl::StrCat("recording try ", spec.number,
                                                            " failed: ",
                                                            result.status().message()));
          }
        }
        // A trace folder rr found already there (AlreadyExists) was not ours: never delete it.
        // Nor one that appeared when our rr never ran: someone else made it.
        bool ours = result.status().code() != absl::StatusCode::kAlreadyExists &&
                    state.started.count(spec.number) > 0;
        if (ours) {
          std::error_code ec;
          if (fs::exists(fs::symlink_status(spec.trace_dir, ec))) ++state.deleted;
          remove_all = true;
        }
      } else if (cancelled) {
        ++state.deleted;
        remove_all = true;
      } else {
        ++state.finished;
        state.largest_trace = std::max(state.largest_trace, result->trace_bytes);
        if (result->failed) ++state.failures;
        if (result->failed && !state.failing) {
          state.KeepLocked(*result);
          state.failing = *result;
          to_keep.emplace(*result, "failing");
          if (state.passing) {
            state.StopLocked(HuntStop::kCaught, "");
          } else {
            // Nothing to compare it with yet: a few more tries look for a passing run.
            state.last_number =
                std::min(state.last_number, state.next_number - 1 + kPassingSearchTries);
          }
        } else if (!result->failed && !state.passing) {
          state.KeepLocked(*result);
          state.passing = *result;
          to_keep.emplace(*result, "passing");
          if (state.failing) state.StopLocked(HuntStop::kCaught, "");
        } else {
          ++state.deleted;
          remove_all = true;
        }
        state.reports.push_back(*result);
      }
      state.changed.notify_all();
    }
    if (remove_all) {
      RemoveTrace(try_dir);
    } else {
      // Emptied by the move; a folder with someone else's files stays, no longer claimed, so no
      // later hunt removes it either.
      unlink((fs::path(try_dir) / kOwnerFile).c_str());
      rmdir(try_dir.c_str());
    }
    if (to_keep) {
      HuntProgress progress;
      {
        std::unique_lock lock(state.mu);
        progress = state.ProgressLocked();
      }
      // The record is a convenience; the trace is what matters, so a failure here is ignored.
      (void)WriteHuntRecord(to_keep->first, to_keep->second, request, progress);
    }
  }
  std::unique_lock lock(state.mu);
  --state.live_workers;
  state.changed.notify_all();
}

}  // namespace

absl::StatusOr<HuntResult> Hunt(const HuntRequest& request, const HuntCallbacks& callbacks) {
  RETURN_IF_ERROR(ValidateHuntRequest(request));
  HuntState state;
  state.request = &request;
  state.recorder = callbacks.recorder ? callbacks.recorder : TryRecorder(RecordTry);
  state.root = request.output_root.empty() ? DefaultTracesRoot() : request.output_root;
  state.name = HuntName(request);
  state.next_dir = NextTraceNumber(state.root, state.name);
  state.last_number = request.tries;
  state.start = absl::Now();
  AbandonedTries abandoned = SweepAbandonedTries(state.root);
  if (abandoned.folders > 0 && callbacks.on_abandoned_removed) {
    callbacks.on_abandoned_removed(abandoned);
  }
  int jobs = std::min(request.jobs, request.tries);
  state.live_workers = jobs;

  std::vector<std::thread> workers;
  for (int i = 0; i < jobs; ++i) workers.emplace_back(Worker, std::ref(state));

  for (;;) {
    std::deque<TryResult> reports;
    HuntProgress progress;
    bool done = false;
    {
      std::unique_lock lock(state.mu);
      state.changed.wait_for(lock, std::chrono::milliseconds(200), [&] {
        return !state.reports.empty() || state.live_workers == 0;
      });
      reports.swap(state.reports);
      progress = state.ProgressLocked();
      done = state.live_workers == 0;
    }
    if (callbacks.on_progress) {
      for (const TryResult& r : reports) callbacks.on_progress(progress, &r);
      if (reports.empty()) callbacks.on_progress(progress, nullptr);
    }
    if (done) break;
    if (callbacks.should_stop && callbacks.should_stop()) {
      std::unique_lock lock(state.mu);
      if (!state.stopping) state.StopLocked(HuntStop::kInterrupted, "interrupted");
    }
  }
  for (std::thread& t : workers) t.join();

  HuntResult result;
  result.stop = state.stop.value_or(state.failing ? HuntStop::kCaught : HuntStop::kExhausted);
  // Remembered before a caught failure turns the stop into kCaught: it decides the indexing.
  result.interrupted = result.stop == HuntStop::kInterrupted;
  if (result.interrupted && state.failing) result.stop = HuntStop::kCaught;
  result.reason = state.reason;
  result.failing = state.failing;
  result.passing = state.passing;
  result.progress = state.ProgressLocked();
  result.deleted = state.deleted;
  result.keep_warning = state.keep_warning;
  // Index the kept traces now, so `events`, `diff` and `replay --goto` start at once. Not after
  // Ctrl-C (before or during the indexing): the user wants out, and the indexes are built on
  // first use anyway.
  auto interrupted = [&] {
    if (!result.interrupted && callbacks.should_stop && callbacks.should_stop()) {
      result.interrupted = true;
    }
    return result.interrupted;
  };
  bool python = absl::StrContains(fs::path(request.command[0]).filename().string(), "python");
  bool deep = request.deep && python;
  bool any_kept = result.failing || result.passing;
  result.indexed = any_kept && !interrupted();
  result.deep_indexed = deep && result.indexed;
  for (const std::optional<TryResult>* kept : {&result.failing, &result.passing}) {
    if (!kept->has_value()) continue;
    if (interrupted()) {
      result.indexed = result.deep_indexed = false;
      break;
    }
    absl::StatusOr<EventIndex> index = LoadOrBuildIndex((*kept)->trace_dir);
    if (!index.ok() && result.index_warning.empty()) {
      result.index_warning = absl::StrCat("could not index ", (*kept)->trace_dir, ": ",
                                          index.status().message());
    }
    if (!index.ok()) result.indexed = false;
    if (!index.ok() || !deep || interrupted()) {
      result.deep_indexed = false;
      continue;
    }
    DeepBuildOptions options;
    options.pmu = request.pmu;
    absl::StatusOr<DeepBuildResult> built = BuildAndWriteDeepIndex((*kept)->trace_dir, options);
    if (!built.ok()) {
      result.deep_indexed = false;
      if (result.index_warning.empty()) {
        result.index_warning = absl::StrCat("no Python stacks for ", (*kept)->trace_dir, ": ",
                                            built.status().message());
      }
    }
  }
  return result;
}

}  // namespace pyreplay
