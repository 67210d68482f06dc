// line_table.h: CPython 3.11's location table (`co_linetable`), decoded.
//
// The format is CPython's Objects/locations.md: a sequence of entries, each covering 1..8 code
// units, whose start line is a delta from the previous entry's (or from co_firstlineno). Only
// lines are kept; columns are skipped.
//
//   ASSIGN_OR_RETURN(LineTable table, LineTable::Decode(linetable_bytes, co_firstlineno));
//   std::optional<int> line = table.LineAt(lasti);   // lasti in 2-byte code units
#ifndef PYREPLAY_REPLAY_PYFRAMES_LINE_TABLE_H_
#define PYREPLAY_REPLAY_PYFRAMES_LINE_TABLE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace pyreplay {

// LineTable maps a code unit offset to its source line.
class LineTable {
 public:
  // Range is `[start, end)` in code units, with its line (nullopt: no location, code 15).
  struct Range {
    int start = 0;
    int end = 0;
    std::optional<int> line;
  };

  // Decode parses a 3.11 `co_linetable`. DataLoss when an entry is truncated or does not start
  // with its marker bit.
  static absl::StatusOr<LineTable> Decode(absl::string_view table, int first_line);

  // LineAt is the line of code unit `lasti`. For lasti < 0 (a frame that has not started) it is
  // co_firstlineno, as CPython's PyCode_Addr2Line gives; nullopt for
  // an offset past the table or an instruction without a location.
  std::optional<int> LineAt(int lasti) const;

  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
  int first_line_ = 0;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_LINE_TABLE_H_
