#include "replay/pack/pack_info.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "replay/common/human_size.h"
#include "replay/common/status_macros.h"
#include "replay/marks/mark_json.h"
#include "replay/pack/pack_reader.h"
#include "replay/pack/rr_compat.h"
#include "replay/position/position.h"

namespace pyreplay {
namespace fs = std::filesystem;

absl::StatusOr<PackInfo> ReadPackInfo(const std::string& pack_path) {
  ASSIGN_OR_RETURN(std::unique_ptr<PackReader> reader, PackReader::Open(pack_path));
  PackInfo info;
  info.path = pack_path;
  std::error_code ec;
  info.pack_bytes = fs::file_size(pack_path, ec);
  info.manifest = reader->manifest();
  // Read on to the end, the rest decompressed and discarded: Next() returns nullptr only once
  // every byte matched the closing digest. A summary of a damaged pack would mislead.
  for (;;) {
    ASSIGN_OR_RETURN(const PackFile* file, reader->Next());
    if (file == nullptr) break;
    if (file->path == kPackedMetaPath) {
      ASSIGN_OR_RETURN(std::string text, reader->ReadFile());
      info.recording = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (info.recording.is_discarded() || !info.recording.is_object()) {
        return absl::DataLossError(absl::StrCat(pack_path, ": ", kPackedMetaPath, " is corrupt"));
      }
    } else if (file->path == kPackedMarksPath) {
      ASSIGN_OR_RETURN(std::string bytes, reader->ReadFile());
      ASSIGN_OR_RETURN(info.marks,
                       ParseMarkFile(bytes, absl::StrCat(pack_path, ":", kPackedMarksPath)));
    }
  }
  info.verified = true;
  info.installed_rr = InstalledRr();
  return info;
}

std::string PackRecordedRr(const PackInfo& info) {
  if (!info.manifest.rr_version.empty()) return info.manifest.rr_version;
  if (info.recording.is_object() && info.recording.contains("rr_version") &&
      info.recording["rr_version"].is_string()) {
    return info.recording["rr_version"].get<std::string>();
  }
  return "";
}

std::string FormatPackInfo(const PackInfo& info) {
  std::string out;
  const PackManifest& m = info.manifest;
  absl::StrAppend(&out, info.path, ": pyreplay pack (format ", m.format, ", made by ",
                  m.created_by.empty() ? "?" : m.created_by, ")\n");
  absl::StrAppend(&out, "  trace:     ", m.trace_name, "\n");
  if (info.recording.is_object()) {
    const nlohmann::json& r = info.recording;
    if (r.contains("command") && r["command"].is_array()) {
      std::vector<std::string> words;
      for (const auto& w : r["command"]) words.push_back(w.is_string() ? w.get<std::string>() : w.dump());
      absl::StrAppend(&out, "  command:   ", absl::StrJoin(words, " "), "\n");
    }
    std::string mode = r.value("mode", std::string("?"));
    absl::StrAppend(&out, "  recorded:  ", r.value("recorded_at", std::string("?")), " in ", mode,
                    " mode, rr ", r.value("rr_version", std::string("?")), ", exit status ",
                    r.value("exit_code", 0), "\n");
  } else {
    absl::StrAppend(&out, "  recorded:  a plain rr trace (no pyreplay metadata)\n");
  }
  absl::StrAppend(&out, "  rr:        ",
                  RrProvenanceLine(PackRecordedRr(info), m.rr_trace_format, info.installed_rr),
                  "\n");
  int counts[3] = {0, 0, 0};
  uint64_t bytes[3] = {0, 0, 0};
  std::vector<std::string> debug_for;
  for (const PackFile& f : m.files) {
    int k = static_cast<int>(f.kind);
    ++counts[k];
    bytes[k] += f.size;
    if (f.kind == PackFileKind::kDebug) debug_for.push_back(f.debug_for);
  }
  absl::StrAppend(&out, "  size:      ", HumanSize(info.pack_bytes), " packed, ",
                  HumanSize(m.TotalBytes()), " unpacked, ", m.files.size(), " files\n");
  absl::StrAppend(&out, "  contents:  ", counts[0], " rr trace files (", HumanSize(bytes[0]),
                  "), ", counts[1], " pyreplay files (", HumanSize(bytes[1]), "), ", counts[2],
                  " debug files (", HumanSize(bytes[2]), ")\n");
  if (!debug_for.empty()) {
    absl::StrAppend(&out, "  debug for: ", absl::StrJoin(debug_for, ", "), "\n");
  }
  if (info.verified) {
    absl::StrAppend(&out, "  verified:  every byte, against the pack's closing SHA-256 digest\n");
  }
  if (info.marks.empty()) {
    absl::StrAppend(&out, "  marks:     none\n");
  } else {
    std::map<std::string, int> by_author;
    for (const Mark& mark : info.marks) ++by_author[mark.author];
    std::vector<std::string> authors;
    for (const auto& [author, n] : by_author) authors.push_back(absl::StrCat(author, " (", n, ")"));
    absl::StrAppend(&out, "  marks:     ", info.marks.size(), " by ", absl::StrJoin(authors, ", "),
                    "\n");
    for (const Mark& mark : info.marks) {
      absl::StrAppend(&out, "    ", absl::StrFormat("%-20s", mark.name), " ",
                      FormatPosition(mark.position), "  by ", mark.author, ", ",
                      absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixNanos(mark.created_unix_nanos),
                                       absl::UTCTimeZone()),
                      " UTC\n");
      if (!mark.note.empty()) absl::StrAppend(&out, "    ", std::string(20, ' '), " ", mark.note, "\n");
    }
  }
  return out;
}

nlohmann::json PackInfoToJson(const PackInfo& info) {
  nlohmann::json files = nlohmann::json::array();
  for (const PackFile& f : info.manifest.files) {
    files.push_back({{"path", f.path}, {"size", f.size}, {"kind", std::string(PackFileKindName(f.kind))}});
  }
  return {{"pack", info.path},
          {"format", info.manifest.format},
          {"created_by", info.manifest.created_by},
          {"trace_name", info.manifest.trace_name},
          {"pack_bytes", info.pack_bytes},
          {"unpacked_bytes", info.manifest.TotalBytes()},
          {"verified", info.verified},
          {"rr", {{"recorded_with", PackRecordedRr(info)},
                  {"trace_format", info.manifest.rr_trace_format},
                  {"installed", info.installed_rr ? info.installed_rr->ToString() : ""},
                  {"note", RrCompatibilityNote(PackRecordedRr(info), info.manifest.rr_trace_format,
                                               info.installed_rr)}}},
          {"recording", info.recording},
          {"files", files},
          {"marks", MarksToJson(info.marks)}};
}

}  // namespace pyreplay
