// `pyreplay unpack NAME.pyrtrace [-o DIR]`: open a pack from a colleague, safely
// (replay/pack/trace_unpack.h).
#include <cstdio>
#include <memory>
#include <string>

#include "replay/cli/command.h"
#include "replay/common/status_macros.h"
#include "replay/pack/rr_compat.h"
#include "replay/pack/trace_unpack.h"
#include "replay/record/recording_meta.h"

namespace pyreplay::cli {
namespace {

absl::Status RunUnpack(const UnpackOptions& options) {
  ASSIGN_OR_RETURN(UnpackSummary summary, UnpackTrace(options));
  int debug = 0;
  for (const PackFile& f : summary.manifest.files) debug += f.kind == PackFileKind::kDebug;
  printf("Unpacked %s into %s%s: %zu files, %.1f MiB, every SHA-256 verified (%.0f MB/s)%s.\n",
         options.pack.c_str(), summary.target.c_str(), summary.replaced ? " (replaced)" : "",
         summary.manifest.files.size(), summary.bytes / 1048576.0,
         summary.seconds > 0 ? summary.bytes / 1e6 / summary.seconds : 0.0,
         debug > 0 ? ", with bundled debug symbols" : "");
  // Before anyone tries to replay: does this machine's rr fit the one that recorded it?
  std::string recorded_rr = summary.manifest.rr_version;
  if (recorded_rr.empty()) {
    if (absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(summary.target); meta.ok()) {
      recorded_rr = meta->rr_version;
    }
  }
  int format = summary.manifest.rr_trace_format != 0 ? summary.manifest.rr_trace_format
                                                     : ReadTraceFormat(summary.target);
  std::string note = RrCompatibilityNote(recorded_rr, format, InstalledRr());
  if (!note.empty()) printf("%s\n", note.c_str());
  printf("Next: pyreplay replay %s\n", summary.target.c_str());
  return absl::OkStatus();
}

RegisterCommand kUnpack({"unpack", "Unpack a .pyrtrace file, checking every file first", 41,
                         [](CLI::App* app) {
  auto options = std::make_shared<UnpackOptions>();
  app->footer(
      "Extracts into a temporary folder beside the target, checks every file against the\n"
      "manifest's SHA-256, and only then renames it into place. Refuses absolute paths, `..`,\n"
      "links, devices, FIFOs, unlisted files and packs over the size limits. Never runs anything\n"
      "from the pack. `pyreplay replay` then uses the bundled debug symbols.\n"
      "  pyreplay unpack bug.pyrtrace                 # into ./bug\n"
      "  pyreplay unpack bug.pyrtrace -o traces/bug\n"
      "  pyreplay unpack bug.pyrtrace -o traces/bug --force   # replace that trace");
  app->add_option("PACK", options->pack, "The .pyrtrace file")->required();
  app->add_option("-o,--output", options->target, "The trace folder to create (default: PACK's name)");
  app->add_flag("--force", options->force, "Replace an existing trace folder");
  app->add_option("--max-bytes", options->limits.max_bytes, "Refuse packs larger than this unpacked");
  app->add_option("--max-entries", options->limits.max_entries, "Refuse packs with more files");
  return [options] { return ReportError(RunUnpack(*options)); };
}});

}  // namespace
}  // namespace pyreplay::cli
