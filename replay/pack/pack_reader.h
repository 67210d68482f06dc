// pack_reader.h: read a `.pyrtrace` pack as untrusted input, checking it against its manifest.
//
// The first entry must be the manifest. Every later entry must be a regular file the manifest
// lists, once, with the listed size; its data is checked against the listed SHA-256 as it is read.
// Links, devices, FIFOs, folders, unlisted or repeated names, more entries or bytes than the
// limits allow: all are refused before any data is handed out. Errors name the pack and the file.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<PackReader> reader, PackReader::Open("bug.pyrtrace"));
//   for (;;) {
//     ASSIGN_OR_RETURN(const PackFile* file, reader->Next());
//     if (file == nullptr) break;                   // every listed file was seen
//     RETURN_IF_ERROR(reader->ReadData([&](const char* data, size_t size) { ...; return ok; }));
//   }
#ifndef PYREPLAY_REPLAY_PACK_PACK_READER_H_
#define PYREPLAY_REPLAY_PACK_PACK_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "replay/pack/pack_manifest.h"
#include "replay/pack/zstd_stream.h"

struct archive;

namespace pyreplay {

// UnpackLimits bound what a pack may make us write (zip bombs).
struct UnpackLimits {
  uint64_t max_entries = 100000;
  uint64_t max_bytes = uint64_t{64} << 30;  // 64 GiB of files
  uint64_t max_manifest_bytes = 16 << 20;
};

class PackReader {
 public:
  // Open reads and checks the manifest. NotFound for a missing file, DataLoss for a file that is
  // no pack or whose manifest is corrupt, FailedPrecondition for a newer pack format or a pack
  // over the limits.
  static absl::StatusOr<std::unique_ptr<PackReader>> Open(const std::string& path,
                                                         const UnpackLimits& limits = {});
  ~PackReader();

  const PackManifest& manifest() const { return manifest_; }
  const std::string& path() const { return path_; }

  // Next moves to the next entry and returns its manifest line; nullptr at the end of the
  // archive, after checking that no listed file is missing and that the compressed stream ends
  // with a matching checksum and nothing after it.
  absl::StatusOr<const PackFile*> Next();

  // ReadData streams the current entry's data to `sink`, then checks its size and SHA-256.
  // DataLoss naming the file when they differ or the archive is damaged. Every byte handed to
  // `sink` is also counted against the limits' max_bytes, and every entry against max_entries,
  // as it goes: the limits bound what is written, whatever the manifest claims.
  absl::Status ReadData(const std::function<absl::Status(const char*, size_t)>& sink);

  // ReadFile reads the current entry into memory (for small sidecar files).
  absl::StatusOr<std::string> ReadFile();

  // Compressed bytes consumed so far.
  uint64_t compressed_position() const;

 private:
  PackReader() = default;
  absl::Status Corrupt(absl::string_view what) const;

  std::string path_;
  std::unique_ptr<ZstdFileReader> zstd_;  // under archive_, which reads through it
  archive* archive_ = nullptr;
  PackManifest manifest_;
  absl::flat_hash_map<std::string, size_t> index_;  // path -> manifest_.files position
  std::set<std::string> seen_;
  const PackFile* current_ = nullptr;
  bool current_read_ = true;
  UnpackLimits limits_;
  uint64_t bytes_out_ = 0;    // handed to a sink so far, over every entry
};

// ReadPackedFile returns the contents of one file of a pack (e.g. kPackedMarksPath) without
// unpacking the rest, once the whole pack is verified: that file against its SHA-256, the rest
// by reading on to the closing digest (decompressed and discarded). NotFound when the pack
// holds no such file; DataLoss naming the pack when any byte of it is damaged.
absl::StatusOr<std::string> ReadPackedFile(const std::string& pack_path, const std::string& path);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_PACK_READER_H_
