// trace_reader_fuzz.cc: libFuzzer target for the rr chunk reader and message decoding.
//
// The first input byte picks what the rest is: a `version` file (ParseTraceHeader), an `events`
// stream (chunks of Brotli, then packed Frame messages), a `tasks` stream (TaskEvent messages) or
// a `data` stream (RawDataReader: skips over chunks and reads that straddle them). Every field
// the index reads is touched. Any crash, hang, leak or sanitizer report is a bug: bad
// input must come back as a status. Built by tests/fuzz/run_fuzz.sh.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "replay/trace/raw_data_reader.h"
#include "replay/trace/rr_trace.capnp.h"
#include "replay/trace/trace_reader.h"

namespace {

uint64_t Touch(pyreplay::StreamReader& reader, bool frames) {
  uint64_t sum = 0;
  for (int i = 0; i < 100000; ++i) {
    absl::StatusOr<bool> more = reader.Next();
    if (!more.ok() || !*more) break;
    absl::Status status = reader.Visit([&]() -> absl::Status {
      if (frames) {
        pyreplay::rr::Frame::Reader frame = reader.Root<pyreplay::rr::Frame>();
        sum += static_cast<uint64_t>(frame.getTid()) + frame.getRegisters().getRaw().size();
        double time = frame.getMonotonicSec();  // any 64 bits: may be NaN or huge
        sum += time > 0 && time < 1e18 ? static_cast<uint64_t>(time) : 0;
        for (auto write : frame.getMemWrites()) {  // the index sums these for data offsets
          sum += write.getAddr() + write.getSize();
          for (auto hole : write.getHoles()) sum += hole.getOffset() + hole.getSize();
        }
        auto event = frame.getEvent();
        if (event.isSyscall()) {
          auto syscall = event.getSyscall();
          sum += static_cast<uint64_t>(syscall.getNumber()) + static_cast<uint64_t>(syscall.getState());
          auto extra = syscall.getExtra();
          if (extra.isSocketAddrs()) {
            sum += extra.getSocketAddrs().getLocalAddr().size();
            sum += extra.getSocketAddrs().getRemoteAddr().size();
          }
        }
      } else {
        pyreplay::rr::TaskEvent::Reader task = reader.Root<pyreplay::rr::TaskEvent>();
        sum += static_cast<uint64_t>(task.getFrameTime()) + static_cast<uint64_t>(task.getTid());
        if (task.isExec()) {
          for (auto arg : task.getExec().getCmdLine()) sum += arg.size();
          sum += task.getExec().getFileName().size();
        } else if (task.isClone()) {
          sum += static_cast<uint64_t>(task.getClone().getFlags());
        }
      }
      return absl::OkStatus();
    });
    if (!status.ok()) break;
  }
  return sum;
}

// TouchData reads a few spans of a data stream, skipping between them: at the start, across the
// first chunk boundaries, and far beyond what a small input holds.
uint64_t TouchData(pyreplay::RawDataReader& reader, const std::string& input) {
  uint64_t sum = 0;
  const uint64_t wanted[][2] = {{0, 4}, {10, 100}, {4096, 16}, {(1u << 20) - 3, 8}, {1u << 26, 1}};
  for (const auto& [offset, size] : wanted) {
    if (offset < reader.position()) continue;
    reader.Skip(offset - reader.position());
    std::string bytes;
    if (!reader.Read(size, &bytes).ok()) break;
    for (char c : bytes) sum += static_cast<unsigned char>(c);
  }
  return sum + input.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 4;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 0) {
    absl::StatusOr<pyreplay::TraceHeader> header = pyreplay::ParseTraceHeader("version", rest);
    (void)header;
    return 0;
  }
  int fd = memfd_create("stream", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (!rest.empty() && write(fd, rest.data(), rest.size()) != static_cast<ssize_t>(rest.size())) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (mode == 3) {
    absl::StatusOr<std::unique_ptr<pyreplay::RawDataReader>> data_reader =
        pyreplay::RawDataReader::OpenFile(path);
    if (data_reader.ok()) {
      volatile uint64_t sink = TouchData(**data_reader, rest);
      (void)sink;
    }
    close(fd);
    return 0;
  }
  absl::StatusOr<std::unique_ptr<pyreplay::StreamReader>> reader =
      pyreplay::StreamReader::OpenFile(path);
  if (reader.ok()) {
    volatile uint64_t sink = Touch(**reader, mode == 1);
    (void)sink;
  }
  close(fd);
  return 0;
}
