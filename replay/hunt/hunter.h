// hunter.h: record a program again and again under rr's chaos scheduling until a run fails.
//
// Each try is a real `rr record --chaos` into a private folder that the hunt itself creates
// atomically (mkdtemp: <root>/.hunt-XXXXXX/, rr makes `trace` inside it). The hunt keeps the
// first failing trace and the first passing trace (when the failure comes first, a few more tries
// look for a passing run to compare it with), moving each to <root>/<name>-<n> without ever
// replacing anything there (renameat2 RENAME_NOREPLACE; a taken name means the next number). It
// deletes every other trace it made as soon as that try ends, so disk use stays bounded. It only
// ever deletes what it created itself: when rr finds its trace folder already there ("Trace
// directory ... already exists"), someone else made it, and it is left alone. Up to `jobs` tries
// run at once.
//
//   HuntRequest request;
//   request.command = {"/usr/bin/python3.11", "flaky.py"};
//   request.tries = 50;
//   ASSIGN_OR_RETURN(HuntResult result, Hunt(request, callbacks));
//   if (result.stop == HuntStop::kCaught) ... result.failing->trace_dir ...
//
// Errors in the request (a missing program or script, --tries 0, an unwritable folder) are
// InvalidArgument statuses before anything runs. How the hunt ended is in HuntResult::stop.
#ifndef PYREPLAY_REPLAY_HUNT_HUNTER_H_
#define PYREPLAY_REPLAY_HUNT_HUNTER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "replay/common/subprocess.h"
#include "replay/hunt/hunt_condition.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

struct HuntRequest {
  std::vector<std::string> command;  // the program and its arguments
  std::string output_root;           // where the traces go; "" is DefaultTracesRoot()
  std::string name;                  // trace folder prefix; "" derives it from the script
  int tries = 100;                   // at most this many recordings
  int jobs = 1;                      // recordings at once
  HuntCondition until;
  PmuChoice pmu = PmuChoice::kAuto;
  std::vector<EnvChange> program_env;
  // Stop before a try when less than this is free in output_root. Negative: automatic (the size
  // of the largest trace recorded so far, or 16 MiB before the first).
  int64_t min_free_bytes = -1;
  // Also build the deep index (Python stacks, thread names) of the kept traces of a Python
  // program, so `pyreplay diff` shows Python locations. One replay pass each, about 2 s.
  bool deep = true;
};

// TryResult is one finished recording.
struct TryResult {
  int number = 0;              // 1-based, in start order
  std::string trace_dir;
  ExitStatus status;           // how the program ended
  std::string output;          // its stdout and stderr (and rr's messages)
  bool failed = false;         // `until` matched
  absl::Duration duration;
  uint64_t trace_bytes = 0;    // disk space the trace took (hardlinked files not counted)
};

enum class HuntStop {
  kCaught,       // a failing run was caught and kept
  kExhausted,    // no run failed within `tries`
  kInterrupted,  // Stop() / should_stop (Ctrl-C)
  kDiskFull,     // the output folder ran out of space
  kError,        // a recording itself failed (rr, not the program)
};

// HuntProgress is the state shown while hunting.
struct HuntProgress {
  int tries = 0;        // the budget
  int finished = 0;     // tries that ended (cancelled ones are not counted)
  int running = 0;
  int failures = 0;
  int caught_at = 0;    // the failing try kept while the hunt still looks for a passing run, else 0
  absl::Duration elapsed;
  double FailureRate() const { return finished == 0 ? 0.0 : double(failures) / finished; }
  double RunsPerMinute() const;
};

struct HuntResult {
  HuntStop stop = HuntStop::kExhausted;
  std::string reason;                 // why it stopped early (disk full, a recording error)
  std::optional<TryResult> failing;   // the kept failing run
  std::optional<TryResult> passing;   // the kept passing run
  HuntProgress progress;              // the final counts
  int deleted = 0;                    // traces made and deleted
  std::string index_warning;          // non-empty when a kept trace could not be indexed
  std::string keep_warning;           // non-empty when a kept trace stayed in its private folder
  bool interrupted = false;           // Ctrl-C ended it (stop is still kCaught if a run failed)
  bool indexed = false;               // every kept trace has its event index (not after Ctrl-C)
  bool deep_indexed = false;          // every kept trace has a deep index
};

// TrySpec is what one try records.
struct TrySpec {
  int number = 0;
  // Does not exist yet; the recorder (rr) creates it. Its parent is the try's private folder,
  // which the hunt made and removes.
  std::string trace_dir;
};

// TryRecorder records one try. `on_start` must be called with the pid of the process group leader
// as soon as it runs, so the hunt can stop it (SIGTERM to the group) when it ends early.
// The default, RecordTry, is Record() with chaos scheduling and captured output.
using TryRecorder = std::function<absl::StatusOr<TryResult>(
    const HuntRequest& request, const TrySpec& spec, const std::function<void(int)>& on_start)>;

// AbandonedTries counts the try folders of hunts that are gone (killed with SIGKILL, or before a
// reboot) that a new hunt in the same folder removed before starting.
struct AbandonedTries {
  int folders = 0;
  uint64_t bytes = 0;
};

struct HuntCallbacks {
  // Called about 5 times a second and after each try, on the calling thread; `finished` is the
  // try that just ended, or nullptr.
  std::function<void(const HuntProgress&, const TryResult* finished)> on_progress;
  // Polled as often; true stops the hunt (running tries are stopped and deleted).
  std::function<bool()> should_stop;
  TryRecorder recorder;  // nullptr: RecordTry
  // Called once before the first try when folders of abandoned hunts were removed.
  std::function<void(const AbandonedTries&)> on_abandoned_removed;
};

// RecordTry records spec.trace_dir with Record(): chaos on, output captured, rr in its own
// process group.
absl::StatusOr<TryResult> RecordTry(const HuntRequest& request, const TrySpec& spec,
                                    const std::function<void(int)>& on_start);

// ValidateHuntRequest checks the request before anything runs: a program that exists (and for
// `python x.py`, a script that exists), tries and jobs >= 1, an output folder we can write to.
absl::Status ValidateHuntRequest(const HuntRequest& request);

// Hunt runs the hunt. It returns a status only for an invalid request; everything else, including
// a full disk, is a HuntResult.
absl::StatusOr<HuntResult> Hunt(const HuntRequest& request, const HuntCallbacks& callbacks = {});

// TraceDiskBytes is the space a trace folder takes: files with one link only (rr hardlinks the
// system files it maps; those take no new space).
uint64_t TraceDiskBytes(const std::string& dir);

// MoveTraceToFreeName moves the folder `from` to <root>/<name>-<n> for the first n >= *next that
// is free, and returns that path; *next becomes n + 1. Each step is one renameat2 with
// RENAME_NOREPLACE, so whatever appears at a name meanwhile (even an empty folder, which a plain
// rename would replace) is never replaced: the move takes the next number instead. On file
// systems without RENAME_NOREPLACE, the name is claimed with mkdir first.
absl::StatusOr<std::string> MoveTraceToFreeName(const std::string& from, const std::string& root,
                                                const std::string& name, int* next);

// FreeDiskBytes is the space available to us in the file system holding `dir`.
absl::StatusOr<uint64_t> FreeDiskBytes(const std::string& dir);

// WriteHuntRecord saves `<trace>/pyreplay/hunt.json`: the role ("failing" or "passing"), the try,
// the condition, the exit status and the program's output, so later tools (and tests) can check
// a replay against it.
absl::Status WriteHuntRecord(const TryResult& run, absl::string_view role,
                             const HuntRequest& request, const HuntProgress& progress);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_HUNT_HUNTER_H_
