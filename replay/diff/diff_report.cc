#include "replay/diff/diff_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pyreplay {
namespace {

std::string ThreadText(const TraceDiff& diff, const std::string& key) {
  const DiffThread* t = diff.FindThread(key);
  return t != nullptr ? t->Label() : key;
}

std::string Where(const DiffStep& step) {
  return step.python.empty() ? "" : absl::StrCat("  [", step.python, "]");
}

nlohmann::json StepJson(const DiffStep& step) {
  if (step.event == 0) return nullptr;
  nlohmann::json j = {{"event", step.event}, {"tid", step.tid}, {"what", step.what},
                      {"step", step.ordinal}};
  if (!step.python.empty()) j["python"] = step.python;
  return j;
}

nlohmann::json MomentJson(const TraceDiff& diff, const DiffMoment& m) {
  if (m.thread.empty()) return nullptr;
  return {{"thread", m.thread},
          {"label", ThreadText(diff, m.thread)},
          {"passing", StepJson(m.passing)},
          {"failing", StepJson(m.failing)}};
}

std::string Summary(const TraceDiff& diff, const Divergence& d) {
  if (d.kind == Divergence::Kind::kThreadSteps) {
    return absl::StrFormat("%s's step %d: passing `%s`, failing `%s`",
                           ThreadText(diff, d.first.thread),
                           std::max(d.first.passing.ordinal, d.first.failing.ordinal),
                           d.first.passing.what.empty() ? "(none)" : d.first.passing.what,
                           d.first.failing.what.empty() ? "(none)" : d.first.failing.what);
  }
  return absl::StrFormat("%s ran ahead of %s (`%s` before `%s`; %d steps out of order)%s",
                         ThreadText(diff, d.first.thread), ThreadText(diff, d.second.thread),
                         d.first.failing.what, d.second.passing.what, d.steps,
                         Where(d.first.failing));
}

}  // namespace

std::string GotoCommand(const TraceDiff& diff, const Divergence& d) {
  return absl::StrCat("pyreplay replay ", diff.failing_dir, " --goto ", d.failing_event);
}

