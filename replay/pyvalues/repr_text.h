// repr_text.h: Python's repr() text for the scalar types, from their decoded contents.
//
// The value reader (value_reader.h) decodes an object's memory into plain C++ values; these
// functions turn those into exactly the text CPython's own repr() prints, so a test can compare
// with what the recorded program printed:
//
//   ReprFloat(0.1)                 // "0.1"   (shortest round trip, as float_repr)
//   ReprFloat(1e16)                // "1e+16"
//   ReprStr(U"it's")               // "\"it's\""
//   ReprBytes("a\x00'")            // "b\"a\\x00'\""
//   LongToDecimal(digits, true)    // "-1234..." from 30-bit digits, least significant first
#ifndef PYREPLAY_REPLAY_PYVALUES_REPR_TEXT_H_
#define PYREPLAY_REPLAY_PYVALUES_REPR_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pyreplay {

// ReprFloat is repr(float): the shortest digits that round-trip (std::to_chars), in fixed
// notation with a ".0" when the decimal exponent is in [-4, 16), else as "1.5e+300"; "inf",
// "-inf", "nan", "-0.0".
std::string ReprFloat(double value);

// ReprStr is repr(str) as UTF-8: single quotes unless the text holds ' and no ", escapes for \\,
// the quote, \t \n \r, and \xhh / \uhhhh / \Uhhhhhhhh for characters Python does not print
// (IsPrintable).
std::string ReprStr(std::u32string_view text);

// ReprBytes is repr(bytes): b'...' with the same quote rule, \t \n \r \\ and \xhh for bytes
// outside 0x20..0x7e.
std::string ReprBytes(std::string_view bytes);

// LongToDecimal is the decimal text of an int given as base-2**30 digits, least significant
// first (PyLongObject's ob_digit), with a leading '-' when negative. No digits is "0".
std::string LongToDecimal(const std::vector<uint32_t>& digits, bool negative);

// IsPrintable approximates Py_UNICODE_ISPRINTABLE without the Unicode database: false for the
// control, format, separator (except ' '), surrogate and private-use ranges and noncharacters
// that str.isprintable() rejects. Unassigned code points count as printable (a known gap:
// Python escapes those too).
bool IsPrintable(char32_t c);

// AppendUtf8 appends `c` as UTF-8 (a lone surrogate as its 3-byte form, as Python's
// 'surrogatepass' would, so the text stays faithful).
void AppendUtf8(std::string* out, char32_t c);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_REPR_TEXT_H_
