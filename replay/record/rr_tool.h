// rr_tool.h: facts about the rr installed on this machine.
#ifndef PYREPLAY_REPLAY_RECORD_RR_TOOL_H_
#define PYREPLAY_REPLAY_RECORD_RR_TOOL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace pyreplay {

// The rr release whose trace format pyreplay reads and whose quirks it works around.
inline constexpr char kSupportedRrVersion[] = "5.6.0";

// CheckRrAvailable is OK when `rr` is on PATH, else NotFound with the install command.
absl::Status CheckRrAvailable();

// RrVersion runs `rr --version` and returns e.g. "5.6.0", or nullopt.
std::optional<std::string> RrVersion();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_RR_TOOL_H_