std::string FormatDiffText(const TraceDiff& diff, const Style& style, int more) {
  std::string out = absl::StrFormat("passing: %s (%d steps)\nfailing: %s (%d steps)\n",
                                    diff.passing_dir, diff.passing_steps, diff.failing_dir,
                                    diff.failing_steps);
  absl::StrAppend(&out, style.Bold("threads"), " (matched by creator and creation order",
                  diff.deep ? " and Python name" : "", "; tids in each run):\n");
  for (const DiffThread& t : diff.threads) {
    absl::StrAppendFormat(&out, "  %-28s passing %-8s failing %s\n", t.Label(),
                          t.passing_tid ? absl::StrCat(t.passing_tid) : "-",
                          t.failing_tid ? absl::StrCat(t.failing_tid) : "-");
  }
  if (!diff.first) {
    absl::StrAppend(&out, "no divergence: every thread made the same steps in the same order\n");
    return out;
  }
  const Divergence& d = *diff.first;
  if (d.kind == Divergence::Kind::kReordering) {
    absl::StrAppend(&out, style.Bold("first divergence"), ": the threads of process ", d.process,
                    " took their steps in another order\n");
    const DiffMoment& ahead = d.first;
    const DiffMoment& behind = d.second;
    absl::StrAppendFormat(&out, "  failing run: %s did `%s` (its step %d) at event %d%s\n",
                          style.Accent(ThreadText(diff, ahead.thread)), ahead.failing.what,
                          ahead.failing.ordinal, ahead.failing.event, Where(ahead.failing));
    if (!behind.thread.empty()) {
      absl::StrAppendFormat(
          &out, "               before %s did `%s` (its step %d)%s\n",
          style.Accent(ThreadText(diff, behind.thread)), behind.passing.what,
          behind.passing.ordinal,
          behind.failing.event ? absl::StrCat(" at event ", behind.failing.event)
                               : std::string(", which it never did"));
      absl::StrAppendFormat(&out, "  passing run: %s did `%s` (its step %d) first, at event %d%s\n",
                            ThreadText(diff, behind.thread), behind.passing.what,
                            behind.passing.ordinal, behind.passing.event, Where(behind.passing));
    }
    if (ahead.passing.event != 0) {
      absl::StrAppendFormat(&out, "               and %s did `%s` only at event %d\n",
                            ThreadText(diff, ahead.thread), ahead.passing.what,
                            ahead.passing.event);
    } else {
      absl::StrAppendFormat(&out, "               and %s never did `%s`\n",
                            ThreadText(diff, ahead.thread), ahead.failing.what);
    }
    absl::StrAppendFormat(&out, "  the runs are in step again after %d steps of that process\n",
                          d.steps);
  } else {
    absl::StrAppend(&out, style.Bold("first divergence"), ": ",
                    ThreadText(diff, d.first.thread), " did something else\n");
    const DiffStep& p = d.first.passing;
    const DiffStep& f = d.first.failing;
    absl::StrAppendFormat(&out, "  passing run: %s\n",
                          p.event ? absl::StrFormat("`%s` (its step %d) at event %d%s", p.what,
                                                    p.ordinal, p.event, Where(p))
                                  : std::string("no such step"));
    absl::StrAppendFormat(&out, "  failing run: %s\n",
                          f.event ? absl::StrFormat("`%s` (its step %d) at event %d%s", f.what,
                                                    f.ordinal, f.event, Where(f))
                                  : std::string("no such step"));
  }
  absl::StrAppend(&out, "  see it in the failing run: ", style.Bold(GotoCommand(diff, d)), "\n");
  if (diff.divergences.size() > 1) {
    absl::StrAppend(&out, "later divergences (", diff.divergences.size() - 1, "):\n");
    int shown = 0;
    for (size_t i = 1; i < diff.divergences.size() && shown < more; ++i, ++shown) {
      const Divergence& later = diff.divergences[i];
      absl::StrAppendFormat(&out, "  event %-8d %s\n", later.failing_event,
                            Summary(diff, later));
    }
    if (diff.divergences.size() - 1 > static_cast<size_t>(more)) {
      absl::StrAppend(&out, "  ... (all of them with --json)\n");
    }
  }
  if (!diff.deep) {
    absl::StrAppend(&out, style.Dim("Python locations and thread names: run `pyreplay index "
                                    "--deep` on both traces first"),
                    "\n");
  }
  return out;
}

nlohmann::json DiffJson(const TraceDiff& diff) {
  nlohmann::json threads = nlohmann::json::array();
  for (const DiffThread& t : diff.threads) {
    threads.push_back({{"thread", t.key},
                       {"name", t.name},
                       {"passing_tid", t.passing_tid},
                       {"failing_tid", t.failing_tid}});
  }
  nlohmann::json divergences = nlohmann::json::array();
  for (const Divergence& d : diff.divergences) {
    divergences.push_back(
        {{"kind", d.kind == Divergence::Kind::kReordering ? "reordering" : "thread-steps"},
         {"process", d.process},
         {"first", MomentJson(diff, d.first)},
         {"second", MomentJson(diff, d.second)},
         {"steps", d.steps},
         {"failing_event", d.failing_event},
         {"goto", GotoCommand(diff, d)},
         {"summary", Summary(diff, d)}});
  }
  return {{"passing", diff.passing_dir},
          {"failing", diff.failing_dir},
          {"deep", diff.deep},
          {"passing_steps", diff.passing_steps},
          {"failing_steps", diff.failing_steps},
          {"threads", threads},
          {"first", divergences.empty() ? nlohmann::json(nullptr) : divergences[0]},
          {"divergences", divergences}};
}

}  // namespace pyreplay
