// deep_report.h: `pyreplay index --deep` as one call, for the CLI: a progress bar with an ETA on
// a terminal while the replay pass runs, then a one-paragraph summary on stdout.
//
//   if (deep) return ReportError(RunDeepIndex(trace_dir, pmu_choice));
#ifndef PYREPLAY_REPLAY_DEEP_INDEX_DEEP_REPORT_H_
#define PYREPLAY_REPLAY_DEEP_INDEX_DEEP_REPORT_H_

#include <string>

#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

// RunDeepIndex builds and writes the deep index of `trace_dir` and prints what it found.
absl::Status RunDeepIndex(const std::string& trace_dir, PmuChoice pmu = PmuChoice::kAuto);

// FormatEventsTableDeep is `pyreplay events`' table with the deep index: threads by Python name,
// and a PYTHON column with the acting thread's innermost frame ("sockets.py:57 in client()").
std::string FormatEventsTableDeep(const EventIndex& index, const std::vector<size_t>& selected,
                                  const DeepIndex& deep);

// AddDeepToEventsJson adds to each entry of `events` (EventsJson's list, same order as
// `selected`): "thread_name", "python" (the location text) and "python_stack" ([{file, line,
// function}], innermost first, with the acting tid).
void AddDeepToEventsJson(const EventIndex& index, const std::vector<size_t>& selected,
                         const DeepIndex& deep, nlohmann::json* events);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DEEP_INDEX_DEEP_REPORT_H_
