// pack_manifest.h: the table of contents of a `.pyrtrace` pack, and the rules its paths obey.
//
// A pack is a zstd-compressed tar. Its first entry is the manifest (kManifestName, JSON): the pack
// format version and, for every other entry, its path, size and SHA-256. Unpacking trusts nothing
// that the manifest does not list and that does not match it.
//
//   PackManifest manifest;
//   manifest.files.push_back({.path = "events", .size = 25716, .sha256 = "ab12..."});
//   std::string json = SerializeManifest(manifest);
//   ASSIGN_OR_RETURN(PackManifest back, ParseManifest(json, "bug.pyrtrace"));
#ifndef PYREPLAY_REPLAY_PACK_PACK_MANIFEST_H_
#define PYREPLAY_REPLAY_PACK_PACK_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// The pack format this pyreplay writes and the newest it reads.
inline constexpr int kPackFormatVersion = 1;
// The manifest's name inside the archive. It is never extracted.
inline constexpr char kManifestName[] = "pyreplay-pack.json";
// Where bundled debug files live inside a trace (and a pack): gdb's .build-id layout.
inline constexpr char kBundledDebugDir[] = "pyreplay/debug";
// The sidecar files `info` and `marks merge` read without unpacking; the packer puts them first.
inline constexpr char kPackedMetaPath[] = "pyreplay/meta.json";
inline constexpr char kPackedMarksPath[] = "pyreplay/marks";

enum class PackFileKind { kTrace, kSidecar, kDebug };

struct PackFile {
  std::string path;        // relative to the trace folder, '/'-separated
  uint64_t size = 0;
  std::string sha256;      // 64 lowercase hex digits
  PackFileKind kind = PackFileKind::kTrace;
  bool executable = false;
  std::string build_id;    // kDebug: the build-id it carries
  std::string debug_for;   // kDebug: the trace file (mapped ELF) it belongs to
};

struct PackManifest {
  int format = kPackFormatVersion;
  std::string created_by;  // "pyreplay 0.1.0"
  std::string trace_name;  // the packed folder's name, the default unpack target
  // The rr that recorded the trace ("5.9.0"; "" when unknown: a plain rr trace) and the trace's
  // format number (rr's `version` file; 0 when unknown), for `unpack` and `info` to compare
  // with the rr where it is opened (rr_compat.h).
  std::string rr_version;
  int rr_trace_format = 0;
  std::vector<PackFile> files;

  // TotalBytes is the sum of the files' sizes, saturated at UINT64_MAX: a crafted manifest
  // whose sizes wrap around 2^64 must never look small. SizesOverflow says it saturated.
  uint64_t TotalBytes() const;
  bool SizesOverflow() const;
};

// SerializeManifest writes the manifest as JSON, in a fixed layout (no timestamps), so packing the
// same trace twice gives the same bytes.
std::string SerializeManifest(const PackManifest& manifest);

// ParseManifest reads and validates a manifest from the pack `origin`:
// - a newer format is FailedPrecondition ("made by a newer pyreplay ... upgrade");
// - anything malformed, an unsafe or duplicate path, a bad checksum field is DataLoss.
absl::StatusOr<PackManifest> ParseManifest(absl::string_view json, absl::string_view origin);

// CheckPackPath is OK for a path that may be written under an unpack target: relative, no `..`,
// `.` or empty components, no NUL, at most 4096 bytes, not the manifest, and never a gdb auto-load
// script name (`*-gdb.py`, `*-gdb.gdb`, `*-gdb.scm`). Bundled debug files must look like
// pyreplay/debug/.build-id/xx/<hex>.debug. InvalidArgument naming the path otherwise.
absl::Status CheckPackPath(absl::string_view path, PackFileKind kind);

absl::string_view PackFileKindName(PackFileKind kind);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_PACK_MANIFEST_H_
