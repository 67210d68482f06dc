#include "replay/sources/script_sources.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/record/recording_meta.h"

namespace pyreplay {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

constexpr int kManifestFormat = 1;

fs::path CopyPathFor(const fs::path& sources_dir, const fs::path& original) {
  return sources_dir / "files" / original.relative_path();
}

bool IsPython(const std::string& program) {
  std::string name = fs::path(program).filename().string();
  return absl::StartsWith(name, "python");
}

}  // namespace

std::optional<std::string> MainScript(const std::vector<std::string>& command,
                                      const std::string& cwd) {
  if (command.empty()) return std::nullopt;
  auto absolute = [&](const std::string& p) {
    fs::path path(p);
    return (path.is_absolute() ? path : fs::path(cwd) / path).lexically_normal().string();
  };
  if (absl::EndsWith(command[0], ".py")) return absolute(command[0]);
  if (!IsPython(command[0])) return std::nullopt;
  for (size_t i = 1; i < command.size(); ++i) {
    const std::string& arg = command[i];
    if (arg == "-") return std::nullopt;  // the script comes from stdin
    if (arg == "--check-hash-based-pycs") {
      ++i;  // takes a value
      continue;
    }
    if (absl::StartsWith(arg, "--")) continue;
    if (!absl::StartsWith(arg, "-")) return absolute(arg);
    // A cluster of short options, such as -u, -uB, -Xdev, -W error.
    for (size_t k = 1; k < arg.size(); ++k) {
      if (arg[k] == 'c' || arg[k] == 'm') return std::nullopt;  // -c CMD / -m MODULE: no script
      if (arg[k] == 'X' || arg[k] == 'W') {
        if (k + 1 == arg.size()) ++i;  // the value is the next argument
        break;
      }
    }
  }
  return std::nullopt;
}

std::string ScriptSourcesDir(const std::string& trace_dir) {
  return (fs::path(SidecarDir(trace_dir)) / "sources").string();
}

absl::StatusOr<int> CopyScriptSources(const std::string& trace_dir,
                                      const std::vector<std::string>& command,
                                      const std::string& cwd, const ScriptSourcesLimits& limits) {
  std::optional<std::string> script = MainScript(command, cwd);
  std::error_code ec;
  if (!script || !fs::is_regular_file(*script, ec)) return 0;

  std::vector<fs::path> candidates = {*script};
  std::vector<fs::path> siblings;
  for (const auto& entry : fs::directory_iterator(fs::path(*script).parent_path(), ec)) {
    if (entry.path().extension() == ".py" && entry.is_regular_file(ec) &&
        entry.path() != fs::path(*script)) {
      siblings.push_back(entry.path());
    }
  }
  std::sort(siblings.begin(), siblings.end());
  candidates.insert(candidates.end(), siblings.begin(), siblings.end());

  fs::path sources_dir = ScriptSourcesDir(trace_dir);
  json files = json::array();
  uint64_t total = 0;
  for (const fs::path& original : candidates) {
    if (static_cast<int>(files.size()) >= limits.max_files) break;
    uint64_t size = fs::file_size(original, ec);
    if (ec || size > limits.max_file_bytes) continue;
    if (total + size > limits.max_total_bytes) break;
    absl::StatusOr<std::string> contents = ReadFileToString(original.string());
    if (!contents.ok()) continue;  // unreadable: skip it, the rest still helps
    fs::path copy = CopyPathFor(sources_dir, original);
    fs::create_directories(copy.parent_path(), ec);
    // A plain write, no fsync: the copies land in a fresh trace folder, and the manifest below,
    // written atomically last, is what makes them visible. Per-file fsyncs cost every recording
    // several disk flushes for nothing.
    std::ofstream out(copy, std::ios::binary | std::ios::trunc);
    out.write(contents->data(), static_cast<std::streamsize>(contents->size()));
    if (!out) return absl::InternalError(absl::StrCat(copy.string(), ": cannot write"));
    total += size;
    fs::path real = fs::weakly_canonical(original, ec);
    files.push_back({{"path", original.string()},
                     {"realpath", ec ? original.string() : real.string()},
                     {"copy", copy.lexically_relative(sources_dir).string()},
                     {"size", size}});
  }
  json manifest = {{"format", kManifestFormat}, {"script", *script}, {"cwd", cwd},
                   {"files", files}};
  RETURN_IF_ERROR(WriteFileAtomically((sources_dir / "manifest.json").string(),
                                      manifest.dump(2) + "\n"));
  return static_cast<int>(files.size());
}

std::optional<std::string> FindRecordedCopy(const std::string& trace_dir, const std::string& path,
                                            const std::string& cwd) {
  fs::path sources_dir = ScriptSourcesDir(trace_dir);
  absl::StatusOr<std::string> text = ReadFileToString((sources_dir / "manifest.json").string());
  if (!text.ok()) return std::nullopt;
  json manifest = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || !manifest.contains("files") || !manifest["files"].is_array()) {
    return std::nullopt;
  }
  fs::path wanted(path);
  if (!wanted.is_absolute()) {
    std::string base = cwd.empty() ? manifest.value("cwd", "") : cwd;
    wanted = fs::path(base) / wanted;
  }
  std::string normal = wanted.lexically_normal().string();
  for (const json& file : manifest["files"]) {
    if (!file.is_object()) continue;
    if (file.value("path", "") != normal && file.value("realpath", "") != normal) continue;
    fs::path copy = fs::path(file.value("copy", ""));
    // The manifest is untrusted (it may come from a packed trace): stay inside sources/.
    if (copy.empty() || copy.is_absolute() || absl::StrContains(copy.string(), "..")) continue;
    std::error_code ec;
    if (fs::is_regular_file(sources_dir / copy, ec)) return (sources_dir / copy).string();
  }
  return std::nullopt;
}

}  // namespace pyreplay
