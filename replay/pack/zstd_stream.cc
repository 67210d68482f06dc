#include "replay/pack/zstd_stream.h"

#include <archive.h>
#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// The closing frame: a zstd skippable frame (magic 0x184D2A5E, little-endian length 48) holding
// a tag and the SHA-256 of every byte before it.
constexpr char kDigestTag[16] = "pyreplay-sha256";
constexpr size_t kDigestFrameSize = 8 + 16 + 32;
const unsigned char kDigestFrameHead[8] = {0x5e, 0x2a, 0x4d, 0x18, 48, 0, 0, 0};

std::string HexToBytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string DigestFrame(const std::string& hex_digest) {
  std::string frame(reinterpret_cast<const char*>(kDigestFrameHead), 8);
  frame.append(kDigestTag, 16);
  frame += HexToBytes(hex_digest);
  return frame;
}

ZSTD_CCtx* C(void* p) { return static_cast<ZSTD_CCtx*>(p); }
ZSTD_DCtx* D(void* p) { return static_cast<ZSTD_DCtx*>(p); }

absl::Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::InternalError(absl::StrCat("write failed: ", strerror(errno)));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

ZstdFileWriter::ZstdFileWriter(int fd, int level, int threads)
    : fd_(fd), cctx_(ZSTD_createCCtx()), out_(ZSTD_CStreamOutSize()) {
  ZSTD_CCtx_setParameter(C(cctx_), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(C(cctx_), ZSTD_c_checksumFlag, 1);
  if (threads > 0) ZSTD_CCtx_setParameter(C(cctx_), ZSTD_c_nbWorkers, threads);
}

ZstdFileWriter::~ZstdFileWriter() { ZSTD_freeCCtx(C(cctx_)); }

absl::Status ZstdFileWriter::Drain(bool finish, const void* data, size_t size) {
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t left = ZSTD_compressStream2(C(cctx_), &out, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(left)) {
      return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(left)));
    }
    if (absl::Status s = WriteAll(fd_, out_.data(), out.pos); !s.ok()) return s;
    digest_.Update(out_.data(), out.pos);
    written_ += out.pos;
    if (finish ? left == 0 : in.pos == in.size) return absl::OkStatus();
  }
}

absl::Status ZstdFileWriter::Write(const void* data, size_t size) {
  if (status_.ok()) status_ = Drain(false, data, size);
  return status_;
}

absl::Status ZstdFileWriter::Finish() {
  if (status_.ok()) status_ = Drain(true, nullptr, 0);
  if (status_.ok()) {
    std::string frame = DigestFrame(digest_.HexDigest());
    status_ = WriteAll(fd_, frame.data(), frame.size());
    written_ += frame.size();
  }
  return status_;
}

absl::StatusOr<std::unique_ptr<ZstdFileReader>> ZstdFileReader::Open(const std::string& path) {
  std::unique_ptr<ZstdFileReader> r(new ZstdFileReader());
  r->fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) return absl::NotFoundError(absl::StrCat(path, ": ", strerror(errno)));
  r->dctx_ = ZSTD_createDCtx();
  r->in_.resize(ZSTD_DStreamInSize() * 8);
  r->out_.resize(ZSTD_DStreamOutSize() * 8);
  if (absl::Status s = r->Fill(); !s.ok()) return s;
  // The frame header (RFC 8878 3.1.1): magic 0xFD2FB528, then the descriptor byte, whose bit 2 is
  // Content_Checksum_flag.
  const unsigned char* head = reinterpret_cast<const unsigned char*>(r->in_.data());
  if (r->in_size_ < 5 || head[0] != 0x28 || head[1] != 0xb5 || head[2] != 0x2f || head[3] != 0xfd) {
    return absl::DataLossError("not zstd-compressed data (no zstd frame header)");
  }
  if ((head[4] & 0x04) == 0) {
    return absl::DataLossError("its zstd frame carries no checksum; pyreplay packs always do");
  }
  return r;
}

ZstdFileReader::~ZstdFileReader() {
  if (fd_ >= 0) close(fd_);
  ZSTD_freeDCtx(D(dctx_));
}

