// `pyreplay record`: record a program, or one of the chapter's sessions, with rr.
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "replay/cli/command.h"
#include "replay/cli/record_summary.h"
#include "replay/common/debian_python.h"
#include "replay/common/install_layout.h"
#include "replay/common/status_macros.h"
#include "replay/record/recorder.h"

namespace pyreplay::cli {
namespace {

struct RecordOptions {
  std::vector<std::string> command;
  std::string session;
  std::string python;  // the interpreter of a --session; "" means DebianPython()
  std::string output;
  std::string name;
  std::string pmu = "auto";
  bool chaos = false;
  std::string ground_truth;
};

absl::StatusOr<RecordRequest> MakeRequest(const RecordOptions& options) {
  RecordRequest request;
  request.output_dir = options.output;
  request.name = options.name;
  request.chaos = options.chaos;
  ASSIGN_OR_RETURN(request.pmu, ParsePmuChoice(options.pmu));
  if (!options.session.empty()) {
    if (!options.command.empty()) {
      return absl::InvalidArgumentError("give either --session or a program, not both");
    }
    ASSIGN_OR_RETURN(InstallLayout layout, FindInstallLayout());
    std::string script = layout.sessions_dir + "/" + options.session + ".py";
    if (!std::filesystem::exists(script)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no session '", options.session, "'; the sessions are in ", layout.sessions_dir));
    }
    request.session = options.session;
    request.command = {options.python.empty() ? DebianPython() : options.python, script};
  } else {
    if (!options.python.empty()) {
      return absl::InvalidArgumentError("--python goes with --session; a program names its own");
    }
    request.command = options.command;
  }
  if (request.command.empty()) {
    return absl::InvalidArgumentError(
        "nothing to record: try `pyreplay record --session threads` or "
        "`pyreplay record -- /usr/bin/python3.11 app.py`");
  }
  if (!options.ground_truth.empty()) {
    request.program_env.emplace_back("PYREPLAY_GROUND_TRUTH", options.ground_truth);
  }
  return request;
}

int RunRecord(const RecordOptions& options) {
  absl::StatusOr<RecordRequest> request = MakeRequest(options);
  if (!request.ok()) return ReportError(request.status());
  absl::StatusOr<RecordResult> result = Record(*request);
  if (!result.ok()) return ReportError(result.status());
  PrintRecordSummary(*result);
  // The recorded program's own status passes through, so scripts can tell a failing run.
  return result->program_status.ShellCode();
}

RegisterCommand kRecord({"record", "Record a program, or a chapter session, with rr", 10,
                         [](CLI::App* app) {
  auto options = std::make_shared<RecordOptions>();
  app->footer(
      "Record a program with rr into traces/<name>-<n>/.\n"
      "  pyreplay record --session threads\n"
      "  pyreplay record -- /usr/bin/python3.11 app.py ARGS...\n"
      "The program's exit status is passed through.");
  app->add_option("--session", options->session, "Record a chapter session: threads, sockets");
  app->add_option("--python", options->python,
                  "Interpreter to run a --session with (default: this release's python3.X)");
  app->add_option("-o,--output", options->output, "Trace folder to create (default: traces/<name>-<n>)");
  app->add_option("--name", options->name, "Name for the trace folder (default: the script's name)");
  app->add_option("--pmu", options->pmu,
                  "auto: use hardware counters when present; on: require them; off: no-PMU mode")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app->add_flag("--chaos", options->chaos, "Use rr's chaos scheduling");
  app->add_option("--ground-truth", options->ground_truth,
                  "Sessions write their own thread ids and addresses to this JSON file");
  app->add_option("command", options->command, "The program and its arguments (after --)");
  return [options] { return RunRecord(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
