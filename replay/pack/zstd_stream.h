// zstd_stream.h: the compressed layer of a `.pyrtrace` pack: one zstd frame with a content
// checksum (libzstd) under libarchive's tar, then a skippable frame holding the SHA-256 of every
// byte before it.
//
// libarchive 3.6's own zstd filter writes no checksum, and its tar reader stops at the end-of-
// archive blocks without reading the rest of the frame. Even zstd's content checksum leaves a few
// header bits uncovered (a larger window still decodes). Owning this layer lets the reader read
// to the very last byte and check the closing digest: any flipped or missing byte is caught. The
// result is still a plain .tar.zst (`tar --zstd -xf` skips the skippable frame).
//
//   ZstdFileWriter out(fd, /*level=*/3, /*threads=*/2);
//   RETURN_IF_ERROR(out.Write(data, size));
//   RETURN_IF_ERROR(out.Finish());
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ZstdFileReader> in, ZstdFileReader::Open(path));
//   ASSIGN_OR_RETURN(absl::string_view chunk, in->Next());   // empty at the end
//   RETURN_IF_ERROR(in->DrainToEnd());                        // checks the checksum, no trailer
#ifndef PYREPLAY_REPLAY_PACK_ZSTD_STREAM_H_
#define PYREPLAY_REPLAY_PACK_ZSTD_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/common/sha256.h"

struct archive;

namespace pyreplay {

// ZstdFileWriter compresses everything written into one checksummed zstd frame on `fd` (not
// owned). `threads` > 0 compresses on that many worker threads; the output depends on the level
// and on whether threads is 0 or not, never on timing, so packs stay reproducible.
class ZstdFileWriter {
 public:
  ZstdFileWriter(int fd, int level, int threads);
  ~ZstdFileWriter();
  ZstdFileWriter(const ZstdFileWriter&) = delete;
  ZstdFileWriter& operator=(const ZstdFileWriter&) = delete;

  absl::Status Write(const void* data, size_t size);
  // Finish ends the frame and flushes it. Nothing may be written after it.
  absl::Status Finish();
  uint64_t compressed_bytes() const { return written_; }

 private:
  absl::Status Drain(bool finish, const void* data, size_t size);

  int fd_;
  void* cctx_;  // ZSTD_CCtx*, owned
  Sha256 digest_;  // of every byte written
  std::vector<char> out_;
  uint64_t written_ = 0;
  absl::Status status_;
};

// ZstdFileReader decompresses a file that must be exactly one zstd frame with a content checksum,
// followed by the closing digest frame. Errors are DataLoss with a short reason (the caller names
// the file).
class ZstdFileReader {
 public:
  static absl::StatusOr<std::unique_ptr<ZstdFileReader>> Open(const std::string& path);
  ~ZstdFileReader();

  // Next returns the next decompressed bytes (valid until the next call); empty at the end of
  // the frame. The checksum is checked when the frame ends.
  absl::StatusOr<absl::string_view> Next();
  // DrainToEnd decompresses whatever is left (discarding it), then requires the frame to have
  // ended with a matching checksum, and the file to end with the digest frame, matching. More
  // than `max_bytes` of data left over is an error too (a tar ends with a few zero blocks).
  absl::Status DrainToEnd(uint64_t max_bytes = uint64_t{1} << 20);
  uint64_t compressed_position() const { return consumed_; }

 private:
  ZstdFileReader() = default;
  absl::Status Fill();

  int fd_ = -1;
  void* dctx_ = nullptr;  // ZSTD_DCtx*, owned
  std::vector<char> in_;
  size_t in_pos_ = 0;
  size_t in_size_ = 0;
  bool file_eof_ = false;
  bool frame_done_ = false;
  bool verified_ = false;  // the closing digest matched (Sha256 finishes once)
  uint64_t consumed_ = 0;
  Sha256 digest_;        // of the bytes of the zstd frame
  std::string trailer_;  // the bytes after it (the digest frame), at most one byte too many
  std::vector<char> out_;
};

// ArchiveWriteOpenZstd makes libarchive's writer `a` (format already set, no filter) write its
// tar through `out`. ArchiveReadOpenZstd makes the reader `a` read its tar from `in`; errors of
// `in` become libarchive errors (archive_error_string) with the reason. Both return ARCHIVE_OK
// or an error code; `out`/`in` must outlive `a`.
int ArchiveWriteOpenZstd(archive* a, ZstdFileWriter* out);
int ArchiveReadOpenZstd(archive* a, ZstdFileReader* in);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_ZSTD_STREAM_H_
