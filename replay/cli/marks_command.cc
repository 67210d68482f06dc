// `pyreplay marks TRACE [list|add|rm|recover]`: the marks saved with a trace, outside gdb. The
// same store as gdb's `pyr mark`, `pyr marks` and `pyr unmark`.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "replay/cli/command.h"
#include "replay/cli/marks_exchange_command.h"
#include "replay/common/status_macros.h"
#include "replay/marks/mark_json.h"
#include "replay/marks/mark_store.h"
#include "replay/position/event_sites.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay::cli {
namespace {

struct MarksRequest {
  std::string trace;
  std::string action = "list";
  std::string name;
  std::string note;
  std::string author;
  uint64_t event = 0;
  bool json = false;
};

void PrintMark(const Mark& m) {
  printf("%-20s %s  by %s, %s\n", m.name.c_str(), FormatPosition(m.position).c_str(),
         m.author.c_str(),
         absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixNanos(m.created_unix_nanos),
                          absl::LocalTimeZone()).c_str());
  if (!m.python_location.empty()) printf("%-20s at %s\n", "", m.python_location.c_str());
  if (!m.note.empty()) printf("%-20s %s\n", "", m.note.c_str());
}

absl::Status RunMarks(const MarksRequest& request) {
  RETURN_IF_ERROR(CheckTraceDir(request.trace));
  MarkStore store(request.trace);
  if (request.action == "list") {
    ASSIGN_OR_RETURN(std::vector<Mark> marks, store.List());
    if (request.json) {
      printf("%s\n", MarksToJson(marks).dump(2).c_str());
    } else if (marks.empty()) {
      printf("No marks in %s.\n", request.trace.c_str());
    } else {
      for (const Mark& m : marks) PrintMark(m);
    }
    return absl::OkStatus();
  }
  if (request.action == "recover") {
    ASSIGN_OR_RETURN(std::string aside, store.Recover());
    if (aside.empty()) {
      printf("The marks of %s are fine; nothing to recover.\n", request.trace.c_str());
    } else {
      printf("Moved the corrupt marks file to %s and restored the last good state.\n",
             aside.c_str());
    }
    return absl::OkStatus();
  }
  if (request.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("`marks ", request.action, "` needs a NAME"));
  }
  if (request.action == "rm") {
    ASSIGN_OR_RETURN(Mark removed, store.Remove(request.name));
    if (request.json) {
      printf("%s\n", MarkToJson(removed).dump(2).c_str());
    } else {
      printf("Removed mark %s (%s).\n", removed.name.c_str(), FormatPosition(removed.position).c_str());
    }
    return absl::OkStatus();
  }
  // add
  if (request.event == 0) {
    return absl::InvalidArgumentError(
        "`marks add` needs a position: --event N (or mark an exact place in gdb with `pyr mark`)");
  }
  RETURN_IF_ERROR(CheckMarkName(request.name));
  Mark mark;
  mark.name = request.name;
  mark.note = request.note;
  mark.author = request.author;
  ASSIGN_OR_RETURN(mark.position, EventStartPosition(request.trace, request.event));
  ASSIGN_OR_RETURN(Mark saved, store.Add(mark));
  if (request.json) {
    printf("%s\n", MarkToJson(saved).dump(2).c_str());
  } else {
    printf("Marked %s at %s (id %s).\n", saved.name.c_str(), FormatPosition(saved.position).c_str(),
           saved.id.substr(0, 12).c_str());
  }
  return absl::OkStatus();
}

RegisterCommand kMarks({"marks", "List, add or remove the marks saved with a trace", 35,
                        [](CLI::App* app) {
  auto request = std::make_shared<MarksRequest>();
  app->footer(
      "Marks live in TRACE/pyreplay/marks and travel with the trace. In gdb: pyr mark, pyr marks,\n"
      "pyr unmark, pyr goto @NAME. Writes are atomic and locked, so gdb sessions and this\n"
      "command can write at once. The author is --author, else $PYREPLAY_AUTHOR, else $USER.\n"
      "  pyreplay marks traces/sockets-1\n"
      "  pyreplay marks traces/sockets-1 add first-connect --event 1374 --note \"main connects\"\n"
      "  pyreplay marks traces/sockets-1 rm first-connect\n"
      "  pyreplay marks traces/sockets-1 list --json\n"
      "  pyreplay marks traces/sockets-1 recover    # after a corrupt marks file was reported");
  app->add_option("TRACE", request->trace, "The trace folder")->required();
  app->add_option("ACTION", request->action, "list (default), add, rm or recover")
      ->check(CLI::IsMember({"list", "add", "rm", "recover"}));
  app->add_option("NAME", request->name, "The mark's name (add, rm)");
  app->add_option("--event", request->event, "add: the event the mark starts at");
  app->add_option("--note", request->note, "add: free text kept with the mark");
  app->add_option("--author", request->author, "add: the author (default $PYREPLAY_AUTHOR, $USER)");
  app->add_flag("--json", request->json, "Print JSON");
  CommandRun exchange = AddMarksExchangeSubcommands(*app, {request, &request->trace});
  return [request, exchange] { int code = exchange(); return code >= 0 ? code : ReportError(RunMarks(*request)); };
}});

}  // namespace
}  // namespace pyreplay::cli
