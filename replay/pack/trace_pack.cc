#include "replay/pack/trace_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/common/subprocess.h"
#include "replay/common/terminal.h"
#include "replay/common/sha256.h"
#include "replay/pack/debug_bundle.h"
#include "replay/pack/rr_compat.h"
#include "replay/pack/zstd_stream.h"
#include "replay/record/recording_meta.h"
#include "replay/record/replay_launcher.h"
#include "replay/record/rr_tool.h"
#include "replay/trace/trace_digests.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

constexpr size_t kChunk = 1 << 20;

// Written after a successful `rr pack`: the fingerprint of rr's files it left behind.
constexpr char kRrPackStampPath[] = "pyreplay/rr-packed";

// RrPackStamp fingerprints rr's files at the top of the trace (name, size, mtime, inode). When it
// equals the stamp saved after the last `rr pack`, nothing changed since, and running rr pack
// again (~0.1 s, as long as the whole packing of a small trace) would change nothing either.
std::string RrPackStamp(const fs::path& root) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    if (name == "pyreplay") continue;
    struct stat st;
    if (lstat(entry.path().c_str(), &st) != 0) return "";
    lines.push_back(absl::StrCat(name, " ", st.st_mode, " ", st.st_size, " ", st.st_ino, " ",
                                 st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "\n"));
  }
  if (ec) return "";
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines) out += line;
  return out;
}

// SameFile is true when `fd` is still the file that was hashed (same inode, size and mtime):
// a file replaced (marks are written by rename) or rewritten since is caught without hashing
// everything twice.
bool SameFile(int fd, const struct stat& hashed) {
  struct stat now;
  return fstat(fd, &now) == 0 && now.st_dev == hashed.st_dev && now.st_ino == hashed.st_ino &&
         now.st_size == hashed.st_size && now.st_mtim.tv_sec == hashed.st_mtim.tv_sec &&
         now.st_mtim.tv_nsec == hashed.st_mtim.tv_nsec;
}

// Skipped when collecting the sidecar: the bundle (collected by build-id instead), the marks lock,
// and temp files of interrupted atomic writes.
bool SkipSidecarPath(const std::string& rel) {
  if (absl::StartsWith(rel, absl::StrCat(kBundledDebugDir, "/"))) return true;
  if (rel == kRrPackStampPath) return true;  // about this machine's copy, not the trace
  std::string name = fs::path(rel).filename().string();
  return name == "marks.lock" || absl::StartsWith(name, ".tmp-");
}

// Archive order: sidecar (meta and marks first, for `info`), then rr's files, then debug files.
int OrderKey(const PackFile& f) {
  if (f.path == kPackedMetaPath) return 0;
  if (f.path == kPackedMarksPath) return 1;
  switch (f.kind) {
    case PackFileKind::kSidecar: return 2;
    case PackFileKind::kTrace: return 3;
    case PackFileKind::kDebug: return 4;
  }
  return 5;
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};

absl::Status ArchiveError(archive* a, absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", archive_error_string(a) != nullptr
                                                          ? archive_error_string(a)
                                                          : "libarchive error"));
}

