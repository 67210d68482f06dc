#include "replay/trace/trace_digests.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "replay/common/atomic_file.h"
#include "replay/common/sealed_file.h"
#include "replay/common/sha256.h"
#include "replay/common/status_macros.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kHeader = "pyreplay-digests 1\n";
constexpr size_t kMaxFiles = 1 << 20;

}  // namespace

const FileDigest* TraceDigests::Find(absl::string_view path) const {
  auto it = std::lower_bound(files.begin(), files.end(), path,
                             [](const FileDigest& f, absl::string_view p) { return f.path < p; });
  return it != files.end() && it->path == path ? &*it : nullptr;
}

std::string DigestsPath(const std::string& trace_dir) {
  return (fs::path(trace_dir) / "pyreplay" / "digests").string();
}

bool IsDigestedPath(absl::string_view relative) {
  if (relative.empty() || relative[0] == '/' || absl::StrContains(relative, '\n')) return false;
  for (absl::string_view part : absl::StrSplit(relative, '/')) {
    if (part.empty() || part == "." || part == "..") return false;  // never outside the trace
  }
  if (!absl::StartsWith(relative, "pyreplay/")) {
    return !absl::StartsWith(fs::path(std::string(relative)).filename().string(), ".tmp-");
  }
  return relative == "pyreplay/meta.json" || absl::StartsWith(relative, "pyreplay/sources/");
}

absl::StatusOr<TraceDigests> ComputeTraceDigests(const std::string& trace_dir) {
  TraceDigests digests;
  std::error_code ec;
  fs::recursive_directory_iterator it(trace_dir, fs::directory_options::none, ec);
  if (ec) return absl::NotFoundError(absl::StrCat(trace_dir, ": ", ec.message()));
  for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return absl::InternalError(absl::StrCat(trace_dir, ": ", ec.message()));
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
    std::string relative = fs::relative(it->path(), trace_dir, entry_ec).string();
    if (entry_ec || !IsDigestedPath(relative)) continue;
    FileDigest file;
    file.path = relative;
    ASSIGN_OR_RETURN(file.sha256, Sha256OfFile(it->path().string(), &file.size));
    digests.files.push_back(std::move(file));
  }
  std::sort(digests.files.begin(), digests.files.end(),
            [](const FileDigest& a, const FileDigest& b) { return a.path < b.path; });
  return digests;
}

std::string SerializeTraceDigests(const TraceDigests& digests) {
  std::string text(kHeader);
  for (const FileDigest& f : digests.files) absl::StrAppend(&text, f.sha256, " ", f.size, " ", f.path, "\n");
  return Seal(text);
}

absl::StatusOr<TraceDigests> ParseTraceDigests(absl::string_view bytes, absl::string_view origin) {
  ASSIGN_OR_RETURN(Unsealed sealed, Unseal(bytes, origin));
  auto damaged = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(origin, " is damaged (", why, "); the trace's files "
                                            "cannot be checked: get the trace again"));
  };
  if (!sealed.sealed) return damaged("no checksum");
  if (!absl::StartsWith(sealed.payload, kHeader)) return damaged("not a digests file");
  TraceDigests digests;
  for (absl::string_view line :
       absl::StrSplit(sealed.payload.substr(kHeader.size()), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    FileDigest f;
    if (parts.size() != 3 || !IsSha256Hex(parts[0]) || !absl::SimpleAtoi(parts[1], &f.size) ||
        !IsDigestedPath(parts[2]) || digests.files.size() >= kMaxFiles) {
      return damaged("a malformed line");
    }
    f.sha256 = std::string(parts[0]);
    f.path = std::string(parts[2]);
    if (!digests.files.empty() && digests.files.back().path >= f.path) return damaged("unsorted");
    digests.files.push_back(std::move(f));
  }
  return digests;
}

absl::Status WriteTraceDigests(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(TraceDigests digests, ComputeTraceDigests(trace_dir));
  return WriteFileAtomically(DigestsPath(trace_dir), SerializeTraceDigests(digests));
}

absl::StatusOr<std::optional<TraceDigests>> LoadTraceDigests(const std::string& trace_dir) {
  const std::string path = DigestsPath(trace_dir);
  absl::StatusOr<std::string> bytes = ReadFileToString(path, /*follow_links=*/false);
  if (absl::IsNotFound(bytes.status())) return std::optional<TraceDigests>();
  if (!bytes.ok()) return bytes.status();
  ASSIGN_OR_RETURN(TraceDigests digests, ParseTraceDigests(*bytes, path));
  return std::optional<TraceDigests>(std::move(digests));
}

absl::Status ChangedAfterRecording(const std::string& trace_dir, absl::string_view file,
                                   absl::string_view how) {
  return absl::DataLossError(absl::StrCat(
      "the trace was changed after it was recorded: ", file, " differs (", how, "); `pyreplay "
      "verify ", trace_dir, "` lists every damaged file; get the trace again (or record it again)"));
}

absl::Status CheckTraceSizes(const std::string& trace_dir, const TraceDigests& digests) {
  for (const FileDigest& f : digests.files) {
    struct stat st;
    const std::string path = (fs::path(trace_dir) / f.path).string();
    if (lstat(path.c_str(), &st) != 0) return ChangedAfterRecording(trace_dir, f.path, "missing");
    if (!S_ISREG(st.st_mode)) return ChangedAfterRecording(trace_dir, f.path, "not a regular file");
    if (static_cast<uint64_t>(st.st_size) != f.size) {
      return ChangedAfterRecording(
          trace_dir, f.path, absl::StrCat(st.st_size, " bytes, ", f.size, " when recorded"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTraceFiles(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(trace_dir));
  if (!digests) return absl::OkStatus();
  RETURN_IF_ERROR(CheckTraceSizes(trace_dir, *digests));
  for (const FileDigest& f : digests->files) {
    absl::StatusOr<std::string> sha = Sha256OfFile((fs::path(trace_dir) / f.path).string());
    if (!sha.ok()) return ChangedAfterRecording(trace_dir, f.path, sha.status().message());
    if (*sha != f.sha256) {
      return ChangedAfterRecording(trace_dir, f.path, "its SHA-256 is not the one recorded");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSmallFile(const std::string& trace_dir, const TraceDigests& digests,
                            absl::string_view file) {
  const FileDigest* f = digests.Find(file);
  if (f == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> sha = Sha256OfFile((fs::path(trace_dir) / f->path).string());
  if (!sha.ok()) return ChangedAfterRecording(trace_dir, f->path, sha.status().message());
  if (*sha != f->sha256) {
    return ChangedAfterRecording(trace_dir, f->path, "its SHA-256 is not the one recorded");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<FileDigest>> ExpectedDigest(const std::string& trace_dir,
                                                         absl::string_view file) {
  ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(trace_dir));
  if (!digests) return std::optional<FileDigest>();
  const FileDigest* found = digests->Find(file);
  return found != nullptr ? std::optional<FileDigest>(*found) : std::optional<FileDigest>();
}

}  // namespace pyreplay
