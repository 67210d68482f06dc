#include "replay/common/rr_dialect.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pyreplay {
namespace {

// One row per supported release line (docs/RR.md, "rr releases").
struct ReleaseFacts {
  int major, minor;
  int trace_format;
  RrCommandFormat command_format;
};
constexpr ReleaseFacts kReleases[] = {
    {5, 6, 85, RrCommandFormat::kHexName},
    {5, 7, 85, RrCommandFormat::kHexName},
    {5, 8, 85, RrCommandFormat::kNameAndTid},
    {5, 9, 85, RrCommandFormat::kNameAndTid},
    {5, 10, 85, RrCommandFormat::kNameAndTid},
};

const ReleaseFacts* FactsOf(const RrRelease& release) {
  for (const ReleaseFacts& facts : kReleases) {
    if (facts.major == release.major && facts.minor == release.minor) return &facts;
  }
  return nullptr;
}

// NumberAfter finds `label` in `text` and reads the (optionally signed) decimal after it.
template <typename Int>
bool NumberAfter(absl::string_view text, absl::string_view label, Int* out) {
  size_t at = text.find(label);
  if (at == absl::string_view::npos) return false;
  absl::string_view rest = text.substr(at + label.size());
  size_t end = 0;
  if (end < rest.size() && rest[end] == '-') ++end;
  while (end < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[end]))) ++end;
  return absl::SimpleAtoi(rest.substr(0, end), out);
}

absl::Status Unreadable(absl::string_view command, absl::string_view text) {
  return absl::DataLossError(absl::StrCat("rr's `", command, "` printed \"",
                                          absl::CEscape(text.substr(0, 80)),
                                          "\", which pyreplay cannot read (it knows ",
                                          SupportedRrRange(), ")"));
}

}  // namespace

std::string RrRelease::ToString() const { return absl::StrCat(major, ".", minor, ".", patch); }

std::string SupportedRrRange() {
  return absl::StrCat("rr ", kOldestSupportedRr.major, ".", kOldestSupportedRr.minor, " to ",
                      kNewestSupportedRr.major, ".", kNewestSupportedRr.minor);
}

std::optional<RrRelease> ParseRrRelease(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&text, "rr version ");
  // The number ends at the first character that is neither a digit nor a dot ("5.6.0-1").
  size_t end = 0;
  while (end < text.size() && (absl::ascii_isdigit(static_cast<unsigned char>(text[end])) ||
                               text[end] == '.')) {
    ++end;
  }
  int parts[3] = {0, 0, 0};
  int count = 0;
  for (absl::string_view piece : absl::StrSplit(text.substr(0, end), '.')) {
    if (count == 3 || !absl::SimpleAtoi(piece, &parts[count])) return std::nullopt;
    ++count;
  }
  if (count < 2) return std::nullopt;
  return RrRelease{parts[0], parts[1], parts[2]};
}

bool IsSupportedRr(const RrRelease& release) { return FactsOf(release) != nullptr; }

std::optional<int> TraceFormatOf(const RrRelease& release) {
  const ReleaseFacts* facts = FactsOf(release);
  if (facts == nullptr) return std::nullopt;
  return facts->trace_format;
}

RrCommandFormat RrCommandFormatFor(const std::optional<RrRelease>& release) {
  if (release) {
    if (const ReleaseFacts* facts = FactsOf(*release)) return facts->command_format;
    if (*release < kOldestSupportedRr) return RrCommandFormat::kHexName;
  }
  return RrCommandFormat::kNameAndTid;
}

std::string RrCommandPacket(RrCommandFormat format, absl::string_view name, int64_t tid,
                            const std::vector<std::string>& args) {
  std::string packet = "qRRCmd:";
  if (format == RrCommandFormat::kHexName) {
    absl::StrAppend(&packet, absl::BytesToHexString(name));
  } else {
    absl::StrAppend(&packet, name, ":", tid);
  }
  for (const std::string& arg : args) absl::StrAppend(&packet, ":", absl::BytesToHexString(arg));
  return packet;
}

absl::StatusOr<std::string> DecodeRrCommandReply(absl::string_view reply) {
  if (reply.size() % 2 != 0 ||
      !std::all_of(reply.begin(), reply.end(),
                   [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); })) {
    return absl::DataLossError(absl::StrCat("rr's gdb server answered an rr command with \"",
                                            absl::CEscape(reply.substr(0, 80)),
                                            "\", which is not hex-encoded text"));
  }
  return absl::HexStringToBytes(reply);
}

bool IsUnknownCommandReply(absl::string_view text) {
  return absl::StartsWith(text, "Command '") && absl::StrContains(text, "' not found.");
}

absl::StatusOr<uint64_t> ParseWhenText(absl::string_view text) {
  uint64_t event = 0;
  if (NumberAfter(text, "Completed event: ", &event)) return event + 1;  // rr 5.8+
  if (NumberAfter(text, "Current event: ", &event)) return event;        // rr 5.6, 5.7
  return Unreadable("when", text);
}

absl::StatusOr<uint64_t> ParseTicksText(absl::string_view text) {
  uint64_t ticks = 0;
  if (NumberAfter(text, "Current tick: ", &ticks)) return ticks;
  return Unreadable("when-ticks", text);
}

absl::StatusOr<int64_t> ParseTidText(absl::string_view text) {
  int64_t tid = 0;
  if (NumberAfter(text, "Current tid: ", &tid)) return tid;
  return Unreadable("when-tid", text);
}

absl::StatusOr<int> ParseCheckpointText(absl::string_view text) {
  int id = 0;
  if (NumberAfter(text, "Checkpoint ", &id) && id > 0) return id;
  return Unreadable("checkpoint", text);
}

}  // namespace pyreplay
