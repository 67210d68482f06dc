// chunk_format.h: rr's chunk framing, shared by the trace's two readers (private to replay/trace).
//
// Every rr stream file is a sequence of chunks: an 8-byte BlockHeader (little-endian u32
// compressed size, then u32 uncompressed size; rr's CompressedWriter.h) and one Brotli block.
// StreamReader (trace_reader.h) decompresses every chunk in turn; RawDataReader
// (raw_data_reader.h) reads the headers of all chunks but decompresses only the ones holding
// bytes it needs. Both check a header and decompress a block here, so a corrupt chunk gets the
// same message, naming the file, the chunk and its byte offset, whichever reader met it.
//
//   ChunkHeader header;
//   memcpy(&header, bytes, sizeof(header));
//   RETURN_IF_ERROR(CheckChunkHeader(path, index, start, header, file_size - start - 8));
//   RETURN_IF_ERROR(DecompressChunk(path, index, start, compressed, header.uncompressed, &out));
#ifndef PYREPLAY_REPLAY_TRACE_INTERNAL_CHUNK_FORMAT_H_
#define PYREPLAY_REPLAY_TRACE_INTERNAL_CHUNK_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay::internal {

// kMaxChunkBytes: rr writes chunks of 1 MiB uncompressed; anything far bigger is corrupt.
inline constexpr uint32_t kMaxChunkBytes = 64u << 20;

// ChunkHeader is rr's BlockHeader, as it lies in the file.
struct ChunkHeader {
  uint32_t compressed = 0;
  uint32_t uncompressed = 0;
};
static_assert(sizeof(ChunkHeader) == 8);

// ChunkWhere names a chunk: "<path>: chunk <index> at byte <start>".
std::string ChunkWhere(const std::string& path, uint64_t index, uint64_t start);

// TruncatedChunkHeader is the DataLoss of a file that ends `have` (< 8) bytes into a header.
absl::Status TruncatedChunkHeader(const std::string& path, uint64_t index, uint64_t start,
                                  uint64_t have);

// CheckChunkHeader rejects implausible sizes, and a compressed size beyond the `left` bytes the
// file holds after the header. DataLoss naming the chunk.
absl::Status CheckChunkHeader(const std::string& path, uint64_t index, uint64_t start,
                              const ChunkHeader& header, uint64_t left);

// DecompressChunk decompresses one Brotli block into `out` (resized to `uncompressed`); DataLoss
// when the block is corrupt or does not decompress to exactly that size.
absl::Status DecompressChunk(const std::string& path, uint64_t index, uint64_t start,
                             const std::vector<uint8_t>& compressed, uint32_t uncompressed,
                             std::vector<uint8_t>* out);

// ErrnoStatus is "<path>: <what>: <strerror>", as NotFound (ENOENT), PermissionDenied
// (EACCES, EPERM) or Unavailable.
absl::Status ErrnoStatus(const std::string& path, absl::string_view what, int err);

// OpenStreamFile opens one of the trace's stream files for reading: the fd and its size in
// bytes. A missing or unreadable file, or one that is not a regular file, is an error naming it.
struct OpenedStreamFile {
  int fd = -1;
  uint64_t size = 0;
};
absl::StatusOr<OpenedStreamFile> OpenStreamFile(const std::string& path);

}  // namespace pyreplay::internal

#endif  // PYREPLAY_REPLAY_TRACE_INTERNAL_CHUNK_FORMAT_H_