absl::Status ZstdFileReader::Fill() {
  if (in_pos_ < in_size_ || file_eof_) return absl::OkStatus();
  for (;;) {
    ssize_t n = read(fd_, in_.data(), in_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::DataLossError(absl::StrCat("read failed: ", strerror(errno)));
    in_pos_ = 0;
    in_size_ = static_cast<size_t>(n);
    file_eof_ = n == 0;
    return absl::OkStatus();
  }
}

absl::StatusOr<absl::string_view> ZstdFileReader::Next() {
  for (;;) {
    if (absl::Status s = Fill(); !s.ok()) return s;
    if (verified_) return absl::string_view();
    if (frame_done_) {
      // Collect the digest frame (and at most one byte more, which is already wrong).
      size_t take = std::min(in_size_ - in_pos_, kDigestFrameSize + 1 - trailer_.size());
      trailer_.append(in_.data() + in_pos_, take);
      in_pos_ += take;
      consumed_ += take;
      if (in_pos_ < in_size_ || trailer_.size() > kDigestFrameSize) {
        return absl::DataLossError("unexpected bytes after the closing checksum");
      }
      if (!file_eof_) continue;
      std::string expected = DigestFrame(digest_.HexDigest());
      if (trailer_.size() < kDigestFrameSize) {
        return absl::DataLossError("the closing checksum is missing (truncated file?)");
      }
      if (trailer_ != expected) {
        return absl::DataLossError("the compressed bytes do not match the closing checksum");
      }
      verified_ = true;
      return absl::string_view();
    }
    if (in_pos_ == in_size_) {
      return absl::DataLossError("the compressed data ends early (truncated file)");
    }
    ZSTD_inBuffer in{in_.data(), in_size_, in_pos_};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t ret = ZSTD_decompressStream(D(dctx_), &out, &in);
    digest_.Update(in_.data() + in_pos_, in.pos - in_pos_);
    consumed_ += in.pos - in_pos_;
    in_pos_ = in.pos;
    if (ZSTD_isError(ret)) {
      return absl::DataLossError(absl::StrCat("corrupt compressed data at byte ~", consumed_, " (",
                                              ZSTD_getErrorName(ret), ")"));
    }
    if (ret == 0) frame_done_ = true;
    if (out.pos > 0) return absl::string_view(out_.data(), out.pos);
  }
}

absl::Status ZstdFileReader::DrainToEnd(uint64_t max_bytes) {
  uint64_t left_over = 0;
  for (;;) {
    absl::StatusOr<absl::string_view> chunk = Next();
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) return absl::OkStatus();
    left_over += chunk->size();
    if (left_over > max_bytes) {
      // A few zero blocks are normal; gigabytes of them would only burn the receiver's CPU.
      return absl::DataLossError(absl::StrCat("more than ", max_bytes,
                                              " bytes follow the end of the archive"));
    }
  }
}

namespace {

la_ssize_t WriteCallback(archive* a, void* client, const void* buffer, size_t length) {
  absl::Status status = static_cast<ZstdFileWriter*>(client)->Write(buffer, length);
  if (!status.ok()) {
    archive_set_error(a, EIO, "%s", std::string(status.message()).c_str());
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

la_ssize_t ReadCallback(archive* a, void* client, const void** buffer) {
  absl::StatusOr<absl::string_view> chunk = static_cast<ZstdFileReader*>(client)->Next();
  if (!chunk.ok()) {
    archive_set_error(a, EIO, "%s", std::string(chunk.status().message()).c_str());
    return -1;
  }
  *buffer = chunk->data();
  return static_cast<la_ssize_t>(chunk->size());
}

}  // namespace

int ArchiveWriteOpenZstd(archive* a, ZstdFileWriter* out) {
  // Write whole 10 KiB blocks as tar does, but do not pad the last one: the bytes are the same
  // on every machine either way, and the pack is smaller.
  archive_write_set_bytes_in_last_block(a, 1);
  return archive_write_open(a, out, nullptr, WriteCallback, nullptr);
}

int ArchiveReadOpenZstd(archive* a, ZstdFileReader* in) {
  return archive_read_open(a, in, nullptr, ReadCallback, nullptr);
}

}  // namespace pyreplay
