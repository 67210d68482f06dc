// diff_report.h: `pyreplay diff` output, as text for people and JSON for scripts.
//
//   fputs(FormatDiffText(diff, style).c_str(), stdout);
//   printf("%s\n", DiffJson(diff).dump(2).c_str());
#ifndef PYREPLAY_REPLAY_DIFF_DIFF_REPORT_H_
#define PYREPLAY_REPLAY_DIFF_DIFF_REPORT_H_

#include <string>

#include "nlohmann/json.hpp"
#include "replay/common/terminal.h"
#include "replay/diff/trace_diff.h"

namespace pyreplay {

// GotoCommand is `pyreplay replay FAILING --goto N` for a divergence.
std::string GotoCommand(const TraceDiff& diff, const Divergence& d);

// FormatDiffText: the threads as matched, the first divergence in detail (who did what, in which
// order, at which events in each run, Python locations with a deep index), the command that lands
// there, and up to `more` later divergences, one line each.
std::string FormatDiffText(const TraceDiff& diff, const Style& style, int more = 8);

// DiffJson: {"passing", "failing", "deep", "threads": [...], "first": {...} or null,
// "divergences": [...]}; each divergence has "kind", "process", "first"/"second" moments
// ({"thread", "passing": {"event", "tid", "what", "python"}, "failing": {...}}),
// "failing_event" and "goto".
nlohmann::json DiffJson(const TraceDiff& diff);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DIFF_DIFF_REPORT_H_
