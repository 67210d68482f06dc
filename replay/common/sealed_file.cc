#include "replay/common/sealed_file.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "replay/common/sha256.h"

namespace pyreplay {
namespace {

constexpr absl::string_view kSealPrefix = "PYRSEAL sha256 ";

}  // namespace

std::string Seal(absl::string_view payload) {
  std::string out;
  out.reserve(payload.size() + kSealBytes);
  out.append(payload.data(), payload.size());
  absl::StrAppend(&out, kSealPrefix, Sha256Hex(payload), "\n");
  return out;
}

absl::StatusOr<Unsealed> Unseal(absl::string_view bytes, absl::string_view origin) {
  Unsealed out;
  out.payload = bytes;
  if (bytes.size() < kSealBytes) return out;
  absl::string_view line = bytes.substr(bytes.size() - kSealBytes);
  if (!absl::StartsWith(line, kSealPrefix)) return out;
  absl::string_view hex = line.substr(kSealPrefix.size(), 64);
  out.payload = bytes.substr(0, bytes.size() - kSealBytes);
  out.sealed = true;
  if (line.back() != '\n' || !IsSha256Hex(hex) || Sha256Hex(out.payload) != hex) {
    return absl::DataLossError(absl::StrCat(
        origin, " is damaged: its checksum does not match its contents (changed after pyreplay "
        "wrote it)"));
  }
  return out;
}

}  // namespace pyreplay
