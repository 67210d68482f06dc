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
#include "nlohmann/json.hpp"

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

// PrintText writes `text` to stdout with every control character and invalid UTF-8 byte escaped
// (EscapeText, newlines and tabs kept): tables and summaries carry text a trace holds, and no
// byte of a trace may reach the terminal as a control sequence. ReportError and PrintNote escape
// their messages the same way.
void PrintText(const std::string& text);

// PrintJson writes DumpJson(j) and a newline to stdout: every string escaped, never a throw.
void PrintJson(const nlohmann::json& j);

}  // namespace pyreplay::cli

#endif  // PYREPLAY_REPLAY_CLI_COMMAND_H_
