// atomic_file.h: replace a file's contents so that readers see the old or the new, never half.
//
// Temp file in the same folder, write, fsync, rename over the target, fsync the folder. A crash at
// any point leaves the previous file intact (at worst a stray `.tmp-NAME-PID` file, which the next
// write of NAME removes once process PID is gone).
//
// Trace folders come from other people: a symbolic link planted where pyreplay writes (the
// target, or its temp file) would make it write wherever the link points. The temp file is
// created with O_EXCL | O_NOFOLLOW and a target that is a link is refused (FailedPrecondition).
#ifndef PYREPLAY_REPLAY_COMMON_ATOMIC_FILE_H_
#define PYREPLAY_REPLAY_COMMON_ATOMIC_FILE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pyreplay {

// WriteFileAtomically creates the parent folder if needed, then replaces `path` with `contents`.
// Errors name `path` (or the folder it could not create) and the reason; PermissionDenied when the
// folder or file is not writable (EACCES, EPERM, EROFS), NotFound for ENOENT.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

// ReadFileToString reads a whole file. NotFound when it does not exist. With `follow_links`
// false (every sidecar of a trace), a symbolic link is refused (FailedPrecondition).
absl::StatusOr<std::string> ReadFileToString(const std::string& path, bool follow_links = true);

// RefuseLink is FailedPrecondition when `path` is a symbolic link, naming it and what to do; OK
// when it is anything else or does not exist.
absl::Status RefuseLink(const std::string& path);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_ATOMIC_FILE_H_
