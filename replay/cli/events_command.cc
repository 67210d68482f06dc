// `pyreplay events`: list a trace's indexed thread, process and socket events.
#include <memory>
#include <optional>

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

int RunEvents(const EventsOptions& options) {
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
  if (!deep.ok() && !absl::IsNotFound(deep.status())) PrintNote(std::string(deep.status().message()));
  if (deep.ok()) ApplyDeepAddresses(*deep, &*index);
  std::vector<size_t> selected = FilterEvents(*index, filter);
  if (options.json) {
    nlohmann::json events = EventsJson(*index, selected);
    if (deep.ok()) AddDeepToEventsJson(*index, selected, *deep, &events);
    printf("%s\n", events.dump(2).c_str());
  } else if (deep.ok()) {
    fputs(FormatEventsTableDeep(*index, selected, *deep).c_str(), stdout);
  } else {
    fputs(FormatEventsTable(*index, selected).c_str(), stdout);
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
  app->add_option("--thread", options->tid, "Only events of this thread (tid)");
  app->add_option("--from", options->from, "Only events numbered N or later");
  app->add_option("--to", options->to, "Only events numbered M or earlier");
  app->add_flag("--json", options->json, "Print JSON");
  return [options] { return RunEvents(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
