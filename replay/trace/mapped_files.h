// mapped_files.h: the files a recorded process mapped, read from rr's `mmaps` stream.
//
// A replay-free way to learn where a library sat in the tracee's address space (so a symbol's
// address can be computed from the ELF file) and where replay finds that file's bytes: rr hard
// links or copies mapped files into the trace, and `rr pack` does so for all of them.
//
//   ASSIGN_OR_RETURN(std::vector<MappedFile> maps, ReadMappedFiles(trace_dir));
//   const MappedFile* libc = FindMappedFile(maps, "libc.so.6");
//   uint64_t connect = libc->base + symbol_value;   // a PIE library's symbols are base-relative
#ifndef PYREPLAY_REPLAY_TRACE_MAPPED_FILES_H_
#define PYREPLAY_REPLAY_TRACE_MAPPED_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

struct MappedFile {
  uint64_t when = 0;          // the event at which the mapping was made
  uint64_t start = 0;         // first address of the mapping
  uint64_t base = 0;          // start - file offset: where the file's offset 0 would sit
  uint64_t file_offset = 0;
  std::string mapped_path;    // the path the tracee mapped, as it was at recording time
  std::string readable_path;  // where its bytes are now: the trace's copy, or mapped_path
  // rr 5.6 compares these with the backing file at replay (TraceStream.cc) and logs "Metadata of
  // ... changed" for each mapping that differs: a copied (not packed) trace has new inodes.
  // validated: the record has a stat to compare (rr pack's copies do not).
  bool validated = false;
  uint64_t recorded_inode = 0;
  int64_t recorded_mtime = 0;
};

// ReadMappedFiles lists every file-backed mapping of `<trace_dir>/mmaps`, in recording order.
// NotFound when the stream is missing, DataLoss (naming the offset) when it is corrupt.
absl::StatusOr<std::vector<MappedFile>> ReadMappedFiles(const std::string& trace_dir);

// CountChangedMetadata is how many mappings rr will warn about ("Metadata of ... changed") when
// it replays `maps`: a validated file backing whose inode or mtime is not the recorded one.
int CountChangedMetadata(const std::vector<MappedFile>& maps);

// FindMappedFile is the first mapping at file offset 0 whose mapped path ends in "/" + name
// (e.g. "libc.so.6"), or nullptr.
const MappedFile* FindMappedFile(const std::vector<MappedFile>& maps, absl::string_view name);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TRACE_MAPPED_FILES_H_
