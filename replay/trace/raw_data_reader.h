// raw_data_reader.h: read chosen bytes of rr's `data` stream, decompressing only what is needed.
//
// rr stores the memory a recorded event wrote (a syscall's output buffers, a buffered-syscall
// flush, mapped file contents) in the `data` stream. Each Frame of `events` lists its memWrites
// {addr, size, holes}; the data stream is the concatenation, over frames in order and over each
// frame's memWrites in order, of each write's bytes without its holes (zero runs rr does not
// store: TraceStream.cc, read_raw_data_for_frame_with_holes). Its stream offsets therefore come
// from the events stream alone.
//
// The stream is chunked like every rr stream (internal/chunk_format.h), but an index needs only a
// few hundred bytes of it (the addresses accept wrote) out of megabytes. RawDataReader moves
// forward only. Skip() costs nothing; Read() walks the chunk headers up to the bytes it needs,
// seeking over the Brotli blocks of the chunks in between *without decompressing them*, and
// decompresses only the chunk(s) holding those bytes. It keeps one chunk in memory.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<RawDataReader> data, RawDataReader::Open(trace_dir));
//   data->Skip(offset - data->position());      // offset: summed from the frames' memWrites
//   std::string sockaddr;
//   RETURN_IF_ERROR(data->Read(16, &sockaddr));
//
// Errors: NotFound for a missing file; DataLoss naming the file, the chunk, its byte offset and
// the stream offset for a truncated or corrupt chunk, or a stream that ends before the bytes
// asked for. After an error every Read returns it. No exception leaves this file. A chunk passed
// over is trusted for its header's uncompressed size (checking it would mean decompressing it);
// a wrong one shows as garbage or a DataLoss further on, never as a crash.
#ifndef PYREPLAY_REPLAY_TRACE_RAW_DATA_READER_H_
#define PYREPLAY_REPLAY_TRACE_RAW_DATA_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pyreplay {

class RawDataReader {
 public:
  // Open opens `<trace_dir>/data`. NotFound when it is missing.
  static absl::StatusOr<std::unique_ptr<RawDataReader>> Open(const std::string& trace_dir);
  // OpenFile opens a data stream file by path.
  static absl::StatusOr<std::unique_ptr<RawDataReader>> OpenFile(const std::string& path);
  ~RawDataReader();
  RawDataReader(const RawDataReader&) = delete;
  RawDataReader& operator=(const RawDataReader&) = delete;

  // Skip moves `bytes` forward in the (decompressed) stream. Nothing is read until a Read.
  void Skip(uint64_t bytes) { position_ += bytes; }

  // Read copies the next `size` bytes of the stream to `out` and moves past them.
  absl::Status Read(void* out, size_t size);
  absl::Status Read(size_t size, std::string* out);

  // position is the stream offset of the next byte Read would return.
  uint64_t position() const { return position_; }
  // chunks_decompressed and chunks_skipped count the chunks whose headers were read so far:
  // those decompressed because they held wanted bytes, and those passed over undecompressed.
  uint64_t chunks_decompressed() const { return chunks_decompressed_; }
  uint64_t chunks_skipped() const { return chunks_skipped_; }
  const std::string& path() const { return path_; }

 private:
  RawDataReader(std::string path, int fd, uint64_t file_size);
  // NextChunk reads the header of the chunk after the current one. False at the end of the file.
  absl::StatusOr<bool> NextChunk();
  // Decompress decompresses the current chunk.
  absl::Status Decompress();
  absl::Status Fail(absl::Status status);
  bool PreadExactly(void* out, size_t size, uint64_t offset, int* err);

  std::string path_;
  int fd_;
  uint64_t file_size_;
  uint64_t position_ = 0;         // stream offset of the next byte to read

  // The current chunk: the last one whose header was read.
  bool have_chunk_ = false;
  uint64_t chunk_index_ = 0;
  uint64_t chunk_start_ = 0;      // file offset of its header
  uint64_t chunk_stream_start_ = 0;  // stream offset of its first byte
  uint32_t chunk_compressed_ = 0;
  uint32_t chunk_size_ = 0;       // uncompressed
  bool chunk_decompressed_ = false;
  uint64_t next_chunk_start_ = 0; // file offset of the next chunk's header

  std::vector<uint8_t> compressed_;
  std::vector<uint8_t> chunk_;
  uint64_t chunks_decompressed_ = 0;
  uint64_t chunks_skipped_ = 0;
  absl::Status error_;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TRACE_RAW_DATA_READER_H_
