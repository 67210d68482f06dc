// install_layout.h: where pyreplay's own parts are, relative to the running executable.
//
// The build tree mirrors the install tree, so both work the same way:
//   <prefix>/bin/pyreplay
//   <prefix>/lib/pyreplay/libpyreplay_nopmu.so      the no-PMU preload for rr
//   <prefix>/lib/pyreplay/load.py, pyreplay_gdb/     the gdb plugin (and _pyreplay*.so)
//   <prefix>/share/pyreplay/sessions/*.py            the chapter sessions
#ifndef PYREPLAY_REPLAY_COMMON_INSTALL_LAYOUT_H_
#define PYREPLAY_REPLAY_COMMON_INSTALL_LAYOUT_H_

#include <string>

#include "absl/status/statusor.h"

namespace pyreplay {

struct InstallLayout {
  std::string prefix;        // the folder above bin/
  std::string preload;       // lib/pyreplay/libpyreplay_nopmu.so
  std::string plugin_dir;    // lib/pyreplay
  std::string plugin_loader; // lib/pyreplay/load.py
  std::string sessions_dir;  // share/pyreplay/sessions
};

// FindInstallLayout locates the parts from /proc/self/exe (or $PYREPLAY_PREFIX when set, for
// tests that run a copied binary). NotFound names the missing part and suggests a rebuild.
absl::StatusOr<InstallLayout> FindInstallLayout();

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_INSTALL_LAYOUT_H_
