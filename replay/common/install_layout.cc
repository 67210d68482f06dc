#include "replay/common/install_layout.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace pyreplay {

absl::StatusOr<InstallLayout> FindInstallLayout() {
  namespace fs = std::filesystem;
  fs::path prefix;
  if (const char* env = std::getenv("PYREPLAY_PREFIX"); env != nullptr && *env != 0) {
    prefix = env;
  } else {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return absl::InternalError("cannot read /proc/self/exe: " + ec.message());
    prefix = exe.parent_path().parent_path();
  }
  InstallLayout layout;
  layout.prefix = prefix.string();
  layout.plugin_dir = (prefix / "lib/pyreplay").string();
  layout.preload = (prefix / "lib/pyreplay/libpyreplay_nopmu.so").string();
  layout.plugin_loader = (prefix / "lib/pyreplay/load.py").string();
  layout.sessions_dir = (prefix / "share/pyreplay/sessions").string();
  for (const std::string& part : {layout.preload, layout.plugin_loader, layout.sessions_dir}) {
    if (!fs::exists(part)) {
      return absl::NotFoundError(absl::StrCat(
          "pyreplay's own file ", part, " is missing; rebuild (scripts/build.sh) or reinstall"));
    }
  }
  return layout;
}

}  // namespace pyreplay
