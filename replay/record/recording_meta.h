// recording_meta.h: what pyreplay knows about a recording, kept in <trace>/pyreplay/meta.json.
//
// rr's own files are never modified; everything pyreplay adds to a trace lives in its sidecar
// folder `pyreplay/`, which `rr pack` keeps. `replay` reads the mode from here so a no-PMU trace is
// always replayed in no-PMU mode.
//
//   ASSIGN_OR_RETURN(RecordingMeta meta, ReadRecordingMeta(trace_dir));
//   if (meta.mode == PmuMode::kNoPmu) ...
#ifndef PYREPLAY_REPLAY_RECORD_RECORDING_META_H_
#define PYREPLAY_REPLAY_RECORD_RECORDING_META_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/record/pmu_mode.h"

namespace pyreplay {

// Format 2 adds "sha256", the file's own checksum (recording_meta.cc).
inline constexpr int kRecordingMetaFormat = 2;

struct RecordingMeta {
  int format = kRecordingMetaFormat;
  std::string pyreplay_version;
  std::string rr_version;
  PmuMode mode = PmuMode::kNoPmu;
  std::string microarch;               // the --microarch given to rr, or ""
  std::string name;                    // e.g. "threads"
  std::string session;                 // chapter session name, or ""
  std::vector<std::string> command;    // the recorded command line
  std::string cwd;
  bool chaos = false;
  int exit_code = 0;                   // the recorded program's status, shell style
  std::string recorded_at;             // RFC 3339, UTC
};

// SidecarDir is <trace>/pyreplay.
std::string SidecarDir(const std::string& trace_dir);

// WriteRecordingMeta writes meta.json atomically (temp file, fsync, rename).
absl::Status WriteRecordingMeta(const std::string& trace_dir, const RecordingMeta& meta);

// ReadRecordingMeta reads meta.json. NotFound for a trace not recorded by pyreplay (a plain rr
// trace), DataLoss for a corrupt file, FailedPrecondition for a newer format.
absl::StatusOr<RecordingMeta> ReadRecordingMeta(const std::string& trace_dir);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_RECORD_RECORDING_META_H_
