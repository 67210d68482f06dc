// hunt_condition.h: what counts as a failing run for `pyreplay hunt --until CONDITION`.
//
//   ""             a non-zero exit or a fatal signal (the default)
//   "exit!=0"      an exit code other than 0 (any `exit!=N`; `exit==N` matches that code)
//   "signal"       killed by a fatal signal (SIGSEGV, SIGABRT, ...)
//   "output~REGEX" the program's output (stdout and stderr) contains a match of REGEX (ECMAScript)
//
//   ASSIGN_OR_RETURN(HuntCondition until, ParseHuntCondition("output~lost update"));
//   if (until.Matches(status, output)) ...
#ifndef PYREPLAY_REPLAY_HUNT_HUNT_CONDITION_H_
#define PYREPLAY_REPLAY_HUNT_HUNT_CONDITION_H_

#include <memory>
#include <regex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/common/subprocess.h"

namespace pyreplay {

class HuntCondition {
 public:
  enum class Kind { kFailure, kExitNotEqual, kExitEqual, kSignal, kOutputMatch };

  // The default condition: a non-zero exit or a fatal signal.
  HuntCondition() = default;

  Kind kind() const { return kind_; }
  // Text is the condition as the user would write it ("non-zero exit or fatal signal" for the
  // default), for summaries.
  const std::string& text() const { return text_; }
  // Matches says whether a run that ended with `status` and printed `output` is a failure.
  bool Matches(const ExitStatus& status, absl::string_view output) const;
  // NeedsOutput is true when the program's output must be captured to decide.
  bool NeedsOutput() const { return kind_ == Kind::kOutputMatch; }

 private:
  friend absl::StatusOr<HuntCondition> ParseHuntCondition(absl::string_view text);
  Kind kind_ = Kind::kFailure;
  int code_ = 0;
  std::string text_ = "non-zero exit or fatal signal";
  std::shared_ptr<const std::regex> regex_;
};

// ParseHuntCondition parses an --until expression. InvalidArgument, saying what is accepted, for
// anything else (an unknown form, a bad number, an empty or malformed regex).
absl::StatusOr<HuntCondition> ParseHuntCondition(absl::string_view text);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_HUNT_HUNT_CONDITION_H_
