// `pyreplay marks TRACE [list|add|rm|recover]`: the marks saved with a trace, outside gdb. The
// same store as gdb's `pyr mark`, `pyr marks` and `pyr unmark`.
//
// Each operation is one CLI11 subcommand of `marks`, set up by one function below and listed in
// kOperations; another operation (merge, export, import) is one more function and one more line
// there.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "replay/cli/command.h"
#include "replay/cli/marks_exchange_command.h"
#include "replay/common/status_macros.h"
#include "replay/common/text_escape.h"
#include "replay/deep_index/deep_index.h"
#include "replay/marks/mark_json.h"
#include "replay/marks/mark_store.h"
#include "replay/position/event_sites.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay::cli {
namespace {

// MarksContext is what every operation shares: the trace (the parent's positional) and --json.
struct MarksContext {
  std::string trace;
  bool json = false;
};
using Context = std::shared_ptr<MarksContext>;

// An operation's setup adds its options to its sub-app and returns what runs it.
using MarksRun = std::function<absl::Status()>;
struct MarksOperation {
  const char* name;
  const char* summary;
  const char* usage;  // the whole command line, since CLI11 shows only the subcommand's part
  std::function<MarksRun(CLI::App*, Context)> setup;
};

// Marks travel with a trace from someone else: every field is escaped (EscapeText), on a
// terminal and off it.
void PrintMark(const Mark& m) {
  printf("%-20s %s  by %s, %s\n", EscapeText(m.name).c_str(), FormatPosition(m.position).c_str(),
         EscapeText(m.author).c_str(),
         absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixNanos(m.created_unix_nanos),
                          absl::LocalTimeZone()).c_str());
  if (!m.python_location.empty()) printf("%-20s at %s\n", "", EscapeText(m.python_location).c_str());
  if (!m.note.empty()) printf("%-20s %s\n", "", EscapeText(m.note).c_str());
}

absl::Status ListMarks(const MarksContext& context) {
  ASSIGN_OR_RETURN(std::vector<Mark> marks, MarkStore(context.trace).List());
  if (context.json) {
    PrintJson(MarksToJson(marks));
  } else if (marks.empty()) {
    printf("No marks in %s.\n", EscapeText(context.trace).c_str());
  } else {
    for (const Mark& m : marks) PrintMark(m);
  }
  return absl::OkStatus();
}

MarksRun SetupList(CLI::App* app, Context context) {
  app->add_flag("--json", context->json, "Print JSON");
  return [context] { return ListMarks(*context); };
}

struct AddRequest {
  std::string name;
  std::string note;
  std::string author;
  uint64_t event = 0;
};

absl::Status AddMark(const MarksContext& context, const AddRequest& request) {
  if (request.event == 0) {
    return absl::InvalidArgumentError(
        "`marks add` needs a position: --event N (or mark an exact place in gdb with `pyr mark`)");
  }
  RETURN_IF_ERROR(CheckMarkName(request.name));
  Mark mark;
  mark.name = request.name;
  mark.note = request.note;
  mark.author = request.author;
  ASSIGN_OR_RETURN(mark.position, EventStartPosition(context.trace, request.event));
  // What `pyr mark` would record there, when a deep index has read that event's stack.
  mark.python_location = MarkPythonLocation(context.trace, mark.position.event, mark.position.tid);
  ASSIGN_OR_RETURN(Mark saved, MarkStore(context.trace).Add(mark));
  if (context.json) {
    PrintJson(MarkToJson(saved));
  } else {
    printf("Marked %s at %s (id %s).\n", EscapeText(saved.name).c_str(), FormatPosition(saved.position).c_str(),
           EscapeText(saved.id.substr(0, 12)).c_str());
  }
  return absl::OkStatus();
}

MarksRun SetupAdd(CLI::App* app, Context context) {
  auto request = std::make_shared<AddRequest>();
  app->add_option("NAME", request->name, "The mark's name")->required();
  // Checked before conversion: a uint64 would otherwise take "-1" as 18446744073709551615.
  app->add_option("--event", request->event, "The event the mark starts at")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit)) return "";
            return "takes an event number (1 or more), not " + value;
          },
          ""))
      ->type_name("N");
  app->add_option("--note", request->note, "Free text kept with the mark");
  app->add_option("--author", request->author, "The author (default $PYREPLAY_AUTHOR, $USER)");
  app->add_flag("--json", context->json, "Print the saved mark as JSON");
  return [context, request] { return AddMark(*context, *request); };
}

