// trace_diff.h: where a failing run of a program first went differently from a passing run.
//
// Both traces are read through their event indexes (replay/index/event_index.h): every thread
// start and exit, fork, exec, socket, bind, listen, connect and accept, each a "step" of the thread
// that made it (a thread start is a step of its creator). Threads are matched across the runs by
// who created them and in which order ("main", "main.2" = the second task main created, ...), or
// by Python thread name when both traces have a deep index and the name is unique in its process.
//
// Two comparisons:
//   - thread by thread: the sequence of steps of each matched thread (kinds, socket families,
//     success or errno, exit statuses; never ports or tids, which change from run to run);
//   - the interleaving of each process's threads: which thread made its next step first. Threads
//     of one process share memory, which is where a lost update happens; processes meet through
//     sockets, whose order already shows in each thread's own steps.
// A "reordering" is a stretch where the two interleavings differ, from the first step taken in a
// different order to the point where every thread has again made the same number of steps.
//
//   ASSIGN_OR_RETURN(DiffSide passing, LoadDiffSide("traces/race-1"));
//   ASSIGN_OR_RETURN(DiffSide failing, LoadDiffSide("traces/race-4"));
//   ASSIGN_OR_RETURN(TraceDiff diff, DiffTraces(passing, failing));
//   if (diff.first) ... diff.first->failing_event ...   // `pyreplay replay FAILING --goto N`
#ifndef PYREPLAY_REPLAY_DIFF_TRACE_DIFF_H_
#define PYREPLAY_REPLAY_DIFF_TRACE_DIFF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"

namespace pyreplay {

// DiffSide is one trace as the diff reads it.
struct DiffSide {
  std::string trace_dir;
  EventIndex index;
  std::optional<DeepIndex> deep;  // when a fresh deep index exists
};

// LoadDiffSide loads (or builds) the event index and, when fresh, the deep index.
absl::StatusOr<DiffSide> LoadDiffSide(const std::string& trace_dir);

// DiffThread is one thread matched across the two runs (tid 0 when a run has no such thread).
struct DiffThread {
  std::string key;      // "main", "main.1", "main.1.2": creator and creation order
  std::string name;     // Python name from a deep index, else ""
  int32_t passing_tid = 0;
  int32_t failing_tid = 0;
  // Label is "worker-1 (main.3)" with a Python name, else the key.
  std::string Label() const { return name.empty() ? key : name + " (" + key + ")"; }
};

// DiffStep is one step of one thread in one run.
struct DiffStep {
  uint64_t event = 0;       // rr's event number: `pyreplay replay TRACE --goto EVENT`
  int32_t tid = 0;          // the thread that made it
  std::string what;         // "connect AF_INET ok", "start main.2", "exit status 1"
  std::string python;       // "race.py:49 in round_trip() < race.py:69 in worker()" (the program's
                            // frame and its caller, from the deep index), else ""
  int ordinal = 0;          // 1-based position among its thread's steps
};

// DiffMoment is one step and where it is in each run (event 0: the run has no such step).
struct DiffMoment {
  std::string thread;       // DiffThread::key
  DiffStep passing;
  DiffStep failing;
};

// Divergence is one place where the runs differ.
struct Divergence {
  enum class Kind { kReordering, kThreadSteps };
  Kind kind = Kind::kReordering;
  std::string process;      // key of the process's main thread
  // kReordering: `first` is the step the failing run took first (its thread ran ahead), `second`
  // the step the passing run took at that point instead. kThreadSteps: `first` is the first step
  // of one thread that differs (what each run did there); `second` is unused.
  DiffMoment first;
  DiffMoment second;
  int steps = 0;            // kReordering: interleaving positions until the runs are in step again
  // Where to look in the failing run: the failing event of `first` (or the latest step before it
  // when that run has no such step).
  uint64_t failing_event = 0;
};

struct TraceDiff {
  std::string passing_dir;
  std::string failing_dir;
  bool deep = false;                      // both sides had a deep index
  std::vector<DiffThread> threads;        // by key
  std::vector<Divergence> divergences;    // sorted by failing_event
  std::optional<Divergence> first;        // the earliest, if any
  uint64_t passing_steps = 0;
  uint64_t failing_steps = 0;
  const DiffThread* FindThread(const std::string& key) const;
};

// DiffTraces compares the two runs. FailedPrecondition when they are not runs of the same
// program (a different executable or command line in their first process).
absl::StatusOr<TraceDiff> DiffTraces(const DiffSide& passing, const DiffSide& failing);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DIFF_TRACE_DIFF_H_
