// `pyreplay pack TRACE -o NAME.pyrtrace`: one file holding the trace, its index and marks, and the
// debug symbols a colleague needs to see the same Python stacks (replay/pack/trace_pack.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "replay/cli/command.h"
#include "replay/common/status_macros.h"
#include "replay/pack/trace_pack.h"

namespace pyreplay::cli {
namespace {

absl::Status RunPack(PackOptions options) {
  if (options.output.empty()) {
    std::string name = std::filesystem::path(options.trace_dir).lexically_normal().filename().string();
    if (name.empty()) name = std::filesystem::absolute(options.trace_dir).parent_path().filename().string();
    options.output = name + kPackExtension;
  }
  ASSIGN_OR_RETURN(PackSummary summary, PackTrace(options));
  int debug = 0;
  for (const PackFile& f : summary.manifest.files) debug += f.kind == PackFileKind::kDebug;
  printf("Packed %s into %s: %zu files, %.1f MiB -> %.1f MiB, with %d debug file(s).\n",
         options.trace_dir.c_str(), summary.output.c_str(), summary.manifest.files.size(),
         summary.input_bytes / 1048576.0, summary.output_bytes / 1048576.0, debug);
  if (!summary.without_debug.empty()) {
    PrintNote("no debug info on this machine for: " + absl::StrJoin(summary.without_debug, ", "));
  }
  printf("Send it; the receiver runs: pyreplay unpack %s\n",
         std::filesystem::path(summary.output).filename().c_str());
  return absl::OkStatus();
}

RegisterCommand kPack({"pack", "Pack a trace into one .pyrtrace file to share", 40,
                       [](CLI::App* app) {
  auto options = std::make_shared<PackOptions>();
  app->footer(
      "Runs `rr pack` on TRACE (in place; skipped when rr's files are unchanged since the last\n"
      "one), then writes one zstd-compressed tar with rr's files, the pyreplay sidecar (metadata,\n"
      "index, marks), the debug files of every mapped ELF found by build-id (e.g. python3.11-dbg's)\n"
      "and a manifest with each file's size and SHA-256, closed by a SHA-256 of the whole file.\n"
      "Packing the same trace twice gives the same file. A progress bar shows on a terminal.\n"
      "  pyreplay pack traces/sockets-1 -o bug.pyrtrace\n"
      "  pyreplay info bug.pyrtrace          # what is inside, without unpacking\n"
      "  pyreplay unpack bug.pyrtrace        # on the colleague's machine");
  app->add_option("TRACE", options->trace_dir, "The trace folder")->required();
  app->add_option("-o,--output", options->output, "The pack file (default: TRACE's name.pyrtrace)");
  app->add_option("--level", options->compression_level, "zstd compression level (default 3)")
      ->check(CLI::Range(1, 19));
  app->add_option("--threads", options->threads, "zstd worker threads (default 0: compress on the main thread)")
      ->check(CLI::Range(0, 64));
  app->add_flag("!--no-rr-pack", options->run_rr_pack,
                "Skip `rr pack` (only for a trace already packed by rr)");
  return [options] { return ReportError(RunPack(*options)); };
}});

}  // namespace
}  // namespace pyreplay::cli
