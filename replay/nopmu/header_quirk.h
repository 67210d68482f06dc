// header_quirk.h: clears rr's `bufferedSyscallForcedTick` header quirk in a trace's version file.
//
// rr 5.6.0 sets the quirk when recording with the syscall buffer: replay then expects one tick
// after each buffered syscall. In no-PMU mode every tick is 0, so the expectation fails with
// "Fatal register mismatch". Clearing the flag makes replay expect what was recorded.
#ifndef PYREPLAY_REPLAY_NOPMU_HEADER_QUIRK_H_
#define PYREPLAY_REPLAY_NOPMU_HEADER_QUIRK_H_

#include <string>

namespace pyreplay::nopmu {

// ClearBufferedSyscallForcedTick rewrites the rr version file at `path` ("85\n" then a packed
// Header) with the quirk cleared, keeping every other field. Returns "" on success, else why not.
// Plain strings, not absl::Status: this runs inside rr, which must not load more than it needs.
std::string ClearBufferedSyscallForcedTick(const std::string& path);

}  // namespace pyreplay::nopmu

#endif  // PYREPLAY_REPLAY_NOPMU_HEADER_QUIRK_H_