// WriteEntry adds one regular file with fixed metadata, and its data from `source`, which must be
// the very file that was hashed (`hashed`); otherwise the manifest would lie.
absl::Status WriteEntry(archive* a, const PackFile& file, const std::string& source,
                        const struct stat& hashed, const std::function<void(uint64_t)>& progress) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   archive_entry_free);
  archive_entry_set_pathname(entry.get(), file.path.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), file.executable ? 0755 : 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(file.size));
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
    return ArchiveError(a, absl::StrCat("cannot add ", file.path));
  }
  int fd = open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(source, ": ", strerror(errno)));
  auto changed = [&] {
    return absl::FailedPreconditionError(absl::StrCat(
        source, " changed while it was being packed; make sure nothing writes to the trace, "
                "then pack again"));
  };
  if (!SameFile(fd, hashed)) {
    close(fd);
    return changed();
  }
  std::unique_ptr<char[]> buffer(new char[kChunk]);
  uint64_t done = 0;
  absl::Status status;
  while (done < file.size) {
    ssize_t n = read(fd, buffer.get(), std::min<uint64_t>(kChunk, file.size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (archive_write_data(a, buffer.get(), static_cast<size_t>(n)) != n) {
      status = ArchiveError(a, absl::StrCat("cannot write ", file.path));
      break;
    }
    done += static_cast<uint64_t>(n);
    progress(static_cast<uint64_t>(n));
  }
  bool same = SameFile(fd, hashed);
  close(fd);
  RETURN_IF_ERROR(status);
  if (done != file.size || !same) return changed();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PackInputs> CollectPackInputs(const std::string& trace_dir) {
  RETURN_IF_ERROR(CheckTraceDir(trace_dir));
  PackInputs inputs;
  fs::path root = fs::absolute(trace_dir).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();
  inputs.manifest.trace_name = root.filename().string();
  inputs.manifest.created_by = absl::StrCat("pyreplay ", PYREPLAY_VERSION);
  if (absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(root.string()); meta.ok()) {
    inputs.manifest.rr_version = meta->rr_version;
  }
  inputs.manifest.rr_trace_format = ReadTraceFormat(root.string());

  std::vector<std::pair<PackFile, std::string>> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) return absl::NotFoundError(absl::StrCat(trace_dir, ": ", ec.message()));
  for (; it != end; it.increment(ec)) {
    if (ec) return absl::NotFoundError(absl::StrCat(trace_dir, ": ", ec.message()));
    const fs::directory_entry& entry = *it;
    std::string rel = entry.path().lexically_relative(root).generic_string();
    fs::file_status st = entry.symlink_status(ec);
    if (fs::is_directory(st)) {
      if (rel == kBundledDebugDir) it.disable_recursion_pending();
      continue;
    }
    bool sidecar = absl::StartsWith(rel, "pyreplay/");
    if (sidecar && SkipSidecarPath(rel)) continue;
    if (!fs::is_regular_file(st)) {
      return absl::FailedPreconditionError(absl::StrCat(
          entry.path().string(), " is not a regular file (", fs::is_symlink(st) ? "a link" : "special",
          "); packs hold regular files only. Was `rr pack` run on this trace?"));
    }
    PackFile f;
    f.path = rel;
    f.kind = sidecar ? PackFileKind::kSidecar : PackFileKind::kTrace;
    f.size = entry.file_size(ec);
    f.executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
    if (absl::Status ok = CheckPackPath(f.path, f.kind); !ok.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(trace_dir, ": cannot pack ", ok.message()));
    }
    files.emplace_back(std::move(f), entry.path().string());
  }

  ASSIGN_OR_RETURN(std::vector<DebugFile> debug,
                   FindDebugFiles(root.string(), DebugRootsForPacking(root.string()),
                                  &inputs.without_debug));
  for (const DebugFile& d : debug) {
    PackFile f;
    f.path = d.archive_path;
    f.kind = PackFileKind::kDebug;
    f.size = fs::file_size(d.source_path, ec);
    if (ec) return absl::NotFoundError(absl::StrCat(d.source_path, ": ", ec.message()));
    f.build_id = d.build_id;
    f.debug_for = d.debug_for;
    files.emplace_back(std::move(f), d.source_path);
  }

  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    int ka = OrderKey(a.first), kb = OrderKey(b.first);
    return ka != kb ? ka < kb : a.first.path < b.first.path;
  });
  for (auto& [f, source] : files) {
    inputs.manifest.files.push_back(std::move(f));
    inputs.sources.push_back(std::move(source));
  }
  return inputs;
}

