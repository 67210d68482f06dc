// apt_sources.h: does apt know a `deb-src` entry, and add one that mirrors the Debian `deb`
// entries when it does not.
//
// `apt-get source` needs a deb-src entry. Debian images (these machines included) ship deb822
// files with `Types: deb` only. AddDebSrcEntry writes a separate file, never editing the user's:
//
//   ASSIGN_OR_RETURN(AptSourceFiles files, FindAptSourceFiles());
//   if (!HasDebSrcEntry(files)) ASSIGN_OR_RETURN(std::string written, AddDebSrcEntry(files));
//
// Everything honours APT_CONFIG (apt-config reports where apt reads its sources from).
#ifndef PYREPLAY_REPLAY_SOURCES_APT_SOURCES_H_
#define PYREPLAY_REPLAY_SOURCES_APT_SOURCES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// The file pyreplay writes into apt's sources.list.d.
inline constexpr char kDebSrcFileName[] = "pyreplay-deb-src.sources";

struct AptSourceFiles {
  std::string list_file;  // Dir::Etc::sourcelist, e.g. /etc/apt/sources.list
  std::string parts_dir;  // Dir::Etc::sourceparts, e.g. /etc/apt/sources.list.d/
  std::string lists_dir;  // Dir::State::Lists, where `apt-get update` writes the indexes
};

// FindAptSourceFiles asks apt-config where apt reads its sources from.
absl::StatusOr<AptSourceFiles> FindAptSourceFiles();

// HasDebSrcEntry is true when an enabled one-line `deb-src` or a deb822 stanza whose Types
// include deb-src is in any of apt's source files.
bool HasDebSrcEntry(const AptSourceFiles& files);

// DebSrcStanzas turns the enabled Debian archive `deb` entries of one file's text (one-line or
// deb822 format) into deb822 `Types: deb-src` stanzas, keeping URIs, Suites, Components and
// Signed-By. Entries of other archives (not deb.debian.org / security.debian.org / a `debian`
// path) are left out. "" when there are none.
std::string DebSrcStanzas(absl::string_view file_text, bool deb822);

// AddDebSrcEntry writes <parts_dir>/pyreplay-deb-src.sources mirroring the Debian `deb` entries
// and returns its path. PermissionDenied (saying to run as root) when the folder is not
// writable; NotFound when apt has no Debian `deb` entry to mirror.
absl::StatusOr<std::string> AddDebSrcEntry(const AptSourceFiles& files);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_SOURCES_APT_SOURCES_H_
