#include "replay/record/recording_meta.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/sha256.h"

namespace pyreplay {

namespace {

// DumpMeta is meta.json's text. The error handler keeps an argv that is not UTF-8 from throwing
// (it is stored with U+FFFD; what was run is still readable).
std::string DumpMeta(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// MetaChecksum is the SHA-256 of DumpMeta of `j` without its "sha256" member. nlohmann keeps an
// object's members sorted, so a parsed file dumps to the same text it was written as.
std::string MetaChecksum(nlohmann::json j) {
  j.erase("sha256");
  return Sha256Hex(DumpMeta(j));
}

}  // namespace

std::string SidecarDir(const std::string& trace_dir) { return trace_dir + "/pyreplay"; }

absl::Status WriteRecordingMeta(const std::string& trace_dir, const RecordingMeta& meta) {
  nlohmann::json j = {
      {"format", meta.format},
      {"pyreplay_version", meta.pyreplay_version},
      {"rr_version", meta.rr_version},
      {"mode", std::string(PmuModeName(meta.mode))},
      {"microarch", meta.microarch},
      {"name", meta.name},
      {"session", meta.session},
      {"command", meta.command},
      {"cwd", meta.cwd},
      {"chaos", meta.chaos},
      {"exit_code", meta.exit_code},
      {"recorded_at", meta.recorded_at},
  };
  // Its own checksum: SHA-256 of the file's text without the "sha256" member (MetaChecksum).
  j["sha256"] = MetaChecksum(j);
  return WriteFileAtomically(SidecarDir(trace_dir) + "/meta.json", DumpMeta(j));
}

absl::StatusOr<RecordingMeta> ReadRecordingMeta(const std::string& trace_dir) {
  std::string path = SidecarDir(trace_dir) + "/meta.json";
  absl::StatusOr<std::string> text = ReadFileToString(path, /*follow_links=*/false);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(absl::StrCat(path, ": no pyreplay metadata (not recorded by "
                                                  "pyreplay record?)"));
  }
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt JSON"));
  }
  // Format 2 carries its checksum; an older file (format 1) has none to check.
  const bool has_sum = j.contains("sha256");
  if (has_sum || j.value("format", 0) >= 2) {
    if (!has_sum || !j["sha256"].is_string() || j["sha256"].get<std::string>() != MetaChecksum(j)) {
      return absl::DataLossError(absl::StrCat(
          path, " is damaged: its checksum does not match its contents (changed after it was "
          "recorded); get the trace again"));
    }
  }
  RecordingMeta meta;
  meta.format = j.value("format", 0);
  if (meta.format > kRecordingMetaFormat) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": metadata format ", meta.format, " is newer than this pyreplay (",
                     kRecordingMetaFormat, "); upgrade pyreplay"));
  }
  try {
    meta.pyreplay_version = j.value("pyreplay_version", "");
    meta.rr_version = j.value("rr_version", "");
    absl::StatusOr<PmuMode> mode = ParsePmuModeName(j.value("mode", "nopmu"));
    if (!mode.ok()) return absl::DataLossError(absl::StrCat(path, ": ", mode.status().message()));
    meta.mode = *mode;
    meta.microarch = j.value("microarch", "");
    meta.name = j.value("name", "");
    meta.session = j.value("session", "");
    meta.command = j.value("command", std::vector<std::string>{});
    meta.cwd = j.value("cwd", "");
    meta.chaos = j.value("chaos", false);
    meta.exit_code = j.value("exit_code", 0);
    meta.recorded_at = j.value("recorded_at", "");
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": ", e.what()));
  }
  return meta;
}

}  // namespace pyreplay
