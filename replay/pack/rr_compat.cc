#include "replay/pack/rr_compat.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/record/rr_tool.h"

namespace pyreplay {
namespace {

std::string MajorMinor(const RrRelease& r) { return absl::StrCat(r.major, ".", r.minor); }

}  // namespace

std::optional<RrRelease> InstalledRr() {
  if (!CheckRrAvailable().ok()) return std::nullopt;
  std::optional<std::string> version = RrVersion();
  return version ? ParseRrRelease(*version) : std::nullopt;
}

int ReadTraceFormat(const std::string& trace_dir) {
  absl::StatusOr<std::string> text = ReadFileToString(trace_dir + "/version");
  if (!text.ok()) return 0;
  int format = 0;
  absl::string_view line = *text;
  line = line.substr(0, line.find('\n'));
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &format) ? format : 0;
}

std::string RrCompatibilityNote(absl::string_view recorded_rr, int trace_format,
                                const std::optional<RrRelease>& installed) {
  std::optional<RrRelease> recorded = ParseRrRelease(recorded_rr);
  std::string made_by = recorded ? absl::StrCat("rr ", recorded->ToString()) : "an unknown rr";
  if (!installed) {
    return absl::StrCat("note: rr is not installed here; to replay this trace (recorded with ",
                        made_by, "), install rr ",
                        recorded ? absl::StrCat(MajorMinor(*recorded), " or newer")
                                 : SupportedRrRange().substr(3));
  }
  std::optional<int> reads = TraceFormatOf(*installed);
  if (trace_format != 0 && reads && *reads != trace_format) {
    return absl::StrCat("note: this trace is in rr trace format ", trace_format, " (", made_by,
                        "), but this machine's rr ", installed->ToString(), " reads format ",
                        *reads, ": it cannot replay here; install ",
                        recorded ? absl::StrCat("rr ", MajorMinor(*recorded)) : "the rr that recorded it",
                        ", or replay where it was recorded");
  }
  if (recorded && *installed < RrRelease{recorded->major, recorded->minor, 0}) {
    return absl::StrCat("note: this trace was recorded with ", made_by, ", newer than this "
                        "machine's rr ", installed->ToString(),
                        "; rr replays older traces, not newer ones: install rr ",
                        MajorMinor(*recorded), " or newer to replay it");
  }
  if (!IsSupportedRr(*installed)) {
    return absl::StrCat("note: this machine's rr ", installed->ToString(), " is outside what "
                        "pyreplay is tested with (", SupportedRrRange(), ")");
  }
  return "";
}

std::string RrProvenanceLine(absl::string_view recorded_rr, int trace_format,
                             const std::optional<RrRelease>& installed) {
  std::string line = absl::StrCat(
      "recorded with rr ", recorded_rr.empty() ? "?" : recorded_rr,
      trace_format != 0 ? absl::StrCat(" (trace format ", trace_format, ")") : "",
      "; this machine has ", installed ? absl::StrCat("rr ", installed->ToString()) : "no rr");
  std::string note = RrCompatibilityNote(recorded_rr, trace_format, installed);
  if (!note.empty()) absl::StrAppend(&line, "\n             ", note);
  return line;
}

}  // namespace pyreplay
