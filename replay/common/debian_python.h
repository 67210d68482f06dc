// The interpreter pyreplay uses when none is named: this Debian release's own python3.X, the file
// /usr/bin/python3 links to (python3.11 on Debian 12, python3.13 on Debian 13). The chapter's
// sessions run on it, and `pyreplay sources` and `doctor` look at it by default.
//   std::string python = DebianPython();  // "/usr/bin/python3.13" on Debian 13
#ifndef PYREPLAY_REPLAY_COMMON_DEBIAN_PYTHON_H_
#define PYREPLAY_REPLAY_COMMON_DEBIAN_PYTHON_H_

#include <string>

#include "absl/strings/string_view.h"

namespace pyreplay {

// The fallback when /usr/bin/python3 is missing or is not a Debian python3.X.
inline constexpr char kFallbackPython[] = "/usr/bin/python3.11";

// DebianPythonFor maps where /usr/bin/python3 resolves to onto the default interpreter: that path
// when it is /usr/bin/python3.X, else kFallbackPython.
std::string DebianPythonFor(absl::string_view resolved_python3);

// DebianPython is DebianPythonFor(the resolved /usr/bin/python3).
std::string DebianPython();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_DEBIAN_PYTHON_H_
