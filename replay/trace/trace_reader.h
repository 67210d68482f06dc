// trace_reader.h: read rr 5.6.0's trace files directly, streaming, with bounded memory.
//
// A trace folder holds `version` (the format number on a line, then a packed Cap'n Proto Header)
// and the streams `events`, `tasks`, `mmaps`, `data`. Each stream is a sequence of chunks: two
// little-endian u32 values (compressed size, then uncompressed size: rr's
// CompressedWriter::BlockHeader) followed by one Brotli block. The decompressed bytes of all chunks,
// concatenated, are packed Cap'n Proto messages, which may straddle chunk boundaries.
// StreamReader decompresses one chunk at a time (about 1 MiB each) and parses one message at a
// time, reusing its buffers, so memory does not grow with the trace.
//
//   ASSIGN_OR_RETURN(TraceHeader header, ReadTraceHeader("traces/sockets-1"));
//   ASSIGN_OR_RETURN(auto events, StreamReader::Open("traces/sockets-1", "events"));
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, events->Next());
//     if (!more) break;
//     rr::Frame::Reader frame = events->Root<rr::Frame>();   // valid until the next Next()
//   }
//
// Errors: NotFound for a missing file, FailedPrecondition for another format version (naming
// both), DataLoss for truncated or corrupt data (naming the file, the chunk and the byte offset).
// No exception leaves this file.
#ifndef PYREPLAY_REPLAY_TRACE_TRACE_READER_H_
#define PYREPLAY_REPLAY_TRACE_TRACE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <capnp/serialize-packed.h>
#include <kj/exception.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// kSupportedTraceVersion is rr 5.6.0's trace format number (TRACE_VERSION in TraceStream.cc).
inline constexpr int kSupportedTraceVersion = 85;

// TraceHeader is what the `version` file says.
struct TraceHeader {
  int version = 0;
  std::string uuid;          // 16 raw bytes
  bool ok = true;            // false: rr died while recording
  int ticks_semantics = 0;   // rr::TicksSemantics
};

// ParseTraceHeader parses the bytes of a `version` file; `path` names it in errors.
absl::StatusOr<TraceHeader> ParseTraceHeader(const std::string& path, absl::string_view bytes);

// ReadTraceHeader reads `<trace_dir>/version`. NotFound when it is missing (not a trace),
// FailedPrecondition for another version, DataLoss for a corrupt header.
absl::StatusOr<TraceHeader> ReadTraceHeader(const std::string& trace_dir);

// UuidHex renders a uuid's raw bytes as 32 hex digits.
std::string UuidHex(absl::string_view uuid);

namespace internal {
class ChunkInput;
}

// StreamReader reads the messages of one rr stream file, one at a time.
class StreamReader {
 public:
  // Open opens `<trace_dir>/<stream>` (e.g. "events"). NotFound when missing.
  static absl::StatusOr<std::unique_ptr<StreamReader>> Open(const std::string& trace_dir,
                                                            const std::string& stream);
  // OpenFile opens a stream file by path.
  static absl::StatusOr<std::unique_ptr<StreamReader>> OpenFile(const std::string& path);
  ~StreamReader();

  // Next reads the next message: true when there is one, false at the clean end of the stream,
  // DataLoss when the stream is truncated or corrupt. After an error every call returns it.
  absl::StatusOr<bool> Next();

  // Root is the current message as a T (e.g. rr::Frame). Valid until the next call to Next().
  // Cap'n Proto checks pointers lazily, so reading fields of a corrupt message throws a KJ
  // exception: read them inside Visit.
  template <typename T>
  typename T::Reader Root() {
    return message()->getRoot<T>();
  }

  // Visit runs `f` (which reads the current message) and turns a KJ exception from it into a
  // DataLoss status naming the file, chunk and offset.
  template <typename F>
  absl::Status Visit(F&& f) {
    absl::Status status;
    kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() { status = f(); });
    KJ_IF_MAYBE(e, error) { return Fail(e->getDescription().cStr()); }
    return status;
  }

  uint64_t messages() const { return messages_; }     // messages read so far
  uint64_t file_size() const;                         // compressed bytes in the file
  uint64_t compressed_read() const;                   // compressed bytes consumed so far
  const std::string& path() const;

 private:
  explicit StreamReader(std::unique_ptr<internal::ChunkInput> input);
  absl::Status Fail(const std::string& what);
  void DropMessage();

  std::unique_ptr<internal::ChunkInput> input_;
  capnp::PackedMessageReader* message() {
    return reinterpret_cast<capnp::PackedMessageReader*>(message_storage_);
  }
  // The current message reader, constructed in place. Not a std::optional: the reader's
  // destructor may throw (it reads on past unread segments), and std::optional's reset is
  // noexcept, so a truncated stream would terminate the process.
  alignas(capnp::PackedMessageReader) unsigned char message_storage_[sizeof(
      capnp::PackedMessageReader)];
  bool has_message_ = false;
  std::vector<capnp::word> scratch_;
  uint64_t messages_ = 0;
  absl::Status error_;
};

// DecodeEvents decompresses and decodes every frame of `<trace_dir>/events` and does nothing
// else: the floor an index build is measured against. Returns the number of frames.
absl::StatusOr<uint64_t> DecodeEvents(const std::string& trace_dir);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TRACE_TRACE_READER_H_
