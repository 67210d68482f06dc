#include "replay/common/terminal.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pyreplay {
namespace {

bool IsColourTerminal(FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != 0) return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && absl::string_view(term) == "dumb") return false;
  return isatty(fileno(stream)) == 1;
}

}  // namespace

Style::Style(FILE* stream) : enabled_(IsColourTerminal(stream)) {}

std::string Style::Wrap(absl::string_view code, absl::string_view text) const {
  if (!enabled_) return std::string(text);
  return absl::StrCat("\033[", code, "m", text, "\033[0m");
}

ProgressBar::ProgressBar(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total == 0 ? 1 : total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(absl::Now()),
      last_draw_(absl::InfinitePast()) {}

ProgressBar::~ProgressBar() {
  if (enabled_) fprintf(stderr, "\r\033[K");
}

void ProgressBar::Update(uint64_t done) {
  if (!enabled_) return;
  absl::Time now = absl::Now();
  // Redrawing costs a write syscall; 10 frames a second is smooth enough.
  if (now - last_draw_ < absl::Milliseconds(100) && done < total_) return;
  last_draw_ = now;
  double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  constexpr int kWidth = 30;
  int filled = static_cast<int>(fraction * kWidth);
  std::string eta = "";
  double elapsed = absl::ToDoubleSeconds(now - start_);
  if (fraction > 0.01 && fraction < 1.0) {
    eta = absl::StrFormat(" ETA %.0fs", elapsed * (1 - fraction) / fraction);
  }
  fprintf(stderr, "\r\033[K%s [%s%s] %3.0f%%%s", label_.c_str(), std::string(filled, '#').c_str(),
          std::string(kWidth - filled, ' ').c_str(), fraction * 100, eta.c_str());
  fflush(stderr);
}

}  // namespace pyreplay
