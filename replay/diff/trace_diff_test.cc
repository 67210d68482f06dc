#include "replay/diff/trace_diff.h"

#include <sys/socket.h>

#include "gtest/gtest.h"
#include "replay/common/terminal.h"
#include "replay/diff/diff_report.h"

namespace pyreplay {
namespace {

// FakeRun builds a small index by hand: the e2e test (tests/e2e/test_hunt.py) diffs real traces.
class FakeRun {
 public:
  FakeRun(int32_t main_tid, std::vector<std::string> cmdline = {"python3.11", "race.py"}) {
    side_.trace_dir = "trace-" + std::to_string(main_tid);
    side_.index.uuid = "uuid-" + std::to_string(main_tid);
    side_.index.threads.push_back({main_tid, 0, main_tid, 0, 0, 0});
    ProcessInfo p;
    p.pid = main_tid;
    p.exe = "/usr/bin/python3.11";
    p.cmdline = std::move(cmdline);
    side_.index.processes.push_back(p);
  }
  // Start: `parent` starts thread `tid` (a fork when `fork`).
  FakeRun& Start(int32_t parent, int32_t tid, bool fork = false) {
    const ThreadInfo* p = side_.index.FindThread(parent);
    int32_t pid = fork ? tid : p->pid;
    uint64_t at = next_;
    side_.index.threads.push_back({tid, parent, pid, at, 0, 0});
    IndexEntry e;
    e.kind = fork ? EventKind::kFork : EventKind::kThreadStart;
    e.event = next_++;
    e.tid = tid;
    e.pid = pid;
    e.parent_tid = parent;
    side_.index.entries.push_back(e);
    return *this;
  }
  FakeRun& Socket(int32_t tid, EventKind kind = EventKind::kConnect, int64_t result = 0) {
    IndexEntry e;
    e.kind = kind;
    e.event = next_++;
    e.exit_event = next_++;
    e.tid = tid;
    e.pid = side_.index.FindThread(tid)->pid;
    e.family = AF_INET;
    e.finished = true;
    e.result = result;
    side_.index.entries.push_back(e);
    return *this;
  }
  FakeRun& Exit(int32_t tid, int32_t status = 0) {
    IndexEntry e;
    e.kind = tid == side_.index.FindThread(tid)->pid ? EventKind::kProcessExit
                                                      : EventKind::kThreadExit;
    e.event = next_++;
    e.tid = tid;
    e.pid = side_.index.FindThread(tid)->pid;
    e.exit_status = status << 8;
    side_.index.entries.push_back(e);
    return *this;
  }
  FakeRun& Skip(int n) {
    next_ += n;
    return *this;
  }
  DiffSide Done() {
    side_.index.event_count = next_;
    return side_;
  }

