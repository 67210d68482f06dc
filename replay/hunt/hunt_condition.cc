#include "replay/hunt/hunt_condition.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace pyreplay {
namespace {

absl::Status Unknown(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "bad --until '", text, "': ", why,
      "; use exit!=0, exit==N, signal or output~REGEX (default: non-zero exit or fatal signal)"));
}

}  // namespace

bool HuntCondition::Matches(const ExitStatus& status, absl::string_view output) const {
  switch (kind_) {
    case Kind::kFailure:
      return !status.ok();
    case Kind::kExitNotEqual:
      return status.signal == 0 && status.code != code_;
    case Kind::kExitEqual:
      return status.signal == 0 && status.code == code_;
    case Kind::kSignal:
      return status.signal != 0;
    case Kind::kOutputMatch:
      return std::regex_search(output.begin(), output.end(), *regex_);
  }
  return false;
}

absl::StatusOr<HuntCondition> ParseHuntCondition(absl::string_view text) {
  HuntCondition condition;
  absl::string_view spec = absl::StripAsciiWhitespace(text);
  if (spec.empty()) return condition;
  absl::string_view rest = spec;
  if (absl::ConsumePrefix(&rest, "output~")) {
    if (rest.empty()) return Unknown(text, "the regular expression is empty");
    try {
      condition.regex_ = std::make_shared<const std::regex>(
          std::string(rest), std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return Unknown(text, absl::StrCat("the regular expression does not parse (", e.what(), ")"));
    }
    condition.kind_ = HuntCondition::Kind::kOutputMatch;
    condition.text_ = std::string(spec);
    return condition;
  }
  std::string compact;
  for (char c : spec) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact.push_back(c);
  }
  rest = compact;
  if (rest == "signal") {
    condition.kind_ = HuntCondition::Kind::kSignal;
    condition.text_ = "signal";
    return condition;
  }
  if (absl::ConsumePrefix(&rest, "exit")) {
    bool not_equal = absl::ConsumePrefix(&rest, "!=");
    if (!not_equal && !absl::ConsumePrefix(&rest, "==")) {
      return Unknown(text, "compare the exit code with != or ==");
    }
    int code = 0;
    if (!absl::SimpleAtoi(rest, &code) || code < 0 || code > 255) {
      return Unknown(text, "the exit code must be a number from 0 to 255");
    }
    condition.kind_ = not_equal ? HuntCondition::Kind::kExitNotEqual
                                : HuntCondition::Kind::kExitEqual;
    condition.code_ = code;
    condition.text_ = absl::StrCat("exit", not_equal ? "!=" : "==", code);
    return condition;
  }
  return Unknown(text, "unknown condition");
}

}  // namespace pyreplay
