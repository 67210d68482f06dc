#include "replay/pack/pack_manifest.h"

#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "replay/common/text_escape.h"
#include "replay/common/sha256.h"

namespace pyreplay {
namespace {

using nlohmann::json;

bool IsLowerHex(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<PackFileKind> ParseKind(absl::string_view name) {
  if (name == "trace") return PackFileKind::kTrace;
  if (name == "sidecar") return PackFileKind::kSidecar;
  if (name == "debug") return PackFileKind::kDebug;
  return absl::InvalidArgumentError(absl::StrCat("unknown file kind \"", name, "\""));
}

}  // namespace

uint64_t PackManifest::TotalBytes() const {
  uint64_t total = 0;
  for (const PackFile& f : files) {
    if (__builtin_add_overflow(total, f.size, &total)) return UINT64_MAX;
  }
  return total;
}

bool PackManifest::SizesOverflow() const {
  uint64_t total = 0;
  for (const PackFile& f : files) {
    if (__builtin_add_overflow(total, f.size, &total)) return true;
  }
  return false;
}

absl::string_view PackFileKindName(PackFileKind kind) {
  switch (kind) {
    case PackFileKind::kTrace: return "trace";
    case PackFileKind::kSidecar: return "sidecar";
    case PackFileKind::kDebug: return "debug";
  }
  return "trace";
}

std::string SerializeManifest(const PackManifest& manifest) {
  json files = json::array();
  for (const PackFile& f : manifest.files) {
    json entry = {{"path", f.path},
                  {"size", f.size},
                  {"sha256", f.sha256},
                  {"kind", std::string(PackFileKindName(f.kind))}};
    if (f.executable) entry["executable"] = true;
    if (f.kind == PackFileKind::kDebug) {
      entry["build_id"] = f.build_id;
      entry["debug_for"] = f.debug_for;
    }
    files.push_back(std::move(entry));
  }
  json out = {{"pyreplay_pack", manifest.format},
              {"created_by", manifest.created_by},
              {"trace_name", manifest.trace_name},
              {"rr_version", manifest.rr_version},
              {"rr_trace_format", manifest.rr_trace_format},
              {"files", std::move(files)}};
  // Paths passed CheckPackPath (printable UTF-8); the handler guards the ELF-derived fields.
  return out.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

absl::Status CheckPackPath(absl::string_view path, PackFileKind kind) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("unsafe path \"", EscapeText(path), "\": ", why));
  };
  if (path.empty()) return bad("empty");
  // A name that is not printable UTF-8 could not be listed (JSON) or shown safely.
  if (!IsSafeText(path)) return bad("not printable UTF-8 (control characters or invalid bytes)");
  if (path.size() > 4096) return bad("longer than 4096 bytes");
  if (path.find('\0') != absl::string_view::npos) return bad("contains a NUL byte");
  if (path[0] == '/') return bad("absolute paths are not allowed");
  if (path == kManifestName) return bad("the manifest's own name");
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty()) return bad("empty path component");
    if (part == "..") return bad("`..` would leave the target folder");
    if (part == ".") return bad("`.` component");
  }
  for (absl::string_view suffix : {"-gdb.py", "-gdb.gdb", "-gdb.scm"}) {
    if (absl::EndsWith(path, suffix)) return bad("gdb would auto-load a script of this name");
  }
  std::string debug_prefix = absl::StrCat(kBundledDebugDir, "/");
  bool under_debug = absl::StartsWith(path, debug_prefix);
  if (kind == PackFileKind::kDebug) {
    // pyreplay/debug/.build-id/xx/<hex>.debug, nothing else.
    if (!under_debug) return bad("a bundled debug file must be under pyreplay/debug/.build-id");
    std::vector<absl::string_view> parts =
        absl::StrSplit(path.substr(debug_prefix.size()), '/');
    if (parts.size() != 3 || parts[0] != ".build-id" || parts[1].size() != 2 ||
        !IsLowerHex(parts[1]) || !absl::EndsWith(parts[2], ".debug") ||
        !IsLowerHex(parts[2].substr(0, parts[2].size() - 6))) {
      return bad("a bundled debug file must be pyreplay/debug/.build-id/xx/<hex>.debug");
    }
  } else if (under_debug) {
    return bad("only debug files may be placed under pyreplay/debug");
  }
  return absl::OkStatus();
}

absl::StatusOr<PackManifest> ParseManifest(absl::string_view text, absl::string_view origin) {
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat(origin, ": its manifest (", kManifestName, ") is corrupt: ", why));
  };
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return corrupt("not a JSON object");
  if (!doc.contains("pyreplay_pack") || !doc["pyreplay_pack"].is_number_integer()) {
    return corrupt("no pack format version");
  }
  PackManifest manifest;
  manifest.format = doc["pyreplay_pack"].get<int>();
  if (manifest.format > kPackFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        origin, " was made by a newer pyreplay (pack format ", manifest.format,
        "); this pyreplay reads pack format ", kPackFormatVersion,
        " and older. Upgrade pyreplay to open it"));
  }
  if (manifest.format < 1) return corrupt(absl::StrCat("bad format version ", manifest.format));
  try {
    manifest.created_by = doc.value("created_by", "");
    manifest.trace_name = doc.value("trace_name", "");
    // Packs made before these existed have neither: then unknown.
    manifest.rr_version = doc.value("rr_version", "");
    manifest.rr_trace_format = doc.value("rr_trace_format", 0);
    if (!doc.contains("files") || !doc["files"].is_array()) return corrupt("no file list");
    std::set<std::string> paths;
    std::set<std::string> dirs;
    for (const json& entry : doc["files"]) {
      if (!entry.is_object()) return corrupt("a file entry is not an object");
      PackFile f;
      f.path = entry.at("path").get<std::string>();
      if (!entry.at("size").is_number_unsigned()) {
        return corrupt(absl::StrCat("bad size for \"", f.path, "\""));
      }
      f.size = entry.at("size").get<uint64_t>();
      f.sha256 = entry.at("sha256").get<std::string>();
      absl::StatusOr<PackFileKind> kind = ParseKind(entry.at("kind").get<std::string>());
      if (!kind.ok()) return corrupt(kind.status().message());
      f.kind = *kind;
      f.executable = entry.value("executable", false);
      if (f.kind == PackFileKind::kDebug) {
        f.build_id = entry.value("build_id", "");
        f.debug_for = entry.value("debug_for", "");
      }
      if (absl::Status ok = CheckPackPath(f.path, f.kind); !ok.ok()) return corrupt(ok.message());
      if (!IsSha256Hex(f.sha256)) return corrupt(absl::StrCat("bad SHA-256 for \"", f.path, "\""));
      if (!paths.insert(f.path).second) {
        return corrupt(absl::StrCat("\"", f.path, "\" is listed twice"));
      }
      for (size_t slash = f.path.find('/'); slash != std::string::npos;
           slash = f.path.find('/', slash + 1)) {
        dirs.insert(f.path.substr(0, slash));
      }
      manifest.files.push_back(std::move(f));
    }
    for (const std::string& dir : dirs) {
      if (paths.count(dir)) return corrupt(absl::StrCat("\"", dir, "\" is both a file and a folder"));
    }
  } catch (const json::exception& e) {
    return corrupt(e.what());
  }
  return manifest;
}

}  // namespace pyreplay
