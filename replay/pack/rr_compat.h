// rr_compat.h: can the rr installed here replay a trace that another rr recorded?
//
// A pack records the rr release that recorded its trace and the trace's format number (the
// first line of rr's `version` file). `unpack` and `info` compare them with this machine's rr
// and say, in one line and before anyone tries to replay, when the difference matters:
// - another trace format: this rr cannot read the trace at all;
// - an older rr than the recorder: rr replays older traces (its header quirks), not newer ones.
//
//   std::string note = RrCompatibilityNote(manifest.rr_version, manifest.rr_trace_format,
//                                          InstalledRr());
//   if (!note.empty()) fprintf(stderr, "%s\n", note.c_str());
#ifndef PYREPLAY_REPLAY_PACK_RR_COMPAT_H_
#define PYREPLAY_REPLAY_PACK_RR_COMPAT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "replay/common/rr_dialect.h"

namespace pyreplay {

// InstalledRr is this machine's rr (`rr --version`), or nullopt when there is none.
std::optional<RrRelease> InstalledRr();

// ReadTraceFormat is the number on the first line of <trace_dir>/version, or 0.
int ReadTraceFormat(const std::string& trace_dir);

// RrCompatibilityNote is "" when `installed` can replay a trace recorded by `recorded_rr`
// ("5.9.0"; "" when unknown) in format `trace_format` (0 when unknown); otherwise one line
std::string RrCompatibilityNote(absl::string_view recorded_rr, int trace_format,
                                const std::optional<RrRelease>& installed);

// RrProvenanceLine is `info`'s line about it: "recorded with rr 5.9.0 (trace format 85); this
// machine has rr 5.9.0", followed by the note when there is one.
std::string RrProvenanceLine(absl::string_view recorded_rr, int trace_format,
                             const std::optional<RrRelease>& installed);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_RR_COMPAT_H_
