// trace_reader_fuzz.cc: libFuzzer target for the rr chunk reader and message decoding.
//
// The first input byte picks what the rest is: a `version` file (ParseTraceHeader), an `events`
// stream (chunks of Brotli, then packed Frame messages) or a `tasks` stream (TaskEvent messages).
// Every field the index reads is touched. Any crash, hang, leak or sanitizer report is a bug: bad
// input must come back as a status. Built by tests/fuzz/run_fuzz.sh.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 3;
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
  absl::StatusOr<std::unique_ptr<pyreplay::StreamReader>> reader =
      pyreplay::StreamReader::OpenFile(path);
  if (reader.ok()) {
    volatile uint64_t sink = Touch(**reader, mode == 1);
    (void)sink;
  }
  close(fd);
  return 0;
}