absl::StatusOr<PackSummary> PackTrace(const PackOptions& options) {
  RETURN_IF_ERROR(CheckTraceDir(options.trace_dir));
  if (options.output.empty()) return absl::InvalidArgumentError("pack needs an output file (-o)");
  fs::path out = fs::absolute(options.output).lexically_normal();
  fs::path root = fs::absolute(options.trace_dir).lexically_normal();
  std::string root_prefix = root.string() + "/";
  if (absl::StartsWith(out.string(), root_prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.output, " is inside the trace it would pack; write it elsewhere"));
  }
  std::string stamp_path = (root / kRrPackStampPath).string();
  absl::StatusOr<std::string> stamp = ReadFileToString(stamp_path);
  bool rr_packed = stamp.ok() && !stamp->empty() && *stamp == RrPackStamp(root);
  // A pack carries the trace to someone else: never a damaged one (trace_digests.h).
  ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(options.trace_dir));
  if (options.run_rr_pack && !rr_packed) {
    // rr pack rewrites `mmaps` and replaces the hard links with copies: check every byte first,
    // then record the digests of what rr pack left (below), so the pack stays verifiable.
    RETURN_IF_ERROR(CheckTraceFiles(options.trace_dir));
    // rr pack opens no performance counters, so it needs no no-PMU preload.
    RETURN_IF_ERROR(CheckRrAvailable());
    std::string output;
    ProcessOptions process;
    process.output = &output;
    process.also_stderr = true;
    ASSIGN_OR_RETURN(ExitStatus status, RunProcess({"rr", "pack", options.trace_dir}, process));
    if (!status.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "`rr pack ", options.trace_dir, "` failed (status ", status.ShellCode(), "): ", output));
    }
    if (digests) {
      RETURN_IF_ERROR(WriteTraceDigests(options.trace_dir));
      ASSIGN_OR_RETURN(digests, LoadTraceDigests(options.trace_dir));
    }
    // Not fatal: without the stamp the next pack just runs rr pack again.
    (void)WriteFileAtomically(stamp_path, RrPackStamp(root));
  }
  ASSIGN_OR_RETURN(PackInputs inputs, CollectPackInputs(options.trace_dir));
  PackSummary summary;
  summary.without_debug = inputs.without_debug;
  PackManifest& manifest = inputs.manifest;
  uint64_t total = manifest.TotalBytes();

  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("packing", 2 * total);
  uint64_t done = 0;
  auto advance = [&](uint64_t n) {
    done += n;
    if (bar) bar->Update(done);
  };
  // Hash on two threads (the files split by size): the manifest goes first, so every byte is
  // read once before compression starts, and this pass is a tenth of the whole.
  std::vector<struct stat> hashed(manifest.files.size());
  std::vector<absl::Status> hash_status(manifest.files.size());
  std::vector<size_t> order(manifest.files.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return manifest.files[a].size > manifest.files[b].size;
  });
  std::vector<size_t> lanes[2];
  uint64_t lane_bytes[2] = {0, 0};
  for (size_t i : order) {
    int lane = lane_bytes[0] <= lane_bytes[1] ? 0 : 1;
    lanes[lane].push_back(i);
    lane_bytes[lane] += manifest.files[i].size;
  }
  auto hash_lane = [&](const std::vector<size_t>& lane) {
    for (size_t i : lane) {
      if (stat(inputs.sources[i].c_str(), &hashed[i]) != 0) {
        hash_status[i] = absl::NotFoundError(absl::StrCat(inputs.sources[i], ": ", strerror(errno)));
        continue;
      }
      uint64_t size = 0;
      absl::StatusOr<std::string> digest = Sha256OfFile(inputs.sources[i], &size);
      if (!digest.ok()) {
        hash_status[i] = digest.status();
        continue;
      }
      manifest.files[i].sha256 = *std::move(digest);
      manifest.files[i].size = size;
    }
  };
  std::thread helper(hash_lane, std::cref(lanes[1]));
  hash_lane(lanes[0]);
  helper.join();
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    RETURN_IF_ERROR(hash_status[i]);
    advance(manifest.files[i].size);
    // The hash pass already read every byte: compare with the recording's digests for free.
    if (const FileDigest* recorded = digests ? digests->Find(manifest.files[i].path) : nullptr;
        recorded != nullptr &&
        (recorded->sha256 != manifest.files[i].sha256 || recorded->size != manifest.files[i].size)) {
      return ChangedAfterRecording(options.trace_dir, recorded->path,
                                   "pack refuses to carry a damaged trace");
    }
  }
  std::string manifest_json = SerializeManifest(manifest);

  fs::create_directories(out.parent_path());
  std::string tmp = absl::StrCat(out.parent_path().string(), "/.tmp-", out.filename().string(),
                                 "-", getpid());
  int out_fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", strerror(errno)));
  ZstdFileWriter zstd(out_fd, options.compression_level, options.threads);
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  if (ArchiveWriteOpenZstd(a.get(), &zstd) != ARCHIVE_OK) {
    close(out_fd);
    unlink(tmp.c_str());
    return ArchiveError(a.get(), absl::StrCat("cannot create ", tmp));
  }
  auto fail = [&](absl::Status status) {
    a.reset();
    close(out_fd);
    unlink(tmp.c_str());
    return status;
  };
  {
    PackFile manifest_file{.path = kManifestName, .size = manifest_json.size()};
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                     archive_entry_free);
    archive_entry_set_pathname(entry.get(), kManifestName);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(manifest_file.size));
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), manifest_json.data(), manifest_json.size()) !=
            static_cast<la_ssize_t>(manifest_json.size())) {
      return fail(ArchiveError(a.get(), "cannot write the manifest"));
    }
  }
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    absl::Status status =
        WriteEntry(a.get(), manifest.files[i], inputs.sources[i], hashed[i], advance);
    if (!status.ok()) return fail(status);
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return fail(ArchiveError(a.get(), absl::StrCat("cannot finish ", tmp)));
  }
  if (absl::Status finished = zstd.Finish(); !finished.ok()) {
    return fail(absl::InternalError(absl::StrCat("cannot finish ", tmp, ": ", finished.message())));
  }
  a.reset();
  // No fsync (it cost 8-33 ms here, a fifth of a whole pack): the rename still means no reader
  // ever sees half a pack, and a pack is derived data. After a power cut it may be damaged, the
  // trace it came from is not, and unpack's checksums would say so.
  if (close(out_fd) != 0) {
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", strerror(errno)));
  }
  if (rename(tmp.c_str(), out.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", out.string(), ": ",
                                            strerror(err)));
  }
  summary.output = out.string();
  summary.input_bytes = total;
  std::error_code ec;
  summary.output_bytes = fs::file_size(out, ec);
  summary.manifest = std::move(manifest);
  return summary;
}

}  // namespace pyreplay
