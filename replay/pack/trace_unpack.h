// trace_unpack.h: open a `.pyrtrace` pack from someone else, safely.
//
// Everything is extracted into a fresh temporary folder beside the target and checked against
// the manifest (pack_reader.h) before the folder is renamed into place; on any problem the
// temporary folder is removed and nothing else was written. Only regular files the manifest lists
// are created (O_EXCL|O_NOFOLLOW, in folders we made ourselves), so no entry can reach outside the
// target. Nothing from the pack is executed. An existing target is replaced only with `force`.
//
//   UnpackOptions options{.pack = "bug.pyrtrace", .target = "traces/bug"};
//   ASSIGN_OR_RETURN(UnpackSummary summary, UnpackTrace(options));
#ifndef PYREPLAY_REPLAY_PACK_TRACE_UNPACK_H_
#define PYREPLAY_REPLAY_PACK_TRACE_UNPACK_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "replay/pack/pack_manifest.h"
#include "replay/pack/pack_reader.h"

namespace pyreplay {

struct UnpackOptions {
  std::string pack;
  std::string target;   // "" = the pack's name without .pyrtrace, in the current folder
  bool force = false;   // replace an existing trace at `target`
  UnpackLimits limits;
  bool progress = true;
};

struct UnpackSummary {
  std::string target;
  PackManifest manifest;
  uint64_t bytes = 0;
  double seconds = 0;   // reading, decompressing, verifying and writing
  bool replaced = false;
};

// DefaultUnpackTarget is "NAME" for "dir/NAME.pyrtrace" (the file name without its extension).
std::string DefaultUnpackTarget(const std::string& pack);

// UnpackTrace unpacks options.pack. AlreadyExists when the target exists and !force;
// FailedPrecondition with force when the target is not a trace folder (it is never replaced);
// see PackReader for the pack's own errors.
absl::StatusOr<UnpackSummary> UnpackTrace(const UnpackOptions& options);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_TRACE_UNPACK_H_
