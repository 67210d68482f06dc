#include "replay/record/rr_tool.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/common/subprocess.h"
#include "replay/common/rr_dialect.h"

namespace pyreplay {

absl::Status CheckRrAvailable() {
  if (FindOnPath("rr").ok()) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("rr is not installed or not on PATH; install it with `sudo apt-get install rr` "
                   "(pyreplay needs ", SupportedRrRange(), ")"));
}

std::optional<std::string> RrVersion() {
  absl::StatusOr<std::string> out = CaptureOutput({"rr", "--version"});
  if (!out.ok()) return std::nullopt;
  // "rr version 5.6.0"; from 5.7 a build-specific text may follow the number.
  if (std::optional<RrRelease> release = ParseRrRelease(*out)) return release->ToString();
  absl::string_view text = absl::StripAsciiWhitespace(*out);
  absl::ConsumePrefix(&text, "rr version ");
  return std::string(text);
}

}  // namespace pyreplay
