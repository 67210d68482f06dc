#include "replay/pack/debug_bundle.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "replay/common/elf_build_id.h"
#include "replay/pack/pack_manifest.h"

namespace pyreplay {
namespace fs = std::filesystem;

std::string SystemDebugDirectory() {
  const char* env = getenv("PYREPLAY_SYSTEM_DEBUG_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/lib/debug";
}

std::string BundledDebugDirectory(const std::string& trace_dir) {
  return (fs::absolute(trace_dir) / kBundledDebugDir).lexically_normal().string();
}

std::vector<std::string> DebugRootsForPacking(const std::string& trace_dir) {
  std::vector<std::string> roots = {BundledDebugDirectory(trace_dir)};
  for (absl::string_view dir : absl::StrSplit(SystemDebugDirectory(), ':', absl::SkipEmpty())) {
    roots.emplace_back(dir);
  }
  return roots;
}

absl::StatusOr<std::vector<DebugFile>> FindDebugFiles(const std::string& trace_dir,
                                                      const std::vector<std::string>& roots,
                                                      std::vector<std::string>* without_debug) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(trace_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "mmap_") && entry.is_regular_file(ec)) names.push_back(name);
  }
  if (ec) return absl::NotFoundError(absl::StrCat(trace_dir, ": ", ec.message()));
  std::sort(names.begin(), names.end());
  std::set<std::string> seen;
  std::vector<DebugFile> found;
  for (const std::string& name : names) {
    absl::StatusOr<std::string> id = ReadBuildId((fs::path(trace_dir) / name).string());
    if (absl::IsInvalidArgument(id.status())) continue;  // not an ELF file (a mapped data file)
    if (!id.ok()) {
      if (without_debug != nullptr) without_debug->push_back(name);
      continue;
    }
    if (seen.count(*id)) continue;
    bool have = false;
    for (const std::string& root : roots) {
      std::string candidate = DebugFileForBuildId(root, *id);
      if (candidate.empty() || !fs::is_regular_file(candidate, ec)) continue;
      found.push_back({*id, fs::canonical(candidate, ec).string(),
                       DebugFileForBuildId(kBundledDebugDir, *id), name});
      seen.insert(*id);
      have = true;
      break;
    }
    if (!have && without_debug != nullptr) without_debug->push_back(name);
  }
  std::sort(found.begin(), found.end(), [](const DebugFile& a, const DebugFile& b) {
    return a.archive_path < b.archive_path;
  });
  return found;
}

std::vector<std::string> GdbDebugArguments(const std::string& trace_dir) {
  std::string bundle = BundledDebugDirectory(trace_dir);
  std::error_code ec;
  std::string system = SystemDebugDirectory();
  std::string dirs = fs::is_directory(bundle, ec) ? absl::StrCat(bundle, ":", system) : system;
  return {"-iex", absl::StrCat("set auto-load safe-path ", system, ":$datadir/auto-load"),
          "-iex", absl::StrCat("set debug-file-directory ", dirs)};
}

}  // namespace pyreplay
