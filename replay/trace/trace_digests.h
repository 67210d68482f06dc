// trace_digests.h: what every file of a trace was when it was recorded, so a change is caught.
//
// `pyreplay record` writes `<trace>/pyreplay/digests` once the recording ends: size and SHA-256 of
// every file rr wrote (version, events, tasks, mmaps, data, the mapped files) and of the sidecar
// files that never change after recording (pyreplay/meta.json, pyreplay/sources/...). The file is
// sealed (sealed_file.h). The sidecars that do change (index, deep, marks) carry their own seal.
//
// Readers check what they read as they go: StreamReader hashes the compressed bytes it reads and
// compares at the stream's end; LoadOrBuildIndex compares every file's size first (a stat each),
// so a truncated `data` is caught by `events` and `info`; `pyreplay verify` hashes everything.
// A trace without digests (recorded by plain rr, or by an older pyreplay) is "unverified".
//
//   ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(trace_dir));
//   if (!digests) ...                                          // unverified
//   RETURN_IF_ERROR(CheckTraceSizes(trace_dir, *digests));
#ifndef PYREPLAY_REPLAY_TRACE_TRACE_DIGESTS_H_
#define PYREPLAY_REPLAY_TRACE_TRACE_DIGESTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// FileDigest is one file, by its path relative to the trace folder.
struct FileDigest {
  std::string path;  // "events", "mmap_hardlink_3_python3.11", "pyreplay/meta.json"
  uint64_t size = 0;
  std::string sha256;  // 64 lowercase hex digits
};

struct TraceDigests {
  std::vector<FileDigest> files;  // sorted by path
  const FileDigest* Find(absl::string_view path) const;
};

// DigestsPath is `<trace_dir>/pyreplay/digests`.
std::string DigestsPath(const std::string& trace_dir);

// IsDigestedPath says whether the file at `relative` (to the trace folder) belongs in the
// digests: rr's files and the sidecar files written once, at recording.
bool IsDigestedPath(absl::string_view relative);

// ComputeTraceDigests hashes every digested file of the trace as it is now.
absl::StatusOr<TraceDigests> ComputeTraceDigests(const std::string& trace_dir);

// WriteTraceDigests computes and saves the digests (atomically, sealed).
absl::Status WriteTraceDigests(const std::string& trace_dir);

// SerializeTraceDigests / ParseTraceDigests: the file's text (sealed), and back. Parse is
// DataLoss naming `origin` for anything but a well-formed, sealed digests file.
std::string SerializeTraceDigests(const TraceDigests& digests);
absl::StatusOr<TraceDigests> ParseTraceDigests(absl::string_view bytes, absl::string_view origin);

// LoadTraceDigests reads the digests: nullopt when the trace has none (unverified), DataLoss
// when the file is damaged (which is itself a changed trace).
absl::StatusOr<std::optional<TraceDigests>> LoadTraceDigests(const std::string& trace_dir);

// ChangedAfterRecording is the one line for a file that is not what was recorded.
absl::Status ChangedAfterRecording(const std::string& trace_dir, absl::string_view file,
                                   absl::string_view how);

// CheckTraceSizes compares the size of every file in `digests` with the file on disk (no
// reading): DataLoss (ChangedAfterRecording) for the first missing or resized file.
absl::Status CheckTraceSizes(const std::string& trace_dir, const TraceDigests& digests);

// CheckTraceFiles hashes every file the digests list: ChangedAfterRecording for the first that
// differs; OK when all match or the trace has no digests (unverified). A full read of the trace.
absl::Status CheckTraceFiles(const std::string& trace_dir);

// CheckSmallFile hashes one small listed file (e.g. `version`, read whole by every command):
// ChangedAfterRecording when it differs; OK when it matches or is not listed.
absl::Status CheckSmallFile(const std::string& trace_dir, const TraceDigests& digests,
                            absl::string_view file);

// ExpectedDigest is the digest of `<trace_dir>/<file>` when the trace has digests; nullopt when
// it has none or they do not list the file; DataLoss when the digests file is damaged.
absl::StatusOr<std::optional<FileDigest>> ExpectedDigest(const std::string& trace_dir,
                                                         absl::string_view file);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TRACE_TRACE_DIGESTS_H_
