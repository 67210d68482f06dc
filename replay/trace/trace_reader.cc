#include "replay/trace/trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <new>
#include <optional>

#include <kj/exception.h>
#include <kj/io.h>

#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/common/rr_dialect.h"
#include "replay/common/sha256.h"
#include "replay/common/status_macros.h"
#include "replay/trace/internal/chunk_format.h"
#include "replay/trace/rr_trace.capnp.h"
#include "replay/trace/trace_digests.h"

namespace pyreplay {

using internal::ErrnoStatus;

namespace {

// Limits for one message: rr's largest frames (many memWrites, big registers) are far smaller.
constexpr uint64_t kTraversalLimitWords = 64u << 20;  // 512 MiB of traversal per message
constexpr int kNestingLimit = 64;
constexpr size_t kScratchWords = 8192;                // 64 KiB, reused for every message

capnp::ReaderOptions StreamReaderOptions() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalLimitWords;
  options.nestingLimit = kNestingLimit;
  return options;
}

}  // namespace

namespace internal {

// ChunkInput is a kj::BufferedInputStream over the decompressed chunks of one rr stream file. It
// holds one compressed and one decompressed chunk at a time. Errors are kept as a status and
// thrown as a KJ exception so that Cap'n Proto's parser stops; StreamReader turns them back.
class ChunkInput final : public kj::BufferedInputStream {
 public:
  // `expected`, when given, is what the file was when it was recorded (trace_digests.h): every
  // byte read is hashed on the way (a small cost beside decompression), and the clean end of the
  // stream is an error when the hash differs. `trace_dir` is for that error's message.
  ChunkInput(std::string path, int fd, uint64_t file_size,
             std::optional<FileDigest> expected = std::nullopt, std::string trace_dir = "")
      : path_(std::move(path)), fd_(fd), file_size_(file_size), expected_(std::move(expected)),
        trace_dir_(std::move(trace_dir)) {}
  ~ChunkInput() noexcept(false) override { close(fd_); }

  kj::ArrayPtr<const kj::byte> tryGetReadBuffer() override {
    while (pos_ == chunk_.size()) {
      if (!Refill()) return nullptr;
    }
    return kj::ArrayPtr<const kj::byte>(chunk_.data() + pos_, chunk_.size() - pos_);
  }

  size_t tryRead(void* buffer, size_t min_bytes, size_t max_bytes) override {
    auto* out = static_cast<kj::byte*>(buffer);
    size_t done = 0;
    while (done < min_bytes) {
      kj::ArrayPtr<const kj::byte> available = tryGetReadBuffer();
      if (available.size() == 0) break;
      size_t n = std::min(available.size(), max_bytes - done);
      memcpy(out + done, available.begin(), n);
      pos_ += n;
      done += n;
    }
    return done;
  }

  void skip(size_t bytes) override {
    while (bytes > 0) {
      kj::ArrayPtr<const kj::byte> available = tryGetReadBuffer();
      if (available.size() == 0) {
        Throw(absl::DataLossError(absl::StrCat(Where(), ": stream ends in the middle of a message")));
      }
      size_t n = std::min(available.size(), bytes);
      pos_ += n;
      bytes -= n;
    }
  }

  // Where names the current position: file, chunk, byte offset of the chunk in the file, and
  // the offset in the decompressed stream.
  std::string Where() const {
    return absl::StrCat(path_, ": chunk ", chunk_index_, " at byte ", chunk_start_,
                        " (stream byte ", stream_offset_ + pos_, ")");
  }

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  uint64_t file_offset() const { return file_offset_; }
  const absl::Status& status() const { return status_; }

 private:
  [[noreturn]] void Throw(absl::Status status) {
    if (status_.ok()) status_ = std::move(status);
    kj::throwFatalException(KJ_EXCEPTION(FAILED, std::string(status_.message()).c_str()));
  }

