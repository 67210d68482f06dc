#include "replay/trace/mapped_files.h"

#include <sys/stat.h>

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"
#include "replay/trace/rr_trace.capnp.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {
namespace {

std::string AsString(capnp::Data::Reader data) {
  return std::string(reinterpret_cast<const char*>(data.begin()), data.size());
}

}  // namespace

absl::StatusOr<std::vector<MappedFile>> ReadMappedFiles(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> reader, StreamReader::Open(trace_dir, "mmaps"));
  std::vector<MappedFile> maps;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next());
    if (!more) break;
    RETURN_IF_ERROR(reader->Visit([&]() -> absl::Status {
      rr::MMap::Reader m = reader->Root<rr::MMap>();
      std::string fsname = AsString(m.getFsname());
      if (fsname.empty() || fsname[0] != '/') return absl::OkStatus();  // anonymous, [stack]...
      MappedFile file;
      file.when = static_cast<uint64_t>(std::max<int64_t>(0, m.getFrameTime()));
      file.start = m.getStart();
      file.file_offset = static_cast<uint64_t>(std::max<int64_t>(0, m.getFileOffsetBytes()));
      file.base = file.start - file.file_offset;
      file.mapped_path = fsname;
      file.readable_path = fsname;
      if (m.getSource().isFile()) {
        std::string backing = AsString(m.getSource().getFile().getBackingFileName());
        file.validated = !absl::StartsWith(backing, "mmap_clone_") &&
                         !absl::StartsWith(backing, "mmap_copy_") &&
                         (m.getStatMode() != 0 || m.getStatUid() != 0 || m.getStatGid() != 0 ||
                          m.getStatMTime() != 0);
        file.recorded_inode = m.getInode();
        file.recorded_mtime = m.getStatMTime();
        if (!backing.empty()) {
          file.readable_path =
              backing[0] == '/' ? backing : absl::StrCat(trace_dir, "/", backing);
        }
      }
      maps.push_back(std::move(file));
      return absl::OkStatus();
    }));
  }
  return maps;
}

int CountChangedMetadata(const std::vector<MappedFile>& maps) {
  int changed = 0;
  for (const MappedFile& m : maps) {
    struct stat st;
    if (!m.validated || stat(m.readable_path.c_str(), &st) != 0) continue;
    if (st.st_ino != m.recorded_inode || st.st_mtime != m.recorded_mtime) ++changed;
  }
  return changed;
}

const MappedFile* FindMappedFile(const std::vector<MappedFile>& maps, absl::string_view name) {
  std::string suffix = absl::StrCat("/", name);
  for (const MappedFile& m : maps) {
    if (m.file_offset == 0 && absl::EndsWith(m.mapped_path, suffix)) return &m;
  }
  return nullptr;
}

}  // namespace pyreplay
