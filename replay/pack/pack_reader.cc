#include "replay/pack/pack_reader.h"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"
#include "replay/common/sha256.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

constexpr size_t kChunk = 1 << 20;

std::string ArchiveMessage(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "unreadable data";
}

// EntryProblem says why an entry is not a plain regular file, or "".
std::string EntryProblem(archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) {
    return absl::StrCat("a hard link to \"", archive_entry_hardlink(entry), "\"");
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG: return "";
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      return absl::StrCat("a symbolic link to \"", target != nullptr ? target : "", "\"");
    }
    case AE_IFDIR: return "a folder entry";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

}  // namespace

PackReader::~PackReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

absl::Status PackReader::Corrupt(absl::string_view what) const {
  return absl::DataLossError(absl::StrCat(
      path_, " is damaged or was tampered with: ", what,
      ". Nothing was used from it; ask for the pack again"));
}

uint64_t PackReader::compressed_position() const {
  return zstd_->compressed_position();
}

absl::StatusOr<std::unique_ptr<PackReader>> PackReader::Open(const std::string& path,
                                                            const UnpackLimits& limits) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat(path, ": no such pack file"));
  if (!fs::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a file; a pack is one .pyrtrace file"));
  }
  std::unique_ptr<PackReader> reader(new PackReader());
  reader->path_ = path;
  absl::StatusOr<std::unique_ptr<ZstdFileReader>> zstd = ZstdFileReader::Open(path);
  if (absl::IsNotFound(zstd.status())) return zstd.status();
  if (!zstd.ok()) {
    return absl::DataLossError(absl::StrCat(path, " is not a pyreplay pack, or is damaged (",
                                            zstd.status().message(), ")"));
  }
  reader->zstd_ = *std::move(zstd);
  reader->archive_ = archive_read_new();
  archive_read_support_format_tar(reader->archive_);
  if (ArchiveReadOpenZstd(reader->archive_, reader->zstd_.get()) != ARCHIVE_OK) {
    return absl::DataLossError(absl::StrCat(path, " is not a pyreplay pack (",
                                            ArchiveMessage(reader->archive_), ")"));
  }
  archive_entry* entry = nullptr;
  int r = archive_read_next_header(reader->archive_, &entry);
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    return absl::DataLossError(absl::StrCat(path, " is not a pyreplay pack (",
                                            ArchiveMessage(reader->archive_), ")"));
  }
  if (std::string(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "") !=
      kManifestName) {
    return absl::DataLossError(absl::StrCat(path, " is not a pyreplay pack: its first entry is not ",
                                            kManifestName));
  }
  if (std::string problem = EntryProblem(entry); !problem.empty()) {
    return reader->Corrupt(absl::StrCat(kManifestName, " is ", problem));
  }
  if (archive_entry_size(entry) < 0 ||
      static_cast<uint64_t>(archive_entry_size(entry)) > limits.max_manifest_bytes) {
    return reader->Corrupt(absl::StrCat(kManifestName, " is larger than ",
                                        limits.max_manifest_bytes, " bytes"));
  }
  std::string text(static_cast<size_t>(archive_entry_size(entry)), '\0');
  la_ssize_t n = archive_read_data(reader->archive_, text.data(), text.size());
  if (n != static_cast<la_ssize_t>(text.size())) {
    return reader->Corrupt(absl::StrCat("cannot read ", kManifestName, " (",
                                        ArchiveMessage(reader->archive_), ")"));
  }
  ASSIGN_OR_RETURN(reader->manifest_, ParseManifest(text, path));
  const PackManifest& m = reader->manifest_;
  if (m.files.size() > limits.max_entries) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " lists ", m.files.size(), " files, more than the limit of ", limits.max_entries,
        "; refusing to unpack it (raise --max-entries only if you trust the sender)"));
  }
  if (m.SizesOverflow()) {
    return reader->Corrupt(absl::StrCat(kManifestName, "'s file sizes add up to more than 2^64 "
                                        "bytes (crafted to wrap around the limit?)"));
  }
  if (m.TotalBytes() > limits.max_bytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, " would unpack to ", m.TotalBytes(), " bytes, more than the limit of ",
        limits.max_bytes, "; refusing to unpack it (raise --max-bytes only if you trust the "
                          "sender)"));
  }
  for (size_t i = 0; i < m.files.size(); ++i) reader->index_[m.files[i].path] = i;
  reader->limits_ = limits;
  return reader;
}

