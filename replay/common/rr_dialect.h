// rr_dialect.h: everything that differs between the rr releases pyreplay supports (5.6 to 5.10),
// in one place: the release table, the `qRRCmd` packet format and the texts rr's commands print.
//
// Callers never compare rr versions themselves. They ask for a release's facts, build packets
// and read replies through here; the gdb plugin reads the same texts through `_pyreplay`
// (plugin/bind_rr_dialect.cc), so C++ and Python cannot disagree.
//
//   std::optional<RrRelease> rr = ParseRrRelease("rr version 5.9.0 ");
//   std::string packet = RrCommandPacket(RrCommandFormatFor(rr), "when", tid);
//   ASSIGN_OR_RETURN(uint64_t event, ParseWhenText(DecodeRrCommandReply(reply)));
//
// The facts, read from rr's sources at each tag (docs/RR.md, "rr releases"):
// - `when` printed "Current event: T" (T = the frame time of the event being replayed) up to 5.7,
//   and prints "Completed event: T-1" from 5.8 (commit 5435bc41). pyreplay's event number is T.
// - `qRRCmd` carried the hex-encoded command name (`qRRCmd:7768656e`) up to 5.7; from 5.8 it is
//   `qRRCmd:<name>:<tid>[:<hex arg>...]`, and an old-style packet makes rr exit ("Failed to parse
//   debugger request"). rr 5.6/5.7 answer a new-style packet with "Command '' not found.".
// - Every release writes trace format 85 (TRACE_VERSION), and its schema only adds fields.
#ifndef PYREPLAY_REPLAY_COMMON_RR_DIALECT_H_
#define PYREPLAY_REPLAY_COMMON_RR_DIALECT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// RrRelease is an rr version number, e.g. {5, 9, 0}.
struct RrRelease {
  int major = 0;
  int minor = 0;
  int patch = 0;

  std::string ToString() const;  // "5.9.0"
  friend bool operator==(const RrRelease& a, const RrRelease& b) {
    return a.major == b.major && a.minor == b.minor && a.patch == b.patch;
  }
  friend bool operator<(const RrRelease& a, const RrRelease& b) {
    if (a.major != b.major) return a.major < b.major;
    if (a.minor != b.minor) return a.minor < b.minor;
    return a.patch < b.patch;
  }
};

// The releases pyreplay is tested with, oldest and newest.
inline constexpr RrRelease kOldestSupportedRr{5, 6, 0};
inline constexpr RrRelease kNewestSupportedRr{5, 10, 0};

// SupportedRrRange is "rr 5.6 to 5.10", for messages.
std::string SupportedRrRange();

// ParseRrRelease reads "5.9.0", "rr version 5.10.0 ", "5.6.0-1" (Debian); nullopt otherwise.
std::optional<RrRelease> ParseRrRelease(absl::string_view text);

// IsSupportedRr: within [kOldestSupportedRr, kNewestSupportedRr] by major.minor.
bool IsSupportedRr(const RrRelease& release);

// TraceFormatOf is the trace format number (the `version` file's first line) that `release`
// writes and reads, or nullopt for a release outside the table.
std::optional<int> TraceFormatOf(const RrRelease& release);

// How a `qRRCmd` packet names its command.
enum class RrCommandFormat {
  kHexName,      // rr 5.6, 5.7: qRRCmd:<hex name>[:<hex arg>...]
  kNameAndTid,   // rr 5.8 and later: qRRCmd:<name>:<tid>[:<hex arg>...]
};

// RrCommandFormatFor picks the format of `release`; for an unknown release, kNameAndTid, which
// the older releases answer harmlessly with "Command '' not found." (see IsUnknownCommandReply).
RrCommandFormat RrCommandFormatFor(const std::optional<RrRelease>& release);

// RrCommandPacket is the payload of a `qRRCmd` request for command `name` (e.g. "when") about
// thread `tid` (-1: rr's current thread), with `args`.
std::string RrCommandPacket(RrCommandFormat format, absl::string_view name, int64_t tid = -1,
                            const std::vector<std::string>& args = {});

// DecodeRrCommandReply turns rr's hex-encoded reply into its text; DataLoss if it is not hex.
absl::StatusOr<std::string> DecodeRrCommandReply(absl::string_view reply);

// IsUnknownCommandReply: rr did not recognise the command ("Command 'x' not found."), which is
// how rr 5.6/5.7 answer a packet in the newer format.
bool IsUnknownCommandReply(absl::string_view text);

// ParseWhenText reads what `when` prints, on any release, and returns pyreplay's event number:
// rr's frame time of the event being replayed ("Current event: 7" and "Completed event: 6"
// both give 7). DataLoss when the text is neither.
absl::StatusOr<uint64_t> ParseWhenText(absl::string_view text);

// ParseTicksText reads `when-ticks` ("Current tick: 0").
absl::StatusOr<uint64_t> ParseTicksText(absl::string_view text);

// ParseTidText reads `when-tid` ("Current tid: 4242").
absl::StatusOr<int64_t> ParseTidText(absl::string_view text);

// ParseCheckpointText reads what `checkpoint` prints ("Checkpoint 3 at ...") and returns the id.
absl::StatusOr<int> ParseCheckpointText(absl::string_view text);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_RR_DIALECT_H_
