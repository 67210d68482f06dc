// `pyreplay info`: summarise a trace.
#include <memory>

#include "replay/cli/command.h"
#include "replay/index/index_report.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kInfo({"info", "Summarise a trace", 32, [](CLI::App* app) {
  auto trace = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app->footer(
      "Shows the command line, mode, rr version, event count, duration, threads, processes,\n"
      "size, and whether the event index is fresh (a stale one is rebuilt).\n"
      "  pyreplay info traces/sockets-1\n"
      "  pyreplay info traces/sockets-1 --json");
  app->add_option("TRACE", *trace, "The trace folder")->required();
  app->add_flag("--json", *json, "Print JSON");
  return [trace, json] {
    absl::StatusOr<TraceInfo> info = GetTraceInfo(*trace);
    if (!info.ok()) return ReportError(info.status());
    if (*json) {
      printf("%s\n", TraceInfoJson(*info).dump(2).c_str());
    } else {
      fputs(FormatTraceInfo(*info).c_str(), stdout);
    }
    return kExitOk;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
