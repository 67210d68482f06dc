// rr_tool.h: facts about the rr installed on this machine.
#ifndef PYREPLAY_REPLAY_RECORD_RR_TOOL_H_
#define PYREPLAY_REPLAY_RECORD_RR_TOOL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"

namespace pyreplay {

// CheckRrAvailable is OK when `rr` is on PATH, else NotFound with the install command.
absl::Status CheckRrAvailable();

// RrVersion runs `rr --version` and returns e.g. "5.6.0", or nullopt. (Which releases pyreplay
// supports, and what differs between them: replay/common/rr_dialect.h.)
std::optional<std::string> RrVersion();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_RR_TOOL_H_
