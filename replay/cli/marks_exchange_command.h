// marks_exchange_command.h: `pyreplay marks TRACE merge|export|import`, the marks that travel
// between colleagues (replay/pack/marks_exchange.h). They hang under `marks`:
//
//   CommandRun exchange = AddMarksExchangeSubcommands(*marks_app, trace);
//   return [=] { int code = exchange(); return code >= 0 ? code : RunTheRest(); };
#ifndef PYREPLAY_REPLAY_CLI_MARKS_EXCHANGE_COMMAND_H_
#define PYREPLAY_REPLAY_CLI_MARKS_EXCHANGE_COMMAND_H_

#include <memory>
#include <string>

#include "replay/cli/command.h"

namespace pyreplay::cli {

// MarksOperationFormatter is the formatter for each `marks` operation's sub-app: its usage line
// names the parent's TRACE ("Usage: pyreplay marks TRACE merge [OPTIONS] SOURCE").
//   sub->formatter(MarksOperationFormatter());
std::shared_ptr<CLI::FormatterBase> MarksOperationFormatter();

// AddMarksExchangeSubcommands adds `merge`, `export` and `import` to the `marks` app; `trace` is
// the parent's TRACE (filled in by parsing). The returned function runs the one that was parsed
// and returns its exit code, or -1 when none was.
CommandRun AddMarksExchangeSubcommands(CLI::App& marks, std::shared_ptr<const std::string> trace);

}  // namespace pyreplay::cli

#endif  // PYREPLAY_REPLAY_CLI_MARKS_EXCHANGE_COMMAND_H_
