#include "replay/cli/record_summary.h"

#include <string>

#include "replay/common/terminal.h"

namespace pyreplay::cli {

void PrintRecordSummary(const RecordResult& result) {
  Style style(stderr);
  std::string status = result.program_status.signal != 0
                           ? "killed by signal " + std::to_string(result.program_status.signal)
                           : "exited " + std::to_string(result.program_status.code);
  fprintf(stderr, "%s %s (%s mode; the program %s)\n", style.Good("Recorded").c_str(),
          style.Bold(result.trace_dir).c_str(), std::string(PmuModeName(result.mode)).c_str(),
          status.c_str());
  if (result.event_count > 0) {
    fprintf(stderr, "%llu events, indexed. Next: pyreplay events %s\n",
            static_cast<unsigned long long>(result.event_count), result.trace_dir.c_str());
  } else if (!result.index_error.empty()) {
    fprintf(stderr, "%s the trace could not be indexed: %s\n", style.Warn("warning:").c_str(),
            result.index_error.c_str());
  }
  fprintf(stderr, "Next: pyreplay replay %s\n", result.trace_dir.c_str());
}

}  // namespace pyreplay::cli