  bool ReadExactly(void* out, size_t bytes) {
    auto* p = static_cast<char*>(out);
    size_t done = 0;
    while (done < bytes) {
      ssize_t n = ::read(fd_, p + done, bytes - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Throw(ErrnoStatus(path_, "read failed", errno));
      if (n == 0) return false;
      if (expected_) hash_.Update(p + done, static_cast<size_t>(n));
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // CheckDigest runs once, at the clean end of the file.
  void CheckDigest() {
    if (!expected_ || digest_checked_) return;
    digest_checked_ = true;
    if (hash_.HexDigest() != expected_->sha256) {
      Throw(ChangedAfterRecording(trace_dir_, expected_->path,
                                  "its SHA-256 is not the one recorded in pyreplay/digests"));
    }
  }

  // Refill decompresses the next chunk. False at the clean end of the file.
  bool Refill() {
    if (!status_.ok()) Throw(status_);
    if (file_offset_ >= file_size_) {
      CheckDigest();
      return false;
    }
    stream_offset_ += chunk_.size();
    chunk_.clear();
    pos_ = 0;
    if (started_) ++chunk_index_;
    started_ = true;
    chunk_start_ = file_offset_;
    ChunkHeader header;
    if (file_size_ - file_offset_ < sizeof(header) || !ReadExactly(&header, sizeof(header))) {
      Throw(TruncatedChunkHeader(path_, chunk_index_, chunk_start_,
                                 std::min<uint64_t>(file_size_ - file_offset_, sizeof(header))));
    }
    file_offset_ += sizeof(header);
    absl::Status checked =
        CheckChunkHeader(path_, chunk_index_, chunk_start_, header, file_size_ - file_offset_);
    if (!checked.ok()) Throw(std::move(checked));
    compressed_.resize(header.compressed);
    if (!ReadExactly(compressed_.data(), header.compressed)) {
      Throw(absl::DataLossError(absl::StrCat(ChunkWhere(path_, chunk_index_, chunk_start_),
                                             ": file ended while reading it")));
    }
    file_offset_ += header.compressed;
    absl::Status decompressed = DecompressChunk(path_, chunk_index_, chunk_start_, compressed_,
                                                header.uncompressed, &chunk_);
    if (!decompressed.ok()) Throw(std::move(decompressed));
    return true;
  }

  std::string path_;
  int fd_;
  uint64_t file_size_;
  uint64_t file_offset_ = 0;     // compressed bytes consumed
  uint64_t chunk_index_ = 0;
  uint64_t chunk_start_ = 0;     // file offset of the current chunk's header
  uint64_t stream_offset_ = 0;   // decompressed bytes before the current chunk
  bool started_ = false;
  std::vector<kj::byte> compressed_;
  std::vector<kj::byte> chunk_;
  size_t pos_ = 0;
  absl::Status status_;
  std::optional<FileDigest> expected_;
  std::string trace_dir_;
  Sha256 hash_;
  bool digest_checked_ = false;
};

}  // namespace internal

absl::StatusOr<TraceHeader> ParseTraceHeader(const std::string& path, absl::string_view bytes) {
  if (bytes.empty()) return absl::DataLossError(absl::StrCat(path, ": empty file, not an rr trace"));
  size_t newline = bytes.find('\n');
  int version = 0;
  bool digits = newline != absl::string_view::npos && newline > 0 && newline <= 9;
  for (size_t i = 0; digits && i < newline; ++i) {
    if (bytes[i] < '0' || bytes[i] > '9') digits = false;
    else version = version * 10 + (bytes[i] - '0');
  }
  if (!digits) {
    return absl::DataLossError(
        absl::StrCat(path, ": does not start with a trace format number, not an rr trace"));
  }
  if (version != kSupportedTraceVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": trace format version ", version, ", but pyreplay reads version ",
        kSupportedTraceVersion, " (", SupportedRrRange(), "); replay it with the rr that "
        "recorded it (rr dump, rr replay)"));
  }
  absl::string_view rest = bytes.substr(newline + 1);
  if (rest.empty()) return absl::DataLossError(absl::StrCat(path, ": header missing after version"));
  TraceHeader header;
  header.version = version;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(rest.data()), rest.size()));
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1 << 20;
    options.nestingLimit = kNestingLimit;
    capnp::PackedMessageReader message(input, options);
    rr::Header::Reader root = message.getRoot<rr::Header>();
    capnp::Data::Reader uuid = root.getUuid();
    header.uuid.assign(reinterpret_cast<const char*>(uuid.begin()), uuid.size());
    header.ok = root.getOk();
    header.ticks_semantics = static_cast<int>(root.getTicksSemantics());
  });
  KJ_IF_MAYBE(e, error) {
    return absl::DataLossError(
        absl::StrCat(path, ": corrupt header at byte ", newline + 1, ": ", e->getDescription().cStr()));
  }
  if (header.uuid.size() != 16) {
    return absl::DataLossError(absl::StrCat(path, ": header has a ", header.uuid.size(),
                                            "-byte uuid, expected 16"));
  }
  return header;
}

