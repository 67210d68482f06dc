#include "replay/diff/trace_diff.h"

#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "replay/common/status_macros.h"
#include "replay/common/text_escape.h"

namespace pyreplay {
namespace {

std::string FamilyName(int32_t family) {
  switch (family) {
    case AF_INET: return " AF_INET";
    case AF_INET6: return " AF_INET6";
    case AF_UNIX: return " AF_UNIX";
    case -1: return "";
    default: return absl::StrCat(" family ", family);
  }
}

int32_t LeaderTid(const EventIndex& index, int32_t tid) {
  const ThreadInfo* t = index.FindThread(tid);
  return t != nullptr && t->pid != 0 ? t->pid : tid;
}

// Side is one run: its threads named so they can be matched, and its steps grouped.
struct Side {
  const DiffSide* in = nullptr;
  std::map<int32_t, std::string> key;                 // tid -> creation key
  std::map<int32_t, std::string> id;                  // tid -> id shared by both runs
  std::map<std::string, int32_t> tid_of;              // id -> tid
  std::map<std::string, std::vector<DiffStep>> steps;           // thread id -> its steps
  std::map<std::string, std::vector<std::string>> interleaving;  // process id -> thread ids
  std::map<std::string, std::vector<const DiffStep*>> at;        // process id -> the steps
  uint64_t total = 0;

