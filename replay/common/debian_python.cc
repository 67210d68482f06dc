#include "replay/common/debian_python.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace pyreplay {

std::string DebianPythonFor(absl::string_view resolved_python3) {
  constexpr absl::string_view kPrefix = "/usr/bin/python3.";
  if (!absl::StartsWith(resolved_python3, kPrefix)) return kFallbackPython;
  absl::string_view minor = resolved_python3.substr(kPrefix.size());
  if (minor.empty()) return kFallbackPython;
  for (char c : minor) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return kFallbackPython;
  }
  return std::string(resolved_python3);
}

std::string DebianPython() {
  std::error_code ec;
  std::filesystem::path resolved = std::filesystem::canonical("/usr/bin/python3", ec);
  return DebianPythonFor(ec ? "" : resolved.string());
}

}  // namespace pyreplay
