#include "replay/common/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path, int err = errno) {
  std::string message = absl::StrCat(path, ": ", what, ": ", strerror(err));
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  if (err == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// RemoveStaleTemps removes `.tmp-NAME-PID` files in `dir` whose writer PID no longer runs: what a
// writer killed between create and rename leaves behind.
void RemoveStaleTemps(const std::filesystem::path& dir, const std::string& name) {
  const std::string prefix = absl::StrCat(".tmp-", name, "-");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* entry = readdir(d)) {
    absl::string_view file = entry->d_name;
    if (!absl::StartsWith(file, prefix)) continue;
    int pid = 0;
    if (!absl::SimpleAtoi(file.substr(prefix.size()), &pid) || pid <= 0) continue;
    if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH) continue;
    unlinkat(dirfd(d), entry->d_name, 0);  // unlink never follows: a planted link just goes
  }
  closedir(d);
}

}  // namespace

absl::Status RefuseLink(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " is a symbolic link; pyreplay never reads or writes a trace's files through a "
        "link (one planted in a copied trace could point anywhere): remove it"));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  std::filesystem::path target(path);
  std::filesystem::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    int err = ec.category() == std::generic_category() || ec.category() == std::system_category()
                  ? ec.value()
                  : EIO;
    return ErrnoError("cannot create the folder", dir.string(), err);
  }
  // Errors name `path`, the file the caller asked for: the temp file is our business.
  if (absl::Status link = RefuseLink(path); !link.ok()) return link;
  RemoveStaleTemps(dir, target.filename().string());
  std::string tmp = (dir / absl::StrCat(".tmp-", target.filename().string(), "-", getpid())).string();
  // O_EXCL | O_NOFOLLOW: never through a link planted under the temp file's name. Our own
  // leftover (an earlier failed write of this process) is removed and the open tried once more.
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = open(tmp.c_str(), flags, 0644);
  if (fd < 0 && errno == EEXIST && unlink(tmp.c_str()) == 0) fd = open(tmp.c_str(), flags, 0644);
  if (fd < 0) return ErrnoError("cannot create", path);
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError("write failed", path);
      close(fd);
      unlink(tmp.c_str());
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    absl::Status status = ErrnoError("fsync failed", path);
    close(fd);
    unlink(tmp.c_str());
    return status;
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoError("cannot replace", path);
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename itself durable.
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, bool follow_links) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW));
  if (fd < 0 && errno == ELOOP && !follow_links) return RefuseLink(path);
  if (fd < 0) return ErrnoError("cannot open", path);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoError("read failed", path);
      close(fd);
      return status;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace pyreplay