  std::string IdOf(int32_t tid) const {
    auto it = id.find(tid);
    return it != id.end() ? it->second : absl::StrCat("tid ", tid);
  }
  std::string ProcessOf(int32_t tid) const { return IdOf(LeaderTid(in->index, tid)); }
  // StepOf is thread `thread`'s step number `ordinal`, or an empty step.
  DiffStep StepOf(const std::string& thread, int ordinal) const {
    auto it = steps.find(thread);
    if (it == steps.end() || ordinal < 1 || ordinal > static_cast<int>(it->second.size())) {
      return {};
    }
    return it->second[ordinal - 1];
  }
  uint64_t LastEvent() const { return in->index.event_count; }
};

// AssignKeys names each thread by its creator and creation order: the first task is "main", the
// second task that main created is "main.2".
void AssignKeys(Side& side) {
  std::vector<ThreadInfo> threads = side.in->index.threads;
  std::stable_sort(threads.begin(), threads.end(), [](const ThreadInfo& a, const ThreadInfo& b) {
    return a.created_at < b.created_at;
  });
  std::map<int32_t, int> children;
  int roots = 0;
  for (const ThreadInfo& t : threads) {
    auto parent = side.key.find(t.parent_tid);
    if (t.parent_tid == 0 || parent == side.key.end()) {
      side.key[t.tid] = ++roots == 1 ? "main" : absl::StrCat("root", roots);
    } else {
      side.key[t.tid] = absl::StrCat(parent->second, ".", ++children[t.parent_tid]);
    }
  }
}

// AssignIds: a thread's id is its creation key, except that with a deep index in both runs, a
// Python thread name that is unique within its process in both runs matches the two threads
// whatever their creation order (the failing run's thread then takes the passing run's key).
void AssignIds(Side& passing, Side& failing) {
  for (Side* s : {&passing, &failing}) s->id = s->key;
  if (passing.in->deep && failing.in->deep) {
    auto by_name = [](const Side& s) {
      std::map<std::pair<std::string, std::string>, std::vector<int32_t>> names;
      for (const auto& [tid, key] : s.key) {
        std::string name = s.in->deep->ThreadName(tid);
        auto leader = s.key.find(LeaderTid(s.in->index, tid));
        if (name.empty() || leader == s.key.end()) continue;
        names[{leader->second, name}].push_back(tid);
      }
      return names;
    };
    auto p = by_name(passing), f = by_name(failing);
    for (const auto& [proc_name, tids] : p) {
      auto other = f.find(proc_name);
      if (tids.size() != 1 || other == f.end() || other->second.size() != 1) continue;
      failing.id[other->second[0]] = passing.key[tids[0]];
    }
  }
  for (Side* s : {&passing, &failing}) {
    for (const auto& [tid, id] : s->id) s->tid_of[id] = tid;
  }
}

// StepText is what a step did, in words that do not change from run to run (no tids, ports, fds).
std::string StepText(const Side& side, const IndexEntry& e) {
  std::string kind(EventKindName(e.kind));
  switch (e.kind) {
    case EventKind::kThreadStart:
      return absl::StrCat("start thread ", side.IdOf(e.tid));
    case EventKind::kFork:
      return absl::StrCat("fork process ", side.IdOf(e.tid));
    case EventKind::kThreadExit:
      return absl::StrCat("thread exit");
    case EventKind::kProcessExit:
      return absl::StrCat("process exit, ", WaitStatusText(e.exit_status));
    case EventKind::kExec: {
      size_t slash = e.detail.rfind('/');
      return absl::StrCat("exec ", slash == std::string::npos ? e.detail : e.detail.substr(slash + 1));
    }
    default:
      break;
  }
  std::string result = !e.finished ? "unfinished"
                       : e.result >= 0 ? "ok"
                       : e.error() != 0 ? absl::StrCat("error ", e.error())
                                        : absl::StrCat("result ", e.result);
  return absl::StrCat(kind, FamilyName(e.family), " ", result);
}

// PythonContext is the program's innermost frame and its caller, outside the standard library:
// "race.py:49 in round_trip() < race.py:69 in worker()" says which of the round trips it was.
std::string PythonContext(const DeepEntry& entry) {
  std::vector<std::string> frames;
  for (const DeepFrame& f : entry.stack) {
    if (IsStandardLibrary(f.file)) continue;
    size_t slash = f.file.rfind('/');
    frames.push_back(absl::StrCat(slash == std::string::npos ? f.file : f.file.substr(slash + 1),
                                  ":", f.line >= 0 ? absl::StrCat(f.line) : "?", " in ",
                                  f.function, "()"));
    if (frames.size() == 2) break;
  }
  return frames.empty() ? PythonLocation(entry) : absl::StrJoin(frames, " < ");
}

// Actor is the thread a step belongs to: the creator of a thread or process, the process itself
// (its first thread) for a process exit, which the index files under whichever thread ended last.
int32_t Actor(const IndexEntry& e) {
  if (e.kind == EventKind::kProcessExit && e.pid != 0) return e.pid;
  return ActingTid(e);
}

void CollectSteps(Side& side) {
  const EventIndex& index = side.in->index;
  std::map<std::string, int> ordinals;
  for (const IndexEntry& e : index.entries) {
    int32_t actor = Actor(e);
    std::string thread = side.IdOf(actor);
    DiffStep step;
    step.event = e.event;
    step.tid = actor;
    step.what = StepText(side, e);
    if (side.in->deep) {
      if (const DeepEntry* d = side.in->deep->Find(e.event)) step.python = EscapeText(PythonContext(*d));  // trace text: printed
    }
    step.ordinal = ++ordinals[thread];
    side.steps[thread].push_back(std::move(step));
    ++side.total;
  }
  // Pointers into `steps` only once every vector is complete.
  std::map<std::string, int> seen;
  for (const IndexEntry& e : index.entries) {
    int32_t actor = Actor(e);
    std::string thread = side.IdOf(actor);
    std::string process = side.ProcessOf(actor);
    side.interleaving[process].push_back(thread);
    side.at[process].push_back(&side.steps[thread][seen[thread]++]);
  }
}

// CompareThreads finds, for each thread in both runs, the first step that differs.
void CompareThreads(const Side& passing, const Side& failing, TraceDiff& diff) {
  for (const auto& [thread, p_steps] : passing.steps) {
    auto f_it = failing.steps.find(thread);
    if (f_it == failing.steps.end()) continue;
    const std::vector<DiffStep>& f_steps = f_it->second;
    size_t n = std::max(p_steps.size(), f_steps.size());
    for (size_t i = 0; i < n; ++i) {
      bool same = i < p_steps.size() && i < f_steps.size() && p_steps[i].what == f_steps[i].what;
      if (same) continue;
      Divergence d;
      d.kind = Divergence::Kind::kThreadSteps;
      d.first.thread = thread;
      d.process = passing.ProcessOf(p_steps.empty() ? f_steps.front().tid : p_steps.front().tid);
      if (i < p_steps.size()) d.first.passing = p_steps[i];
      if (i < f_steps.size()) d.first.failing = f_steps[i];
      d.failing_event = i < f_steps.size() ? f_steps[i].event
                        : f_steps.empty()  ? failing.LastEvent()
                                           : f_steps.back().event;
      diff.divergences.push_back(std::move(d));
      break;
    }
  }
}

// CompareInterleavings walks each process's interleaving in both runs side by side and records
// every stretch where they differ.
void CompareInterleavings(const Side& passing, const Side& failing, TraceDiff& diff) {
  for (const auto& [process, p_order] : passing.interleaving) {
    auto f_it = failing.interleaving.find(process);
    if (f_it == failing.interleaving.end()) continue;
    const std::vector<std::string>& f_order = f_it->second;
    const std::vector<const DiffStep*>& p_at = passing.at.at(process);
    const std::vector<const DiffStep*>& f_at = failing.at.at(process);
    std::map<std::string, int> ahead;  // thread -> steps passing made minus steps failing made
    int unequal = 0;
    std::optional<Divergence> open;
    size_t start = 0;
    auto bump = [&](const std::string& thread, int by) {
      int& a = ahead[thread];
      if (a == 0) ++unequal;
      a += by;
      if (a == 0) --unequal;
    };
    size_t n = std::max(p_order.size(), f_order.size());
    for (size_t i = 0; i < n; ++i) {
      const std::string* p = i < p_order.size() ? &p_order[i] : nullptr;
      const std::string* f = i < f_order.size() ? &f_order[i] : nullptr;
      if (!open && p && f && *p == *f) continue;
      if (!open) {
        Divergence d;
        d.kind = Divergence::Kind::kReordering;
        d.process = process;
        if (f) {
          d.first.thread = *f;
          d.first.failing = *f_at[i];
          d.first.passing = passing.StepOf(*f, f_at[i]->ordinal);
        }
        if (p) {
          d.second.thread = *p;
          d.second.passing = *p_at[i];
          d.second.failing = failing.StepOf(*p, p_at[i]->ordinal);
        }
        d.failing_event = f ? f_at[i]->event : failing.LastEvent();
        open = std::move(d);
        start = i;
      }
      if (p) bump(*p, +1);
      if (f) bump(*f, -1);
      if (unequal == 0) {
        open->steps = static_cast<int>(i - start + 1);
        diff.divergences.push_back(std::move(*open));
        open.reset();
      }
    }
    if (open) {
      open->steps = static_cast<int>(n - start);
      diff.divergences.push_back(std::move(*open));
    }
  }
}

}  // namespace

const DiffThread* TraceDiff::FindThread(const std::string& key) const {
  for (const DiffThread& t : threads) {
    if (t.key == key) return &t;
  }
  return nullptr;
}

absl::StatusOr<DiffSide> LoadDiffSide(const std::string& trace_dir) {
  DiffSide side;
  side.trace_dir = trace_dir;
  ASSIGN_OR_RETURN(side.index, LoadOrBuildIndex(trace_dir));
  absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(trace_dir, side.index);
  if (deep.ok()) side.deep = std::move(*deep);
  // A stale or unreadable deep index only costs the Python locations: compare without them.
  return side;
}

absl::StatusOr<TraceDiff> DiffTraces(const DiffSide& passing_in, const DiffSide& failing_in) {
  const EventIndex& p_index = passing_in.index;
  const EventIndex& f_index = failing_in.index;
  if (!p_index.processes.empty() && !f_index.processes.empty()) {
    const ProcessInfo& a = p_index.processes.front();
    const ProcessInfo& b = f_index.processes.front();
    if (a.exe != b.exe || a.cmdline != b.cmdline) {
      return absl::FailedPreconditionError(absl::StrCat(
          "these are runs of different programs: ", passing_in.trace_dir, " ran `",
          absl::StrJoin(a.cmdline, " "), "`, ", failing_in.trace_dir, " ran `",
          absl::StrJoin(b.cmdline, " "),
          "`; diff compares a passing and a failing run of the same program"));
    }
  }
  if (!p_index.uuid.empty() && p_index.uuid == f_index.uuid) {
    return absl::InvalidArgumentError(absl::StrCat(
        passing_in.trace_dir, " and ", failing_in.trace_dir,
        " are the same recording; give a passing and a failing run"));
  }
  Side passing, failing;
  passing.in = &passing_in;
  failing.in = &failing_in;
  AssignKeys(passing);
  AssignKeys(failing);
  AssignIds(passing, failing);
  CollectSteps(passing);
  CollectSteps(failing);

  TraceDiff diff;
  diff.passing_dir = passing_in.trace_dir;
  diff.failing_dir = failing_in.trace_dir;
  diff.deep = passing_in.deep.has_value() && failing_in.deep.has_value();
  diff.passing_steps = passing.total;
  diff.failing_steps = failing.total;
  std::map<std::string, DiffThread> threads;
  for (const auto& [id, tid] : passing.tid_of) {
    threads[id].passing_tid = tid;
    if (passing_in.deep) threads[id].name = EscapeText(passing_in.deep->ThreadName(tid));
  }
  for (const auto& [id, tid] : failing.tid_of) {
    threads[id].failing_tid = tid;
    if (failing_in.deep && threads[id].name.empty()) {
      threads[id].name = EscapeText(failing_in.deep->ThreadName(tid));
    }
  }
  for (auto& [id, t] : threads) {
    t.key = id;
    diff.threads.push_back(t);
  }
  CompareInterleavings(passing, failing, diff);
  CompareThreads(passing, failing, diff);
  std::stable_sort(diff.divergences.begin(), diff.divergences.end(),
                   [](const Divergence& a, const Divergence& b) {
                     return a.failing_event < b.failing_event;
                   });
  if (!diff.divergences.empty()) diff.first = diff.divergences.front();
  return diff;
}

}  // namespace pyreplay
