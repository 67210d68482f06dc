#include "replay/position/position.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pyreplay {

std::string FormatPosition(const ExactPosition& position) {
  std::string out = absl::StrFormat("event %d, ticks %d, tid %d", position.event, position.ticks,
                                    position.tid);
  if (position.pc != 0) absl::StrAppendFormat(&out, ", pc 0x%x", position.pc);
  return out;
}

absl::StatusOr<uint64_t> ParseEventTarget(absl::string_view text, uint64_t current) {
  absl::string_view digits = text;
  int sign = 0;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    sign = digits[0] == '+' ? 1 : -1;
    digits.remove_prefix(1);
  }
  uint64_t value = 0;
  if (digits.empty() || !absl::SimpleAtoi(digits, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not an event: use N, +K, -K or @MARK"));
  }
  if (sign == 0) return value;
  if (sign > 0) return current + value;
  if (value >= current) {
    return absl::OutOfRangeError(absl::StrCat("event ", current, " - ", value,
                                              " is before the first event (1)"));
  }
  return current - value;
}

}  // namespace pyreplay
