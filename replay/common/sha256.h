// sha256.h: SHA-256 digests (OpenSSL's libcrypto): a pack's checksums, the index's stream stamps.
//
//   Sha256 hash;
//   hash.Update(chunk);
//   std::string hex = hash.HexDigest();   // 64 lowercase hex digits
//   ASSIGN_OR_RETURN(std::string file_hex, Sha256OfFile("trace/events"));
#ifndef PYREPLAY_REPLAY_COMMON_SHA256_H_
#define PYREPLAY_REPLAY_COMMON_SHA256_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// Sha256 is an incremental SHA-256. HexDigest finishes it; Update after that is a bug.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  std::string HexDigest();

 private:
  void* ctx_;  // EVP_MD_CTX*, owned
};

// Sha256Hex is the digest of `data` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view data);

// Sha256OfFile hashes a whole file; `size` (when given) receives its length. NotFound when it
// cannot be opened.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path, uint64_t* size = nullptr);

// IsSha256Hex is true for exactly 64 lowercase hex digits.
bool IsSha256Hex(absl::string_view text);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_SHA256_H_
