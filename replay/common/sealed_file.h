// sealed_file.h: a sidecar file that carries its own checksum, so a changed byte is caught.
//
// pyreplay's binary and text sidecars (the index, the deep index, marks, the trace's digests) end
// in one fixed 80-byte text line:
//
//   "PYRSEAL sha256 <64 hex digits of SHA-256 over every byte before this line>\n"
//
// A file without that line is "unsealed" (written before pyreplay sealed its files). A damaged
// seal line and a damaged payload are the same thing to a reader: the bytes are not what the
// writer wrote.
//
//   std::string bytes = Seal(SerializeMarkFile(marks));
//   ASSIGN_OR_RETURN(Unsealed file, Unseal(bytes, path));
//   if (!file.sealed) ...   // an older file: no checksum to check
//   Parse(file.payload);
#ifndef PYREPLAY_REPLAY_COMMON_SEALED_FILE_H_
#define PYREPLAY_REPLAY_COMMON_SEALED_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

inline constexpr size_t kSealBytes = 80;

// Seal is `payload` followed by its seal line.
std::string Seal(absl::string_view payload);

// Unsealed is a file's payload (a view into the bytes given to Unseal) and whether it had a seal.
struct Unsealed {
  absl::string_view payload;
  bool sealed = false;
};

// Unseal checks the seal line at the end of `bytes`. DataLoss naming `origin` when the line is
// there but the checksum does not match. A file without a seal line is returned whole, unsealed.
absl::StatusOr<Unsealed> Unseal(absl::string_view bytes, absl::string_view origin);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_SEALED_FILE_H_
