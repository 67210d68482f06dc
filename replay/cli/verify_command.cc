// `pyreplay verify`: check that every file of a trace is what was recorded.
#include <memory>

#include "replay/cli/command.h"
#include "replay/verify/trace_verify.h"

namespace pyreplay::cli {
namespace {

// kExitUnverified: nothing is wrong that pyreplay can see, but nothing says the files are the
// recorded ones either (no digests). Scripts must not read it as "healthy".
constexpr int kExitUnverified = 3;

RegisterCommand kVerify({"verify", "Check that a trace's files are what was recorded", 34,
                         [](CLI::App* app) {
  auto trace = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app->footer(
      "Hashes every file against pyreplay/digests (written when `pyreplay record` ends) and\n"
      "checks the checksum of every sidecar (index, deep index, marks, meta.json).\n"
      "Exit status: 0 verified, 1 damaged (the files are listed), 3 unverified (a trace\n"
      "recorded by plain rr has no digests).\n"
      "  pyreplay verify traces/sockets-1\n"
      "  pyreplay verify traces/sockets-1 --json");
  app->add_option("TRACE", *trace, "The trace folder")->required();
  app->add_flag("--json", *json, "Print JSON");
  return [trace, json] {
    absl::StatusOr<VerifyReport> report = VerifyTrace(*trace);
    if (!report.ok()) return ReportError(report.status());
    if (*json) {
      PrintJson(VerifyReportJson(*report));
    } else {
      PrintText(FormatVerifyReport(*report));
    }
    switch (report->state) {
      case VerifyState::kVerified: return kExitOk;
      case VerifyState::kUnverified: return kExitUnverified;
      case VerifyState::kDamaged: return kExitError;
    }
    return kExitError;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