absl::StatusOr<TraceHeader> ReadTraceHeader(const std::string& trace_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(trace_dir, ec) && !ec) {
    return absl::NotFoundError(absl::StrCat(trace_dir, ": no such trace"));
  }
  std::string path = (std::filesystem::path(trace_dir) / "version").string();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(trace_dir, ": not an rr trace (no version file)"));
    }
    return ErrnoStatus(path, "cannot open", err);
  }
  std::string bytes;
  char buffer[4096];
  while (bytes.size() < (1 << 20)) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoStatus(path, "read failed", err);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return ParseTraceHeader(path, bytes);
}

std::string UuidHex(absl::string_view uuid) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : uuid) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

StreamReader::StreamReader(std::unique_ptr<internal::ChunkInput> input)
    : input_(std::move(input)), scratch_(kScratchWords) {}

StreamReader::~StreamReader() { DropMessage(); }

// DropMessage destroys the current message reader, whose destructor reads on past the message's
// unread segments and may throw: it must not throw out of here.
void StreamReader::DropMessage() {
  if (!has_message_) return;
  has_message_ = false;
  // If the destructor throws, its members are still destroyed: the storage is free either way.
  kj::Maybe<kj::Exception> ignored =
      kj::runCatchingExceptions([&]() { message()->~PackedMessageReader(); });
  (void)ignored;
}

absl::StatusOr<std::unique_ptr<StreamReader>> StreamReader::Open(const std::string& trace_dir,
                                                                 const std::string& stream) {
  const std::string path = (std::filesystem::path(trace_dir) / stream).string();
  ASSIGN_OR_RETURN(std::optional<FileDigest> expected, ExpectedDigest(trace_dir, stream));
  ASSIGN_OR_RETURN(internal::OpenedStreamFile file, internal::OpenStreamFile(path));
  if (expected && expected->size != file.size) {
    close(file.fd);
    return ChangedAfterRecording(trace_dir, stream,
                                 absl::StrCat(file.size, " bytes, ", expected->size,
                                              " when recorded"));
  }
  posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto input = std::make_unique<internal::ChunkInput>(path, file.fd, file.size,
                                                      std::move(expected), trace_dir);
  return std::unique_ptr<StreamReader>(new StreamReader(std::move(input)));
}

absl::StatusOr<std::unique_ptr<StreamReader>> StreamReader::OpenFile(const std::string& path) {
  ASSIGN_OR_RETURN(internal::OpenedStreamFile file, internal::OpenStreamFile(path));
  posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  auto input = std::make_unique<internal::ChunkInput>(path, file.fd, file.size);
  return std::unique_ptr<StreamReader>(new StreamReader(std::move(input)));
}

absl::Status StreamReader::Fail(const std::string& what) {
  if (!input_->status().ok()) {
    error_ = input_->status();
  } else {
    error_ = absl::DataLossError(absl::StrCat(input_->Where(), ": corrupt message after ",
                                              messages_, " messages: ", what));
  }
  return error_;
}

absl::StatusOr<bool> StreamReader::Next() {
  if (!error_.ok()) return error_;
  bool more = false;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    DropMessage();
    if (input_->tryGetReadBuffer().size() == 0) return;
    new (message_storage_) capnp::PackedMessageReader(
        *input_, StreamReaderOptions(), kj::ArrayPtr<capnp::word>(scratch_.data(), scratch_.size()));
    has_message_ = true;
    // Read every segment now (Cap'n Proto reads the later ones lazily), so a truncated message
    // fails here and the reader's destructor has nothing left to read.
    for (capnp::uint id = 1; id < 1024 && message()->getSegment(id) != nullptr; ++id) {
    }
    more = true;
  });
  KJ_IF_MAYBE(e, error) {
    DropMessage();
    return Fail(e->getDescription().cStr());
  }
  if (more) ++messages_;
  return more;
}

uint64_t StreamReader::file_size() const { return input_->file_size(); }
uint64_t StreamReader::compressed_read() const { return input_->file_offset(); }
const std::string& StreamReader::path() const { return input_->path(); }

absl::StatusOr<uint64_t> DecodeEvents(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> events, StreamReader::Open(trace_dir, "events"));
  uint64_t checksum = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool more, events->Next());
    if (!more) break;
    RETURN_IF_ERROR(events->Visit([&]() -> absl::Status {
      checksum += static_cast<uint32_t>(events->Root<rr::Frame>().getTid());
      return absl::OkStatus();
    }));
  }
  (void)checksum;
  return events->messages();
}

}  // namespace pyreplay
