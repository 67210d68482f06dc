// debian_version.h: compare Debian package versions (epoch:upstream-revision), and pick the
// available source version nearest to the installed one.
//
// The installed python3.11 (say 3.11.2-6+deb12u9) is not always downloadable from the archive
// while the previous revision is; PickNearestVersion chooses what `pyreplay sources` fetches.
//
//   CompareDebianVersions("3.11.2-6+deb12u8", "3.11.2-6+deb12u9") < 0
//   PickNearestVersion("3.11.2-6+deb12u9", {"3.11.2-6+deb12u8"}) == "3.11.2-6+deb12u8"
#ifndef PYREPLAY_REPLAY_SOURCES_DEBIAN_VERSION_H_
#define PYREPLAY_REPLAY_SOURCES_DEBIAN_VERSION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace pyreplay {

// CompareDebianVersions orders two versions as dpkg does (deb-version(7)): <0, 0 or >0.
int CompareDebianVersions(absl::string_view a, absl::string_view b);

// UpstreamVersion is the part between the epoch and the Debian revision: "3.11.2" for
// "3.11.2-6+deb12u9".
std::string UpstreamVersion(absl::string_view version);

// PickNearestVersion returns `wanted` when available; otherwise the newest available version
// older than it with the same upstream version, then the oldest newer one with the same upstream
// version, then any same-upstream one. nullopt when no available version shares the upstream
// version (the C sources would not match the interpreter).
std::optional<std::string> PickNearestVersion(absl::string_view wanted,
                                              const std::vector<std::string>& available);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_SOURCES_DEBIAN_VERSION_H_