 private:
  DiffSide side_;
  uint64_t next_ = 10;
};

TEST(TraceDiffTest, TheSameOrderHasNoDivergence) {
  // Tids and event numbers differ from run to run; the steps and their order do not.
  DiffSide a = FakeRun(100).Start(100, 101).Start(100, 102).Socket(101).Socket(102).Exit(100).Done();
  DiffSide b = FakeRun(200).Skip(40).Start(200, 205).Start(200, 207).Socket(205).Socket(207)
                   .Exit(200).Done();
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_FALSE(diff->first);
  ASSERT_EQ(diff->threads.size(), 3u);
  const DiffThread* w = diff->FindThread("main.2");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->passing_tid, 102);
  EXPECT_EQ(w->failing_tid, 207);
}

TEST(TraceDiffTest, AThreadRunningAheadIsTheFirstDivergence) {
  // Passing: worker 1 connects twice, then worker 2 once. Failing: worker 2 overtakes.
  DiffSide a = FakeRun(100).Start(100, 101).Start(100, 102).Socket(101).Socket(101).Socket(102)
                   .Exit(100).Done();
  DiffSide b = FakeRun(200).Start(200, 201).Start(200, 202).Socket(201).Socket(202).Socket(201)
                   .Exit(200).Done();
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  ASSERT_TRUE(diff->first);
  const Divergence& d = *diff->first;
  EXPECT_EQ(d.kind, Divergence::Kind::kReordering);
  EXPECT_EQ(d.process, "main");
  // The failing run's worker 2 (main.2) made its first connect early: event 14 (10, 11 starts,
  // 12-13 worker 1's connect), where the passing run had worker 1's second connect.
  EXPECT_EQ(d.first.thread, "main.2");
  EXPECT_EQ(d.first.failing.tid, 202);
  EXPECT_EQ(d.first.failing.event, 14u);
  EXPECT_EQ(d.first.passing.event, 16u);
  EXPECT_EQ(d.second.thread, "main.1");
  EXPECT_EQ(d.second.passing.event, 14u);
  EXPECT_EQ(d.second.failing.event, 16u);
  EXPECT_EQ(d.steps, 2);
  EXPECT_EQ(d.failing_event, 14u);
  EXPECT_EQ(diff->divergences.size(), 1u);  // the runs are in step again afterwards
  EXPECT_EQ(GotoCommand(*diff, d), "pyreplay replay trace-200 --goto 14");
  FILE* not_a_terminal = tmpfile();
  std::string text = FormatDiffText(*diff, Style(not_a_terminal));
  fclose(not_a_terminal);
  EXPECT_NE(text.find("--goto 14"), std::string::npos) << text;
  nlohmann::json j = DiffJson(*diff);
  EXPECT_EQ(j["first"]["first"]["failing"]["tid"], 202);
  EXPECT_EQ(j["first"]["kind"], "reordering");
}

TEST(TraceDiffTest, ADifferentStepOfOneThreadIsReported) {
  DiffSide a = FakeRun(100).Start(100, 101).Socket(101).Exit(100, 0).Done();
  DiffSide b = FakeRun(200).Start(200, 201).Socket(201, EventKind::kConnect, -111).Exit(200, 1).Done();
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  ASSERT_EQ(diff->divergences.size(), 2u);
  const Divergence& d = *diff->first;
  EXPECT_EQ(d.kind, Divergence::Kind::kThreadSteps);
  EXPECT_EQ(d.first.thread, "main.1");
  EXPECT_EQ(d.first.passing.what, "connect AF_INET ok");
  EXPECT_EQ(d.first.failing.what, "connect AF_INET error 111");
  EXPECT_EQ(diff->divergences[1].first.failing.what, "process exit, status 1");
}

TEST(TraceDiffTest, ProcessesAreNotInterleavedWithEachOther) {
  // A forked server's steps land anywhere among the parent's: not a divergence.
  DiffSide a = FakeRun(100).Start(100, 150, true).Start(100, 101).Socket(150, EventKind::kAccept)
                   .Socket(101).Exit(100).Done();
  DiffSide b = FakeRun(200).Start(200, 250, true).Start(200, 201).Socket(201)
                   .Socket(250, EventKind::kAccept).Exit(200).Done();
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  EXPECT_FALSE(diff->first);
}

TEST(TraceDiffTest, PythonNamesMatchThreadsStartedInAnotherOrder) {
  DiffSide a = FakeRun(100).Start(100, 101).Start(100, 102).Socket(101).Socket(102).Done();
  DiffSide b = FakeRun(200).Start(200, 202).Start(200, 201).Socket(201).Socket(202).Done();
  for (DiffSide* s : {&a, &b}) {
    s->deep.emplace();
    int32_t base = s == &a ? 100 : 200;
    s->deep->thread_names = {{base, "MainThread"}, {base + 1, "worker-0"}, {base + 2, "worker-1"}};
  }
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  ASSERT_TRUE(diff.ok()) << diff.status();
  const DiffThread* w0 = diff->FindThread("main.1");
  ASSERT_NE(w0, nullptr);
  EXPECT_EQ(w0->name, "worker-0");
  EXPECT_EQ(w0->passing_tid, 101);
  EXPECT_EQ(w0->failing_tid, 201);
  EXPECT_TRUE(diff->deep);
}

TEST(TraceDiffTest, RefusesRunsOfDifferentPrograms) {
  DiffSide a = FakeRun(100).Done();
  DiffSide b = FakeRun(200, {"python3.11", "other.py"}).Done();
  absl::StatusOr<TraceDiff> diff = DiffTraces(a, b);
  EXPECT_EQ(diff.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(diff.status().message().find("different programs"), absl::string_view::npos);
  EXPECT_EQ(DiffTraces(a, a).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pyreplay