absl::StatusOr<const PackFile*> PackReader::Next() {
  if (!current_read_) {
    // Not verified: the caller did not want this file's data.
    archive_read_data_skip(archive_);
  }
  current_ = nullptr;
  current_read_ = true;
  archive_entry* entry = nullptr;
  int r = archive_read_next_header(archive_, &entry);
  if (r == ARCHIVE_EOF) {
    // The tar reader stops at the end-of-archive blocks; read on to the frame's checksum.
    if (absl::Status end = zstd_->DrainToEnd(); !end.ok()) {
      return Corrupt(absl::StrCat("after its last entry, ", end.message()));
    }
    if (seen_.size() != manifest_.files.size()) {
      for (const PackFile& f : manifest_.files) {
        if (!seen_.count(f.path)) {
          return Corrupt(absl::StrCat("it ends before \"", f.path, "\" (truncated?); ",
                                      manifest_.files.size() - seen_.size(),
                                      " listed file(s) are missing"));
        }
      }
    }
    return nullptr;
  }
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    return Corrupt(absl::StrCat("cannot read the entry after ",
                                seen_.empty() ? std::string(kManifestName)
                                              : absl::StrCat("\"", *seen_.rbegin(), "\""),
                                " (", ArchiveMessage(archive_), ")"));
  }
  const char* raw_name = archive_entry_pathname(entry);
  std::string name = raw_name != nullptr ? raw_name : "";
  if (std::string problem = EntryProblem(entry); !problem.empty()) {
    return Corrupt(absl::StrCat("entry \"", name, "\" is ", problem,
                                "; packs hold regular files only"));
  }
  auto it = index_.find(name);
  if (it == index_.end()) {
    if (absl::Status safe = CheckPackPath(name, PackFileKind::kTrace); !safe.ok()) {
      return Corrupt(absl::StrCat("entry ", safe.message()));
    }
    return Corrupt(absl::StrCat("entry \"", name, "\" is not listed in the manifest"));
  }
  if (!seen_.insert(name).second) {
    return Corrupt(absl::StrCat("entry \"", name, "\" appears twice"));
  }
  if (seen_.size() > limits_.max_entries) {
    return absl::FailedPreconditionError(absl::StrCat(
        path_, " holds more than ", limits_.max_entries, " files; stopped there (raise "
        "--max-entries only if you trust the sender)"));
  }
  const PackFile& file = manifest_.files[it->second];
  if (archive_entry_size(entry) < 0 || static_cast<uint64_t>(archive_entry_size(entry)) != file.size) {
    return Corrupt(absl::StrCat("\"", name, "\" has ", archive_entry_size(entry),
                                " bytes, but the manifest lists ", file.size));
  }
  current_ = &file;
  current_read_ = false;
  return current_;
}

absl::Status PackReader::ReadData(const std::function<absl::Status(const char*, size_t)>& sink) {
  if (current_ == nullptr || current_read_) {
    return absl::InternalError("PackReader::ReadData without a current entry");
  }
  current_read_ = true;
  Sha256 hash;
  uint64_t total = 0;
  std::vector<char> buffer(kChunk);
  for (;;) {
    la_ssize_t n = archive_read_data(archive_, buffer.data(), buffer.size());
    if (n < 0) {
      return Corrupt(absl::StrCat("\"", current_->path, "\" cannot be read (",
                                  ArchiveMessage(archive_), ")"));
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > current_->size) {
      return Corrupt(absl::StrCat("\"", current_->path, "\" is longer than the manifest says"));
    }
    // Counted as handed out, not as the manifest claims: nothing beyond the limit is written.
    if (static_cast<uint64_t>(n) > limits_.max_bytes - std::min(bytes_out_, limits_.max_bytes)) {
      return absl::FailedPreconditionError(absl::StrCat(
          path_, " would unpack to more than ", limits_.max_bytes, " bytes; stopped at \"",
          current_->path, "\" (raise --max-bytes only if you trust the sender)"));
    }
    bytes_out_ += static_cast<uint64_t>(n);
    hash.Update(buffer.data(), static_cast<size_t>(n));
    RETURN_IF_ERROR(sink(buffer.data(), static_cast<size_t>(n)));
  }
  if (total != current_->size) {
    return Corrupt(absl::StrCat("\"", current_->path, "\" is truncated (", total, " of ",
                                current_->size, " bytes)"));
  }
  if (hash.HexDigest() != current_->sha256) {
    return Corrupt(absl::StrCat("\"", current_->path,
                                "\" does not match its SHA-256 in the manifest"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PackReader::ReadFile() {
  std::string out;
  RETURN_IF_ERROR(ReadData([&](const char* data, size_t size) {
    out.append(data, size);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::string> ReadPackedFile(const std::string& pack_path, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<PackReader> reader, PackReader::Open(pack_path));
  std::optional<std::string> contents;
  for (;;) {
    ASSIGN_OR_RETURN(const PackFile* file, reader->Next());
    if (file == nullptr) break;  // the end: every byte matched the closing digest
    if (file->path == path) {
      ASSIGN_OR_RETURN(contents, reader->ReadFile());
    }
  }
  if (!contents) return absl::NotFoundError(absl::StrCat(pack_path, " holds no ", path));
  return *std::move(contents);
}

}  // namespace pyreplay
