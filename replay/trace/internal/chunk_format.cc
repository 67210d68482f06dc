#include "replay/trace/internal/chunk_format.h"

#include <brotli/decode.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pyreplay::internal {

std::string ChunkWhere(const std::string& path, uint64_t index, uint64_t start) {
  return absl::StrCat(path, ": chunk ", index, " at byte ", start);
}

absl::Status TruncatedChunkHeader(const std::string& path, uint64_t index, uint64_t start,
                                  uint64_t have) {
  return absl::DataLossError(absl::StrCat(ChunkWhere(path, index, start),
                                          ": truncated chunk header (", have, " of 8 bytes)"));
}

absl::Status CheckChunkHeader(const std::string& path, uint64_t index, uint64_t start,
                              const ChunkHeader& header, uint64_t left) {
  if (header.uncompressed > kMaxChunkBytes || header.compressed > kMaxChunkBytes) {
    return absl::DataLossError(absl::StrCat(
        ChunkWhere(path, index, start), ": implausible chunk size (", header.compressed,
        " compressed, ", header.uncompressed, " uncompressed; at most ", kMaxChunkBytes, ")"));
  }
  if (header.compressed > left) {
    return absl::DataLossError(absl::StrCat(
        ChunkWhere(path, index, start), ": truncated (header says ", header.compressed,
        " compressed bytes, the file has ", left, " left)"));
  }
  return absl::OkStatus();
}

absl::Status DecompressChunk(const std::string& path, uint64_t index, uint64_t start,
                             const std::vector<uint8_t>& compressed, uint32_t uncompressed,
                             std::vector<uint8_t>* out) {
  out->resize(uncompressed);
  size_t produced = uncompressed;
  BrotliDecoderResult result =
      BrotliDecoderDecompress(compressed.size(), compressed.data(), &produced, out->data());
  if (result != BROTLI_DECODER_RESULT_SUCCESS || produced != uncompressed) {
    out->clear();
    return absl::DataLossError(absl::StrCat(
        ChunkWhere(path, index, start), ": corrupt Brotli block or wrong chunk size (",
        compressed.size(), " compressed bytes, expected ", uncompressed, " uncompressed",
        result == BROTLI_DECODER_RESULT_SUCCESS ? absl::StrCat(", got ", produced)
                                                : std::string(),
        ")"));
  }
  return absl::OkStatus();
}

absl::Status ErrnoStatus(const std::string& path, absl::string_view what, int err) {
  std::string message = absl::StrCat(path, ": ", what, ": ", strerror(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

absl::StatusOr<OpenedStreamFile> OpenStreamFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, "cannot open", errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoStatus(path, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return absl::DataLossError(absl::StrCat(path, ": not a regular file"));
  }
  return OpenedStreamFile{fd, static_cast<uint64_t>(st.st_size)};
}

}  // namespace pyreplay::internal
