// proc_memory_reader.h: a MemoryReader over a live process's /proc/PID/mem.
//
// For tests against a real interpreter (and tools that inspect a stopped process without gdb):
// the caller must be allowed to ptrace the process (root, or its parent with ptrace_scope 0).
//
//   ASSIGN_OR_RETURN(auto reader, ProcMemoryReader::Open(pid));
//   ValueReader values(layout, reader.get());
#ifndef PYREPLAY_REPLAY_PYVALUES_PROC_MEMORY_READER_H_
#define PYREPLAY_REPLAY_PYVALUES_PROC_MEMORY_READER_H_

#include <sys/types.h>

#include <memory>

#include "absl/status/statusor.h"
#include "replay/pyframes/memory_reader.h"

namespace pyreplay {

class ProcMemoryReader : public MemoryReader {
 public:
  // Open opens /proc/PID/mem. PermissionDenied or NotFound with the errno's text.
  static absl::StatusOr<std::unique_ptr<ProcMemoryReader>> Open(pid_t pid);
  ~ProcMemoryReader() override;
  ProcMemoryReader(const ProcMemoryReader&) = delete;
  ProcMemoryReader& operator=(const ProcMemoryReader&) = delete;

  bool Read(uint64_t address, void* out, size_t len) override;

 private:
  explicit ProcMemoryReader(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_PROC_MEMORY_READER_H_
