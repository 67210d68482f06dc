// `pyreplay info`: summarise a trace.
#include <filesystem>
#include <memory>

#include "replay/cli/command.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/index_report.h"
#include "replay/pack/pack_info.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kInfo({"info", "Summarise a trace", 32, [](CLI::App* app) {
  auto trace = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app->footer(
      "Shows the command line, mode, rr version, event count, duration, threads, processes,\n"
      "size, and whether the event index is fresh (a stale one is rebuilt); with a deep index\n"
      "(`pyreplay index --deep`), every thread's Python name.\n"
      "  pyreplay info traces/sockets-1\n"
      "  pyreplay info traces/sockets-1 --json\n"
      "  pyreplay info bug.pyrtrace      # a pack: command, size, marks, authors; every byte\n"
      "                                  # checked against its digest, nothing unpacked");
  app->add_option("TRACE", *trace, "The trace folder, or a .pyrtrace pack")->required();
  app->add_flag("--json", *json, "Print JSON");
  return [trace, json] {
    if (std::error_code ec; std::filesystem::is_regular_file(*trace, ec)) {  // a .pyrtrace pack
      absl::StatusOr<PackInfo> pack = ReadPackInfo(*trace);
      if (!pack.ok()) return ReportError(pack.status());
      *json ? PrintJson(PackInfoToJson(*pack)) : PrintText(FormatPackInfo(*pack));
      return kExitOk;
    }
    EventIndex index;
    absl::StatusOr<TraceInfo> info = GetTraceInfo(*trace, &index);
    if (!info.ok()) return ReportError(info.status());
    // Threads by their Python names, once `pyreplay index --deep` has seen them.
    absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(*trace, index);
    if (absl::IsDataLoss(deep.status())) return ReportError(deep.status());  // damaged, not stale
    if (deep.ok()) {
      info->thread_names = deep->thread_names;
    } else if (!absl::IsNotFound(deep.status())) {
      PrintNote(std::string(deep.status().message()));
    }
    if (*json) {
      PrintJson(TraceInfoJson(*info));
    } else {
      PrintText(FormatTraceInfo(*info));
    }
    return kExitOk;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
