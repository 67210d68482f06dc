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
  fprintf(stderr, "Next: pyreplay replay %s\n", result.trace_dir.c_str());
}

}  // namespace pyreplay::cli
