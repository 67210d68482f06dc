// trace_verify.h: `pyreplay verify TRACE`: is every file of this trace what was recorded?
//
// Hashes every file the digests list (trace_digests.h) and checks every sidecar's own seal (the
// index, the deep index, marks, marks.bak, meta.json). A trace without digests (plain rr, or an
// older pyreplay) is "unverified": nothing says its files are the recorded ones.
//
//   ASSIGN_OR_RETURN(VerifyReport report, VerifyTrace("traces/sockets-1"));
//   printf("%s", FormatVerifyReport(report).c_str());
//   return report.state == VerifyState::kVerified ? 0 : 1;
#ifndef PYREPLAY_REPLAY_VERIFY_TRACE_VERIFY_H_
#define PYREPLAY_REPLAY_VERIFY_TRACE_VERIFY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pyreplay {

enum class VerifyState { kVerified, kUnverified, kDamaged };

// FileCheck is one file's verdict: "ok", "damaged", "missing", "unverified" (no digest to check
// against), "extra" (not there when recorded; not an error: e.g. a debug file added by unpack).
struct FileCheck {
  std::string path;     // relative to the trace folder
  std::string verdict;
  std::string detail;   // what differs, or "" when ok
};

struct VerifyReport {
  std::string trace_dir;
  VerifyState state = VerifyState::kVerified;
  bool has_digests = false;
  uint64_t bytes_hashed = 0;
  std::vector<FileCheck> files;
};

// VerifyTrace checks the trace. An error only when the folder is not a trace at all; damage is
// in the report.
absl::StatusOr<VerifyReport> VerifyTrace(const std::string& trace_dir);

std::string VerifyStateName(VerifyState state);
std::string FormatVerifyReport(const VerifyReport& report);
nlohmann::json VerifyReportJson(const VerifyReport& report);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_VERIFY_TRACE_VERIFY_H_
