// maps_filter.h: presents kernel 6.x /proc/PID/maps to rr 5.6.0 as rr expects it.
//
// Kernels from 6.x on split the vDSO data page into adjacent `[vvar]` and `[vvar_vclock]`
// mappings. rr 5.6.0 treats `[vvar]` as one special mapping and fails (EIO in read_bytes_helper)
// when the second half appears as an unknown mapping. We merge the pair back into one line.
//
//   MergeVvarLines("1000-2000 r--p 0 00:00 0  [vvar]\n2000-3000 r--p 0 00:00 0  [vvar_vclock]\n")
//     == "1000-3000 r--p 0 00:00 0  [vvar]\n"
#ifndef PYREPLAY_REPLAY_NOPMU_MAPS_FILTER_H_
#define PYREPLAY_REPLAY_NOPMU_MAPS_FILTER_H_

#include <stdio.h>

#include <string>

namespace pyreplay::nopmu {

// IsProcMapsPath returns true for "/proc/<pid|self>/maps" and "/proc/<pid>/task/<tid>/maps".
bool IsProcMapsPath(const char* path);

// MergeVvarLines merges each `S-E ... [vvar]` line that is directly followed by an
// `E-E2 ... [vvar_vclock]` line into one `S-E2 ... [vvar]` line. Other lines pass unchanged.
std::string MergeVvarLines(const std::string& maps);

// OpenMergedMaps reads the maps file at `path` and returns a read-only stream over its merged
// text, or nullptr (errno set) when the file cannot be read.
FILE* OpenMergedMaps(const char* path);

}  // namespace pyreplay::nopmu

#endif  // PYREPLAY_REPLAY_NOPMU_MAPS_FILTER_H_
