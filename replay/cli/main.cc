// main.cc: the `pyreplay` command line. Subcommands register themselves (see command.h).
#include <algorithm>
#include <cctype>
#include <cstring>

#include "replay/cli/command.h"
#include "replay/common/terminal.h"
#include "replay/common/text_escape.h"

namespace pyreplay::cli {

std::vector<CommandSpec>& AllCommands() {
  static std::vector<CommandSpec> commands;
  return commands;
}

int ReportError(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  Style style(stderr);
  fprintf(stderr, "pyreplay: %s %s\n", style.Error("error:").c_str(),
          EscapeText(status.message(), /*keep_newlines=*/true).c_str());
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitError;
}

void PrintNote(const std::string& message) {
  Style style(stderr);
  fprintf(stderr, "%s\n", style.Dim("pyreplay: " + EscapeText(message, true)).c_str());
}

void PrintText(const std::string& text) { fputs(EscapeText(text, true).c_str(), stdout); }

void PrintJson(const nlohmann::json& j) { printf("%s\n", DumpJson(j).c_str()); }

}  // namespace pyreplay::cli

namespace {

// gdb spells its option `-ex`; CLI11 only knows one-letter short options, so `-ex` and
// `-iex` become `--ex` / `--iex` before parsing (never after a `--`).
std::vector<std::string> NormaliseGdbStyleOptions(int argc, char** argv) {
  std::vector<std::string> args;
  bool after_dashes = false;
  for (int i = argc - 1; i >= 1; --i) args.push_back(argv[i]);  // CLI11 wants them reversed
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (*it == "--") after_dashes = true;
    if (!after_dashes && (*it == "-ex" || *it == "-iex")) *it = "-" + *it;
  }
  return args;
}

// ReportParseError turns CLI11's multi-line complaint into our one line, naming the subcommand
// whose --help has the answer, and exits with the usage status.
int ReportParseError(const CLI::App& app,
                     const std::vector<std::pair<CLI::App*, pyreplay::cli::CommandRun>>& runs,
                     const CLI::ParseError& error) {
  std::string help = std::string(app.get_name()) + " --help";
  for (const auto& [sub, run] : runs) {
    if (sub->parsed()) help = std::string(app.get_name()) + " " + sub->get_name() + " --help";
  }
  std::string message = error.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == '.')) message.pop_back();
  if (!message.empty()) message[0] = static_cast<char>(std::tolower(message[0]));
  pyreplay::Style style(stderr);
  fprintf(stderr, "pyreplay: %s %s; see `%s`\n", style.Error("error:").c_str(), message.c_str(),
          help.c_str());
  return pyreplay::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pyreplay::cli;
  CLI::App app{
      "pyreplay: record and replay multithreaded, networked CPython programs with rr.\n"
      "Start with `pyreplay doctor`, then `pyreplay record --session threads`."};
  app.name("pyreplay");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pyreplay ") + PYREPLAY_VERSION);

  std::vector<CommandSpec>& commands = AllCommands();
  std::sort(commands.begin(), commands.end(),
            [](const CommandSpec& a, const CommandSpec& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, CommandRun>> runs;
  for (CommandSpec& spec : commands) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.summary);
    runs.emplace_back(sub, spec.setup(sub));
  }

  std::vector<std::string> args = NormaliseGdbStyleOptions(argc, argv);
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ReportParseError(app, runs, e);
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) return run();
  }
  return kExitUsage;
}
