#include "replay/record/recording_meta.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"

namespace pyreplay {

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
  return WriteFileAtomically(SidecarDir(trace_dir) + "/meta.json", j.dump(2) + "\n");
}

absl::StatusOr<RecordingMeta> ReadRecordingMeta(const std::string& trace_dir) {
  std::string path = SidecarDir(trace_dir) + "/meta.json";
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": no pyreplay metadata (not recorded by "
                                                  "pyreplay record?)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt JSON"));
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