absl::Status RemoveMark(const MarksContext& context, const std::string& name) {
  ASSIGN_OR_RETURN(Mark removed, MarkStore(context.trace).Remove(name));
  if (context.json) {
    PrintJson(MarkToJson(removed));
  } else {
    printf("Removed mark %s (%s).\n", EscapeText(removed.name).c_str(),
           FormatPosition(removed.position).c_str());
  }
  return absl::OkStatus();
}

MarksRun SetupRemove(CLI::App* app, Context context) {
  auto name = std::make_shared<std::string>();
  app->add_option("NAME", *name, "The mark's name, or 6+ leading digits of its id")->required();
  app->add_flag("--json", context->json, "Print the removed mark as JSON");
  return [context, name] { return RemoveMark(*context, *name); };
}

absl::Status RecoverMarks(const MarksContext& context) {
  bool restored = false;
  ASSIGN_OR_RETURN(std::string aside, MarkStore(context.trace).Recover(&restored));
  if (aside.empty()) {
    printf("The marks of %s are fine; nothing to recover.\n", EscapeText(context.trace).c_str());
  } else if (restored) {
    printf("Moved the corrupt marks file to %s and restored the last good state (marks.bak).\n",
           EscapeText(aside).c_str());
  } else {
    printf("Moved the corrupt marks file to %s; nothing was restored (no good marks.bak), so "
           "the trace now has no marks.\n", EscapeText(aside).c_str());
  }
  return absl::OkStatus();
}

MarksRun SetupRecover(CLI::App*, Context context) {
  return [context] { return RecoverMarks(*context); };
}

// kOperations: one line per `pyreplay marks TRACE <operation>`.
const MarksOperation kOperations[] = {
    {"list", "List the marks (the default)", "pyreplay marks TRACE [list] [--json]", SetupList},
    {"add", "Add a mark at the start of an event",
     "pyreplay marks TRACE add NAME --event N [--note TEXT] [--author A] [--json]", SetupAdd},
    {"rm", "Remove a mark", "pyreplay marks TRACE rm NAME [--json]", SetupRemove},
    {"recover", "Set a corrupt marks file aside and restore the last good state",
     "pyreplay marks TRACE recover", SetupRecover},
};

RegisterCommand kMarks({"marks", "List, add, remove, merge, export or import the marks saved with a trace", 35,
                        [](CLI::App* app) {
  auto context = std::make_shared<MarksContext>();
  app->footer(
      "Marks live in TRACE/pyreplay/marks and travel with the trace. In gdb: pyr mark, pyr marks,\n"
      "pyr unmark, pyr goto @NAME. Writes are atomic and locked, so gdb sessions and this\n"
      "command can write at once. The author is --author, else $PYREPLAY_AUTHOR, else $USER.\n"
      "  pyreplay marks traces/sockets-1\n"
      "  pyreplay marks traces/sockets-1 add first-connect --event 1374 --note \"main connects\"\n"
      "  pyreplay marks traces/sockets-1 rm first-connect\n"
      "  pyreplay marks traces/sockets-1 list --json\n"
      "  pyreplay marks traces/sockets-1 recover    # after a corrupt marks file was reported");
  app->add_option("TRACE", context->trace, "The trace folder")->required();
  app->add_flag("--json", context->json, "Print JSON");
  app->require_subcommand(0, 1);
  auto runs = std::make_shared<std::vector<std::pair<CLI::App*, MarksRun>>>();
  for (const MarksOperation& op : kOperations) {
    CLI::App* sub = app->add_subcommand(op.name, op.summary);
    sub->formatter(MarksOperationFormatter());
    sub->footer(absl::StrCat("Usage in full: ", op.usage));
    runs->emplace_back(sub, op.setup(sub, context));
  }
  // merge, export, import (replay/cli/marks_exchange_command.h).
  CommandRun exchange =
      AddMarksExchangeSubcommands(*app, std::shared_ptr<const std::string>(context, &context->trace));
  return [context, runs, exchange] {
    absl::Status status = CheckTraceDir(context->trace);
    if (!status.ok()) return ReportError(status);
    if (int code = exchange(); code >= 0) return code;
    for (auto& [sub, run] : *runs) {
      if (sub->parsed()) return ReportError(run());
    }
    return ReportError(ListMarks(*context));
  };
}});

}  // namespace
}  // namespace pyreplay::cli
