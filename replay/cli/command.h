// command.h: how a `pyreplay` subcommand plugs into the CLI.
//
// One subcommand per file (rr's style). Each file registers a CommandSpec; its Setup adds the
// options to a CLI11 sub-app and returns the function that runs the command once parsed. That
// function stays small: turn options into a request, call the library, print, return an exit code.
//
//   static RegisterCommand kInfo({"info", "Summarise a trace", 40, [](CLI::App* app) {
//     auto trace = std::make_shared<std::string>();
//     app->add_option("TRACE", *trace)->required();
//     return [trace] { return ReportError(ShowInfo(*trace)); };
//   }});
#ifndef PYREPLAY_REPLAY_CLI_COMMAND_H_
#define PYREPLAY_REPLAY_CLI_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace pyreplay::cli {

using CommandRun = std::function<int()>;

struct CommandSpec {
  std::string name;
  std::string summary;
  int order;  // position in `pyreplay --help`
  std::function<CommandRun(CLI::App*)> setup;
};

// AllCommands is every registered subcommand, in registration order (sorted by main).
std::vector<CommandSpec>& AllCommands();

struct RegisterCommand {
  explicit RegisterCommand(CommandSpec spec) { AllCommands().push_back(std::move(spec)); }
};

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// ReportError prints "pyreplay: error: MESSAGE" (red on a terminal) for a non-OK status and
// returns the exit code: kExitUsage for InvalidArgument, kExitError otherwise, kExitOk for OK.
int ReportError(const absl::Status& status);

// PrintNote prints "pyreplay: MESSAGE" on stderr, dimmed on a terminal.
void PrintNote(const std::string& message);

}  // namespace pyreplay::cli

#endif  // PYREPLAY_REPLAY_CLI_COMMAND_H_
