// `pyreplay replay`: open gdb on a replay of a trace, with the pyreplay plugin loaded.
#include <memory>

#include "replay/cli/command.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kReplay({"replay", "Replay a trace in gdb, with the pyr commands", 20,
                         [](CLI::App* app) {
  auto request = std::make_shared<ReplayRequest>();
  auto pmu = std::make_shared<std::string>("auto");
  app->footer(
      "Replay TRACE under gdb with the pyreplay plugin (`help pyr` in gdb).\n"
      "  pyreplay replay traces/threads-1\n"
      "  pyreplay replay traces/threads-1 --goto 1009\n"
      "  pyreplay replay traces/threads-1 --batch -ex 'break sock_connect' -ex continue -ex bt\n"
      "  pyreplay replay traces/threads-1 --autopilot        # replay to the end, no gdb\n"
      "  pyreplay replay traces/threads-1 -- -nx              # extra gdb arguments");
  app->add_option("TRACE", request->trace_dir, "The trace folder")->required();
  app->add_option("--pmu", *pmu, "auto (default): the mode the trace was recorded in; on; off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app->add_flag("--batch", request->batch, "Run the -ex commands in gdb, then exit");
  app->add_option("--ex", request->commands, "A gdb command to run once connected (repeatable)");
  CLI::Option* goto_option =
      app->add_option("--goto", request->goto_target, "Start at event N or at mark @NAME");
  app->add_flag("--autopilot", request->autopilot, "Replay to the end without gdb (rr replay -a)");
  app->add_flag("--no-plugin", request->no_plugin, "Do not load the pyreplay gdb plugin");
  app->add_option("gdb_args", request->gdb_args, "Extra arguments for gdb, after --");
  return [request, pmu, goto_option] {
    request->goto_given = goto_option->count() > 0;
    absl::StatusOr<PmuChoice> choice = ParsePmuChoice(*pmu);
    if (!choice.ok()) return ReportError(choice.status());
    request->pmu = *choice;
    absl::StatusOr<ExitStatus> status = Replay(*request);
    if (!status.ok()) return ReportError(status.status());
    return status->ShellCode();
  };
}});

}  // namespace
}  // namespace pyreplay::cli
