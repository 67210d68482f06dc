#include "replay/pyframes/line_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// Cursor reads the entries' bytes with bounds checks.
class Cursor {
 public:
  explicit Cursor(absl::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  size_t pos() const { return pos_; }

  bool Byte(uint8_t* out) {
    if (pos_ >= data_.size()) return false;
    *out = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  // Varint: 6-bit chunks, least significant first, bit 6 set on all but the last.
  bool Varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 6) {
      uint8_t b;
      if (!Byte(&b) || (b & 0x80)) return false;  // a set bit 7 starts the next entry
      value |= static_cast<uint64_t>(b & 0x3f) << shift;
      if (!(b & 0x40)) {
        *out = value;
        return true;
      }
    }
    return false;
  }
  bool Svarint(int64_t* out) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *out = (u & 1) ? -static_cast<int64_t>(u >> 1) : static_cast<int64_t>(u >> 1);
    return true;
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<LineTable> LineTable::Decode(absl::string_view table, int first_line) {
  LineTable result;
  result.first_line_ = first_line;
  Cursor in(table);
  int64_t line = first_line;
  int unit = 0;
  while (!in.done()) {
    size_t at = in.pos();
    uint8_t first;
    in.Byte(&first);
    if (!(first & 0x80)) {
      return absl::DataLossError(
          absl::StrCat("co_linetable: byte ", at, " does not start an entry (0x",
                       absl::Hex(first), ")"));
    }
    int code = (first >> 3) & 15;
    int length = (first & 7) + 1;
    std::optional<int> entry_line;
    bool ok = true;
    if (code == 15) {  // no location
    } else if (code == 14) {  // long form: Δline svarint, Δend varint, col varint, endcol varint
      int64_t delta;
      uint64_t skip;
      ok = in.Svarint(&delta) && in.Varint(&skip) && in.Varint(&skip) && in.Varint(&skip);
      line += delta;
      entry_line = static_cast<int>(line);
    } else if (code == 13) {  // no column info
      int64_t delta;
      ok = in.Svarint(&delta);
      line += delta;
      entry_line = static_cast<int>(line);
    } else if (code >= 10) {  // one-line form: Δline = code - 10, two column bytes
      uint8_t skip;
      ok = in.Byte(&skip) && in.Byte(&skip) && !(skip & 0x80);
      line += code - 10;
      entry_line = static_cast<int>(line);
    } else {  // short form: same line, one column byte
      uint8_t skip;
      ok = in.Byte(&skip) && !(skip & 0x80);
      entry_line = static_cast<int>(line);
    }
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat("co_linetable: entry at byte ", at, " (code ", code, ") is truncated"));
    }
    result.ranges_.push_back(Range{unit, unit + length, entry_line});
    unit += length;
  }
  return result;
}

std::optional<int> LineTable::LineAt(int lasti) const {
  if (ranges_.empty()) return std::nullopt;
  // A frame that has not started (prev_instr = code - 1): PyCode_Addr2Line gives
  // co_firstlineno for a negative offset.
  if (lasti < 0) return first_line_;
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), lasti,
                             [](int v, const Range& r) { return v < r.end; });
  if (it == ranges_.end()) return std::nullopt;
  return it->line;
}

}  // namespace pyreplay
