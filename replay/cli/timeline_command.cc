// `pyreplay timeline`: draw a trace's threads, connections and marks over time, from the index.
#include <cstdio>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "replay/cli/command.h"
#include "replay/common/terminal.h"
#include "replay/timeline/timeline_writer.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kTimeline({"timeline", "Draw threads, connections and marks over time (HTML, SVG)",
                           45, [](CLI::App* app) {
  auto request = std::make_shared<TimelineRequest>();
  app->footer(
      "Writes one self-contained HTML page (it loads nothing from the network) and/or an SVG\n"
      "picture, from the trace's event index (built first if missing), marks and deep index.\n"
      "  pyreplay timeline traces/sockets-1 -o sockets.html\n"
      "  pyreplay timeline traces/sockets-1 --svg sockets.svg\n"
      "In the page: wheel zooms, drag pans, click an event for its `pyr goto N` command.");
  app->add_option("TRACE", request->trace_dir, "The trace folder")->required();
  app->add_option("-o,--output", request->html_path, "Write the interactive HTML page here");
  app->add_option("--svg", request->svg_path, "Write a static SVG picture here");
  app->add_option("--json", request->json_path, "Write the page's model (JSON) here");
  return [request] {
    std::optional<ProgressBar> bar;
    request->progress = [&bar](uint64_t done, uint64_t total) {
      if (!bar) bar.emplace("building the event index", total);
      bar->Update(done);
    };
    absl::StatusOr<TimelineSummary> summary = WriteTimeline(*request);
    bar.reset();
    if (!summary.ok()) return ReportError(summary.status());
    if (summary->index_built) PrintNote("built the event index first (pyreplay/index)");
    for (const std::string& warning : summary->warnings) PrintNote(warning);
    std::printf("%s: %zu threads in %zu process%s, %zu events, %zu connections, %zu marks\n",
                absl::StrJoin(summary->written, ", ").c_str(), summary->threads,
                summary->processes, summary->processes == 1 ? "" : "es", summary->events,
                summary->connections, summary->marks);
    return kExitOk;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
