#include "replay/pack/trace_unpack.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "replay/common/status_macros.h"
#include "replay/common/terminal.h"
#include "replay/pack/trace_pack.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

absl::Status ErrnoError(absl::string_view what, const fs::path& path) {
  return ErrnoError(what, path.string());
}

// MakeParents creates the folders of `rel` under `root` (all of them our own: `root` is a fresh
// mkdtemp folder and paths were checked to have no `..`, so no link can be followed).
absl::Status MakeParents(const std::string& root, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    std::string dir = absl::StrCat(root, "/", rel.substr(0, slash));
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoError("cannot create folder", dir);
    }
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InternalError(absl::StrCat(dir, " is not a folder"));
    }
  }
  return absl::OkStatus();
}

// IsReplaceableTrace: --force replaces only an rr trace folder or an empty folder.
bool IsReplaceableTrace(const fs::path& target) {
  std::error_code ec;
  fs::file_status st = fs::symlink_status(target, ec);
  if (!fs::is_directory(st)) return false;
  if (fs::is_empty(target, ec)) return true;
  return fs::exists(target / "version", ec) || fs::exists(target / "incomplete", ec);
}

}  // namespace

std::string DefaultUnpackTarget(const std::string& pack) {
  std::string name = fs::path(pack).filename().string();
  if (absl::EndsWith(name, kPackExtension) && name.size() > strlen(kPackExtension)) {
    name.resize(name.size() - strlen(kPackExtension));
  } else {
    name += ".trace";
  }
  return name;
}

absl::StatusOr<UnpackSummary> UnpackTrace(const UnpackOptions& options) {
  absl::Time start = absl::Now();
  fs::path target = fs::absolute(options.target.empty() ? DefaultUnpackTarget(options.pack)
                                                       : options.target)
                        .lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  std::error_code ec;
  bool exists = fs::exists(fs::symlink_status(target, ec));
  if (exists && !options.force) {
    return absl::AlreadyExistsError(absl::StrCat(
        target.string(), " already exists; pass --force to replace it, or -o to unpack elsewhere"));
  }
  if (exists && !IsReplaceableTrace(target)) {
    return absl::FailedPreconditionError(absl::StrCat(
        target.string(), " exists and is not a trace folder; --force only replaces traces. "
                         "Choose another folder with -o"));
  }
  // Check the pack (manifest, format, limits) before creating anything.
  ASSIGN_OR_RETURN(std::unique_ptr<PackReader> reader, PackReader::Open(options.pack, options.limits));

  fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  std::string tmp_template = absl::StrCat(parent.string(), "/.", target.filename().string(), ".unpack-XXXXXX");
  if (mkdtemp(tmp_template.data()) == nullptr) return ErrnoError("cannot create", tmp_template);
  const std::string tmp = tmp_template;
  auto fail = [&](absl::Status status) {
    fs::remove_all(tmp, ec);
    return status;
  };

  UnpackSummary summary;
  uint64_t total = reader->manifest().TotalBytes();
  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("unpacking", total);
  uint64_t done = 0;
  for (;;) {
    absl::StatusOr<const PackFile*> next = reader->Next();
    if (!next.ok()) return fail(next.status());
    const PackFile* file = *next;
    if (file == nullptr) break;
    if (absl::Status ok = MakeParents(tmp, file->path); !ok.ok()) return fail(ok);
    std::string out_path = absl::StrCat(tmp, "/", file->path);
    int fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  file->executable ? 0755 : 0644);
    if (fd < 0) return fail(ErrnoError("cannot create", out_path));
    absl::Status status = reader->ReadData([&](const char* data, size_t size) {
      while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return ErrnoError("cannot write", out_path);
        data += n;
        size -= static_cast<size_t>(n);
        done += static_cast<uint64_t>(n);
      }
      if (bar) bar->Update(done);
      return absl::OkStatus();
    });
    close(fd);
    if (!status.ok()) return fail(status);
  }
  bar.reset();
  if (absl::Status ok = CheckTraceDir(tmp); !ok.ok()) {
    return fail(absl::DataLossError(absl::StrCat(options.pack, " does not hold an rr trace: ",
                                                 ok.message())));
  }
  // Every checksum matched: only now does the trace appear under its name.
  if (exists) {
    std::string old = absl::StrCat(tmp, ".old");
    if (rename(target.c_str(), old.c_str()) != 0) return fail(ErrnoError("cannot move aside", target));
    if (rename(tmp.c_str(), target.c_str()) != 0) {
      absl::Status status = ErrnoError("cannot rename into", target);
      rename(old.c_str(), target.c_str());
      return fail(status);
    }
    fs::remove_all(old, ec);
    summary.replaced = true;
  } else if (renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    // RENAME_NOREPLACE: a folder that appeared meanwhile is never replaced.
    return fail(ErrnoError("cannot rename into", target));
  }
  summary.target = target.string();
  summary.manifest = reader->manifest();
  summary.bytes = total;
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  return summary;
}

}  // namespace pyreplay
