// `pyreplay index`: build or refresh a trace's event index (`<trace>/pyreplay/index`).
#include <memory>

#include "absl/strings/str_format.h"
#include "replay/cli/command.h"
#include "replay/common/terminal.h"
#include "replay/deep_index/deep_report.h"
#include "replay/index/event_index.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay::cli {
namespace {

struct IndexOptions {
  std::string trace;
  bool force = false;
  bool decode_only = false;
  bool deep = false;
};

int RunIndex(const IndexOptions& options) {
  if (options.decode_only) {
    absl::StatusOr<uint64_t> frames = DecodeEvents(options.trace);
    if (!frames.ok()) return ReportError(frames.status());
    printf("%llu frames decoded\n", static_cast<unsigned long long>(*frames));
    return kExitOk;
  }
  std::unique_ptr<ProgressBar> bar;
  IndexProgress progress = [&bar](uint64_t done, uint64_t total) {
    if (!bar) bar = std::make_unique<ProgressBar>("indexing", total);
    bar->Update(done);
  };
  absl::StatusOr<EventIndex> index;
  bool rebuilt = true, saved = true;
  if (options.force) {
    index = BuildIndex(options.trace, progress);
    if (index.ok()) {
      if (absl::Status written = WriteIndex(options.trace, *index); !written.ok()) {
        bar.reset();
        return ReportError(written);
      }
    }
  } else {
    index = LoadOrBuildIndex(options.trace, progress, &rebuilt, &saved);
  }
  bar.reset();
  if (!index.ok()) return ReportError(index.status());
  if (!saved) PrintNote(kIndexNotSavedNote);
  size_t sockets = 0;
  for (const IndexEntry& e : index->entries) sockets += e.syscall >= 0;
  printf("%s %s: %llu events, %zu indexed (%zu socket calls), %zu threads, %zu processes\n",
         rebuilt ? "Indexed" : "Index is fresh for", options.trace.c_str(),
         static_cast<unsigned long long>(index->event_count), index->entries.size(), sockets,
         index->threads.size(), index->processes.size());
  if (options.deep) return ReportError(RunDeepIndex(options.trace));
  return kExitOk;
}

RegisterCommand kIndex({"index", "Build or refresh a trace's event index", 30, [](CLI::App* app) {
  auto options = std::make_shared<IndexOptions>();
  app->footer(
      "Reads rr's tasks and events streams directly (no replay) and saves the index of threads,\n"
      "processes and socket events in TRACE/pyreplay/index. `events` and `info` refresh a stale\n"
      "index on their own; `record` builds it at the end of a recording.\n"
      "  pyreplay index traces/sockets-1\n"
      "  pyreplay index traces/sockets-1 --force\n"
      "  pyreplay index --deep traces/sockets-1    # Python locations: one replay pass");
  app->add_option("TRACE", options->trace, "The trace folder")->required();
  app->add_flag("--force", options->force, "Rebuild even when the saved index is fresh");
  app->add_flag("--decode-only", options->decode_only,
                "Only decompress and decode every frame (benchmark floor); writes nothing")
      ->group("");
  app->add_flag("--deep", options->deep,
                "Also replay once to store the Python stack at every indexed event and the "
                "threads' Python names (TRACE/pyreplay/deep; needs gdb and python3.11-dbg)");
  return [options] { return RunIndex(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
