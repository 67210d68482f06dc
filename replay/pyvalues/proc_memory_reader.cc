#include "replay/pyvalues/proc_memory_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pyreplay {

absl::StatusOr<std::unique_ptr<ProcMemoryReader>> ProcMemoryReader::Open(pid_t pid) {
  std::string path = absl::StrCat("/proc/", pid, "/mem");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string why = absl::StrCat("cannot open ", path, ": ", strerror(err));
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(why);
    return absl::NotFoundError(why);
  }
  return std::unique_ptr<ProcMemoryReader>(new ProcMemoryReader(fd));
}

ProcMemoryReader::~ProcMemoryReader() { close(fd_); }

bool ProcMemoryReader::Read(uint64_t address, void* out, size_t len) {
  auto* bytes = static_cast<char*>(out);
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd_, bytes + done, len - done, static_cast<off_t>(address + done));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace pyreplay
