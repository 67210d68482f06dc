// `pyreplay diff PASSING FAILING`: where a failing run first went differently from a passing one.
#include <memory>

#include "replay/cli/command.h"
#include "replay/diff/diff_report.h"
#include "replay/diff/trace_diff.h"

namespace pyreplay::cli {
namespace {

struct DiffOptions {
  std::string passing;
  std::string failing;
  bool json = false;
  int more = 8;
};

int RunDiff(const DiffOptions& options) {
  absl::StatusOr<DiffSide> passing = LoadDiffSide(options.passing);
  if (!passing.ok()) return ReportError(passing.status());
  absl::StatusOr<DiffSide> failing = LoadDiffSide(options.failing);
  if (!failing.ok()) return ReportError(failing.status());
  absl::StatusOr<TraceDiff> diff = DiffTraces(*passing, *failing);
  if (!diff.ok()) return ReportError(diff.status());
  if (options.json) {
    PrintJson(DiffJson(*diff));
  } else {
    fputs(FormatDiffText(*diff, Style(stdout), options.more).c_str(), stdout);  // escapes its cells
  }
  return kExitOk;
}

RegisterCommand kDiff({"diff", "Show where a failing run first diverged from a passing run", 16,
                       [](CLI::App* app) {
  auto options = std::make_shared<DiffOptions>();
  app->footer(
      "Compares two traces of the same program (e.g. the pair `pyreplay hunt` keeps) from their\n"
      "event indexes: each thread's own steps (thread starts and exits, forks, sockets, connects,\n"
      "accepts) and the order in which each process's threads took them. Threads are matched by\n"
      "creator and creation order (main, main.2 = the second task main started), and by Python\n"
      "name when both traces have a deep index (`pyreplay index --deep`), which also adds Python\n"
      "locations. Prints the first divergence and the command that replays the failing run there.\n"
      "  pyreplay diff traces/race-1 traces/race-4\n"
      "  pyreplay diff traces/race-1 traces/race-4 --json");
  app->add_option("PASSING", options->passing, "The passing run's trace folder")->required();
  app->add_option("FAILING", options->failing, "The failing run's trace folder")->required();
  app->add_flag("--json", options->json, "Print JSON (every divergence) instead of text");
  app->add_option("--more", options->more, "Later divergences to list (default 8)")
      ->check(CLI::NonNegativeNumber);
  return [options] { return RunDiff(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
