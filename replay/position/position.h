// position.h: an exact, reproducible place in a replay.
//
// rr names a moment by its event number (`when`) and, with a PMU, a tick count. In no-PMU mode
// ticks stay 0, so a place inside one event also carries a discriminator (docs/RR.md, "Going backward without a PMU"):
// replay `run restart_event`, then stop at the `hit_count`-th time thread `tid` reaches `pc`.
// `registers` hold the general registers there, to check the arrival.
//
//   ExactPosition p{.event = 1374, .tid = 15851, .pc = 0x70000000};
//   FormatPosition(p);  // "event 1374, ticks 0, tid 15851, pc 0x70000000"
#ifndef PYREPLAY_REPLAY_POSITION_POSITION_H_
#define PYREPLAY_REPLAY_POSITION_POSITION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

struct ExactPosition {
  uint64_t event = 0;          // rr's frame time, what `when` prints
  uint64_t ticks = 0;          // `when-ticks`; 0 in no-PMU mode
  int32_t tid = 0;             // the recorded thread id
  uint64_t pc = 0;
  uint64_t restart_event = 0;  // the `run` argument the hit count starts from; 0 = none
  uint32_t hit_count = 0;      // 0: the landing of `run restart_event` is the position
  std::vector<std::pair<std::string, uint64_t>> registers;  // gdb's names, in gdb's order

  bool operator==(const ExactPosition&) const = default;
};

// FormatPosition is one line for people: "event 1374, ticks 0, tid 15851, pc 0x70000000".
std::string FormatPosition(const ExactPosition& position);

// ParseEventTarget reads a `goto` target that names an event: "N", "+K" or "-K" relative to
// `current`. InvalidArgument for anything else (marks, "@name", are resolved elsewhere).
absl::StatusOr<uint64_t> ParseEventTarget(absl::string_view text, uint64_t current);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_POSITION_POSITION_H_
