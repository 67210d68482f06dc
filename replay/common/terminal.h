// terminal.h: colour and progress output that behave on terminals, pipes and CI logs.
//
// Colour only when the stream is a terminal and NO_COLOR is unset (https://no-color.org).
// Progress bars draw only on a terminal; elsewhere they print nothing, so logs stay clean.
//
//   Style style(stderr);
//   fprintf(stderr, "%s\n", style.Error("error: no such trace").c_str());
//   ProgressBar bar("indexing", total_bytes);
//   bar.Update(done_bytes);
#ifndef PYREPLAY_REPLAY_COMMON_TERMINAL_H_
#define PYREPLAY_REPLAY_COMMON_TERMINAL_H_

#include <stdio.h>

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/time/clock.h"

namespace pyreplay {

// Style wraps text in ANSI colours when `stream` is a colour-capable terminal.
class Style {
 public:
  explicit Style(FILE* stream);
  bool enabled() const { return enabled_; }
  std::string Bold(absl::string_view text) const { return Wrap("1", text); }
  std::string Dim(absl::string_view text) const { return Wrap("2", text); }
  std::string Error(absl::string_view text) const { return Wrap("1;31", text); }
  std::string Warn(absl::string_view text) const { return Wrap("33", text); }
  std::string Good(absl::string_view text) const { return Wrap("32", text); }
  std::string Accent(absl::string_view text) const { return Wrap("36", text); }

 private:
  std::string Wrap(absl::string_view code, absl::string_view text) const;
  bool enabled_;
};

// ProgressBar draws "label [#####     ] 42% ETA 3s" on stderr when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total);
  ~ProgressBar();  // clears the line
  void Update(uint64_t done);

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  absl::Time start_;
  absl::Time last_draw_;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_COMMON_TERMINAL_H_
