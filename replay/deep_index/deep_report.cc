#include "replay/deep_index/deep_report.h"

#include <stdio.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/common/text_escape.h"
#include "replay/common/status_macros.h"
#include "replay/common/terminal.h"
#include "replay/deep_index/deep_builder.h"

namespace pyreplay {

absl::Status RunDeepIndex(const std::string& trace_dir, PmuChoice pmu) {
  std::mutex mu;
  std::unique_ptr<ProgressBar> bar;
  DeepBuildOptions options;
  options.pmu = pmu;
  options.progress = [&](uint64_t when, uint64_t total) {
    std::lock_guard<std::mutex> lock(mu);
    if (!bar) bar = std::make_unique<ProgressBar>("deep index (replaying)", total);
    bar->Update(when);
  };
  absl::StatusOr<DeepBuildResult> result = BuildAndWriteDeepIndex(trace_dir, options);
  {
    std::lock_guard<std::mutex> lock(mu);
    bar.reset();  // clears the bar's line
  }
  RETURN_IF_ERROR(result.status());
  Style style(stdout);
  printf("%s %s: Python stacks at %zu of %zu indexed events (%u stops), %zu thread names, "
         "in %.1fs\n",
         style.Good("deep index").c_str(), DeepIndexPath(trace_dir).c_str(), result->located,
         result->indexed, result->deep.stops, result->deep.thread_names.size(), result->seconds);
  return absl::OkStatus();
}

std::string FormatEventsTableDeep(const EventIndex& index, const std::vector<size_t>& selected,
                                  const DeepIndex& deep) {
  std::vector<std::string> threads, locations;
  size_t thread_width = 6, location_width = 6;
  for (size_t i : selected) {
    const IndexEntry& e = index.entries[i];
    // Thread names, file and function names come from the trace: escaped, one line each.
    threads.push_back(EscapeText(ThreadLabel(&deep, e.tid)));
    const DeepEntry* d = deep.Find(e.event);
    locations.push_back(d != nullptr && !d->stack.empty() ? EscapeText(PythonLocation(*d)) : "-");
    thread_width = std::max(thread_width, threads.back().size());
    location_width = std::max(location_width, locations.back().size());
  }
  const int tw = static_cast<int>(thread_width), lw = static_cast<int>(location_width);
  std::string out = absl::StrFormat("%8s  %9s  %-*s  %-11s  %-*s  %s\n", "EVENT", "TIME", tw,
                                    "THREAD", "KIND", lw, "PYTHON", "DETAILS");
  for (size_t row = 0; row < selected.size(); ++row) {
    const IndexEntry& e = index.entries[selected[row]];
    std::string details = DescribeEntry(index, e);
    if (e.kind == EventKind::kThreadStart || e.kind == EventKind::kFork) {
      std::string parent = deep.ThreadName(e.parent_tid);
      if (!parent.empty()) absl::StrAppend(&details, " by ", parent);
    }
    absl::StrAppendFormat(&out, "%8d  %9.3f  %-*s  %-11s  %-*s  %s\n", e.event,
                          e.time - index.first_time, tw, threads[row],
                          std::string(EventKindName(e.kind)), lw, locations[row],
                          EscapeText(details));
  }
  return out;
}

void AddDeepToEventsJson(const EventIndex& index, const std::vector<size_t>& selected,
                         const DeepIndex& deep, nlohmann::json* events) {
  for (size_t row = 0; row < selected.size() && row < events->size(); ++row) {
    const IndexEntry& e = index.entries[selected[row]];
    nlohmann::json& j = (*events)[row];
    std::string name = deep.ThreadName(e.tid);
    j["thread_name"] = name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name);
    const DeepEntry* d = deep.Find(e.event);
    if (d == nullptr) {
      j["python"] = nullptr;
      j["python_stack"] = nullptr;
      continue;
    }
    j["python"] = PythonLocation(*d);
    nlohmann::json stack = nlohmann::json::array();
    for (const DeepFrame& f : d->stack) {
      stack.push_back({{"file", f.file},
                       {"line", f.line >= 0 ? nlohmann::json(f.line) : nlohmann::json(nullptr)},
                       {"function", f.function}});
    }
    j["python_stack"] = stack;
    j["python_tid"] = d->tid;
  }
}

}  // namespace pyreplay
