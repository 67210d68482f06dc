// pack_info.h: what a `.pyrtrace` pack holds, read without unpacking it.
//
// Reads the manifest and the sidecar files (recording metadata and marks), each checked against
// its SHA-256, then reads on to the end without writing anything: every byte must match the
// pack's closing digest, so a damaged pack is an error here as in `unpack`, not a summary.
//
//   ASSIGN_OR_RETURN(PackInfo info, ReadPackInfo("bug.pyrtrace"));
//   printf("%s", FormatPackInfo(info).c_str());
#ifndef PYREPLAY_REPLAY_PACK_PACK_INFO_H_
#define PYREPLAY_REPLAY_PACK_PACK_INFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "replay/common/rr_dialect.h"
#include "replay/marks/mark_store.h"
#include "replay/pack/pack_manifest.h"

namespace pyreplay {

struct PackInfo {
  std::string path;
  uint64_t pack_bytes = 0;
  PackManifest manifest;
  nlohmann::json recording;   // pyreplay/meta.json, or null for a plain rr trace
  std::vector<Mark> marks;
  bool verified = false;      // every byte matched the closing digest (always, once returned)
  std::optional<RrRelease> installed_rr;  // this machine's rr, to compare with the recorder's
};

// PackRecordedRr is the rr release that recorded the packed trace: the manifest's, else (packs
// made before the manifest had it) the recording metadata's; "" when unknown.
std::string PackRecordedRr(const PackInfo& info);

// ReadPackInfo reads a pack's summary, verifying the whole pack. Errors as PackReader::Open /
// Next / ReadData: DataLoss naming the pack for any damaged byte.
absl::StatusOr<PackInfo> ReadPackInfo(const std::string& pack_path);

// FormatPackInfo is the human-readable summary: recorded command, mode, sizes, debug files, and
// every mark with its author.
std::string FormatPackInfo(const PackInfo& info);

// PackInfoToJson is the same as JSON.
nlohmann::json PackInfoToJson(const PackInfo& info);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_PACK_INFO_H_
