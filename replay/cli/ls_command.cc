// `pyreplay ls`: list the traces under a folder, newest first.
#include <memory>

#include "replay/cli/command.h"
#include "replay/index/index_report.h"
#include "replay/record/recorder.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kLs({"ls", "List recorded traces, newest first", 33, [](CLI::App* app) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app->footer(
      "DIR defaults to $PYREPLAY_TRACES, else ./traces.\n"
      "  pyreplay ls\n"
      "  pyreplay ls /tmp/my-traces --json");
  app->add_option("DIR", *dir, "The folder holding traces");
  app->add_flag("--json", *json, "Print JSON");
  return [dir, json] {
    std::string root = dir->empty() ? DefaultTracesRoot() : *dir;
    absl::StatusOr<std::vector<TraceListing>> traces = ListTraces(root);
    if (!traces.ok()) return ReportError(traces.status());
    if (traces->empty() && !*json) {
      PrintNote(root + ": no traces here; record one with `pyreplay record --session threads -o " +
                root + "/threads-1`, or name the folder that holds them");
      return kExitOk;
    }
    if (*json) {
      PrintJson(TraceListJson(*traces));
    } else {
      PrintText(FormatTraceList(*traces));
    }
    return kExitOk;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
