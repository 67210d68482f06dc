// `pyreplay events`: list a trace's indexed thread, process and socket events.
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "replay/cli/command.h"
#include "replay/deep_index/deep_report.h"
#include "replay/index/index_report.h"

namespace pyreplay::cli {
namespace {

struct EventsOptions {
  std::string trace;
  std::string kinds;
  std::optional<int32_t> tid;
  uint64_t from = 0;
  uint64_t to = UINT64_MAX;
  bool json = false;
};

// NoteUnknownThread says so when --thread names a tid the trace never had: an empty table alone
// would look like "that thread did nothing".
void NoteUnknownThread(const EventIndex& index, int32_t tid, const std::string& trace) {
  std::set<int32_t> tids;
  for (const IndexEntry& entry : index.entries) {
    tids.insert(entry.tid);
    if (entry.parent_tid != 0) tids.insert(entry.parent_tid);
  }
  if (tids.count(tid)) return;
  PrintNote(absl::StrCat("no thread ", tid, " in ", trace, "; its threads are ",
                         absl::StrJoin(tids, ", "), " (`pyreplay events ", trace,
                         " --kind thread` shows where each starts)"));
}

int RunEvents(const EventsOptions& options) {
  if (options.from > options.to) {
    return ReportError(absl::InvalidArgumentError(absl::StrCat(
        "--from ", options.from, " is after --to ", options.to,
        ": the range is inclusive and runs forward; swap them")));
  }
  EventFilter filter;
  absl::StatusOr<std::vector<EventKind>> kinds = ParseKinds(options.kinds);
  if (!kinds.ok()) return ReportError(kinds.status());
  filter.kinds = *kinds;
  filter.tid = options.tid;
  filter.from = options.from;
  filter.to = options.to;
  absl::StatusOr<EventIndex> index = LoadOrBuildIndex(options.trace);
  if (!index.ok()) return ReportError(index.status());
  // With a deep index (`pyreplay index --deep`): Python locations, thread names, and the
  // addresses only the calls' arguments hold.
  absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(options.trace, *index);
  // Damaged (DataLoss) is an error: the table without the damaged part would look complete.
  if (absl::IsDataLoss(deep.status())) return ReportError(deep.status());
  if (!deep.ok() && !absl::IsNotFound(deep.status())) PrintNote(std::string(deep.status().message()));
  if (deep.ok()) ApplyDeepAddresses(*deep, &*index);
  if (options.tid) NoteUnknownThread(*index, *options.tid, options.trace);
  std::vector<size_t> selected = FilterEvents(*index, filter);
  if (options.json) {
    nlohmann::json events = EventsJson(*index, selected);
    if (deep.ok()) AddDeepToEventsJson(*index, selected, *deep, &events);
    PrintJson(events);
  } else if (deep.ok()) {
    PrintText(FormatEventsTableDeep(*index, selected, *deep));
  } else {
    PrintText(FormatEventsTable(*index, selected));
  }
  return kExitOk;
}

RegisterCommand kEvents({"events", "List a trace's thread, process and socket events", 31,
                         [](CLI::App* app) {
  auto options = std::make_shared<EventsOptions>();
  app->footer(
      "Kinds: thread, thread-exit, fork, exec, exit, socket, bind, listen, connect, accept.\n"
      "EVENT is rr's event number (what `when` prints in gdb); `pyreplay replay TRACE --goto N`.\n"
      "  pyreplay events traces/sockets-1\n"
      "  pyreplay events traces/sockets-1 --kind connect,accept\n"
      "  pyreplay events traces/sockets-1 --thread 4242 --from 1000 --to 2000 --json");
  app->add_option("TRACE", options->trace, "The trace folder")->required();
  app->add_option("--kind", options->kinds, "Only these kinds (comma-separated)");
  app->add_option("--thread", options->tid, "Only events of this thread (tid)")->type_name("TID");
  // Checked before conversion: a uint64 would otherwise take "-5" as 2^64 - 5.
  CLI::Validator event_number(
      [](std::string& value) -> std::string {
        if (!value.empty() && std::all_of(value.begin(), value.end(), ::isdigit)) return "";
        return "takes an event number (0 or more), not " + value;
      },
      "");
  app->add_option("--from", options->from, "Only events numbered N or later")
      ->check(event_number)
      ->type_name("N");
  app->add_option("--to", options->to, "Only events numbered M or earlier")
      ->check(event_number)
      ->type_name("M");
  app->add_flag("--json", options->json, "Print JSON");
  return [options] { return RunEvents(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
