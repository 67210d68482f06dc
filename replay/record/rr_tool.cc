#include "replay/record/rr_tool.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "replay/common/subprocess.h"

namespace pyreplay {

absl::Status CheckRrAvailable() {
  if (FindOnPath("rr").ok()) return absl::OkStatus();
  return absl::NotFoundError(
      "rr is not installed or not on PATH; install it with `sudo apt-get install rr` "
      "(pyreplay needs rr 5.6.0)");
}

std::optional<std::string> RrVersion() {
  absl::StatusOr<std::string> out = CaptureOutput({"rr", "--version"});
  if (!out.ok()) return std::nullopt;
  absl::string_view text = absl::StripAsciiWhitespace(*out);
  absl::ConsumePrefix(&text, "rr version ");
  return std::string(text);
}

}  // namespace pyreplay
