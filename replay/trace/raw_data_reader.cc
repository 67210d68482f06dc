#include "replay/trace/raw_data_reader.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"
#include "replay/trace/internal/chunk_format.h"

namespace pyreplay {

using internal::ChunkHeader;
using internal::ChunkWhere;
using internal::ErrnoStatus;

RawDataReader::RawDataReader(std::string path, int fd, uint64_t file_size)
    : path_(std::move(path)), fd_(fd), file_size_(file_size) {}

RawDataReader::~RawDataReader() { close(fd_); }

absl::StatusOr<std::unique_ptr<RawDataReader>> RawDataReader::Open(const std::string& trace_dir) {
  return OpenFile((std::filesystem::path(trace_dir) / "data").string());
}

absl::StatusOr<std::unique_ptr<RawDataReader>> RawDataReader::OpenFile(const std::string& path) {
  ASSIGN_OR_RETURN(internal::OpenedStreamFile file, internal::OpenStreamFile(path));
  return std::unique_ptr<RawDataReader>(new RawDataReader(path, file.fd, file.size));
}

absl::Status RawDataReader::Fail(absl::Status status) {
  if (error_.ok()) error_ = std::move(status);
  return error_;
}

bool RawDataReader::PreadExactly(void* out, size_t size, uint64_t offset, int* err) {
  auto* p = static_cast<char*>(out);
  size_t done = 0;
  *err = 0;
  while (done < size) {
    ssize_t n = pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = errno;
      return false;
    }
    if (n == 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

absl::StatusOr<bool> RawDataReader::NextChunk() {
  const uint64_t start = have_chunk_ ? next_chunk_start_ : 0;
  if (start >= file_size_) return false;
  if (have_chunk_) {
    if (!chunk_decompressed_) ++chunks_skipped_;
    ++chunk_index_;
    chunk_stream_start_ += chunk_size_;
  }
  have_chunk_ = true;
  chunk_decompressed_ = false;
  chunk_start_ = start;
  ChunkHeader header;
  int err = 0;
  if (file_size_ - start < sizeof(header) || !PreadExactly(&header, sizeof(header), start, &err)) {
    if (err != 0) return ErrnoStatus(path_, "read failed", err);
    return internal::TruncatedChunkHeader(path_, chunk_index_, start,
                                          std::min<uint64_t>(file_size_ - start, sizeof(header)));
  }
  const uint64_t left = file_size_ - start - sizeof(header);
  absl::Status checked = internal::CheckChunkHeader(path_, chunk_index_, start, header, left);
  if (!checked.ok()) return checked;
  chunk_compressed_ = header.compressed;
  chunk_size_ = header.uncompressed;
  next_chunk_start_ = start + sizeof(header) + header.compressed;
  return true;
}

absl::Status RawDataReader::Decompress() {
  compressed_.resize(chunk_compressed_);
  int err = 0;
  if (!PreadExactly(compressed_.data(), chunk_compressed_, chunk_start_ + sizeof(ChunkHeader),
                    &err)) {
    if (err != 0) return ErrnoStatus(path_, "read failed", err);
    return absl::DataLossError(absl::StrCat(ChunkWhere(path_, chunk_index_, chunk_start_),
                                            ": file ended while reading it"));
  }
  absl::Status status = internal::DecompressChunk(path_, chunk_index_, chunk_start_, compressed_,
                                                  chunk_size_, &chunk_);
  if (!status.ok()) return status;
  chunk_decompressed_ = true;
  ++chunks_decompressed_;
  return absl::OkStatus();
}

absl::Status RawDataReader::Read(void* out, size_t size) {
  if (!error_.ok()) return error_;
  auto* dest = static_cast<uint8_t*>(out);
  const uint64_t wanted_end = position_ + size;
  while (size > 0) {
    // Walk the headers to the chunk holding position_; the blocks in between stay compressed.
    while (!have_chunk_ || position_ >= chunk_stream_start_ + chunk_size_) {
      absl::StatusOr<bool> more = NextChunk();
      if (!more.ok()) {
        if (!absl::IsDataLoss(more.status())) return Fail(more.status());
        return Fail(absl::DataLossError(absl::StrCat(more.status().message(),
                                                     " (reading stream byte ", position_, ")")));
      }
      if (!*more) {
        return Fail(absl::DataLossError(absl::StrCat(
            path_, ": stream ends at stream byte ",
            have_chunk_ ? chunk_stream_start_ + chunk_size_ : 0, " (after chunk ",
            have_chunk_ ? absl::StrCat(chunk_index_, " at byte ", chunk_start_) : "none",
            "), but the trace's frames need bytes up to stream byte ", wanted_end)));
      }
    }
    if (!chunk_decompressed_) {
      absl::Status status = Decompress();
      if (!status.ok()) {
        return Fail(absl::DataLossError(absl::StrCat(
            status.message(), " (reading stream byte ", position_, ")")));
      }
    }
    const uint64_t at = position_ - chunk_stream_start_;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, chunk_size_ - at));
    memcpy(dest, chunk_.data() + at, n);
    dest += n;
    size -= n;
    position_ += n;
  }
  return absl::OkStatus();
}

absl::Status RawDataReader::Read(size_t size, std::string* out) {
  out->resize(size);
  absl::Status status = Read(out->data(), size);
  if (!status.ok()) out->clear();
  return status;
}

}  // namespace pyreplay
