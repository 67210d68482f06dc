#include "replay/pyvalues/repr_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace pyreplay {
namespace {

// Quote is the quote repr() picks: ' unless the text holds ' and no ".
template <typename Chars>
char Quote(const Chars& text) {
  bool single = false, dbl = false;
  for (auto c : text) {
    single = single || c == '\'';
    dbl = dbl || c == '"';
  }
  return single && !dbl ? '"' : '\'';
}

// A closed range of code points that str.isprintable() rejects.
struct Range {
  char32_t first, last;
};

// kUnprintable lists Cc, Cf, Zs (but ' '), Zl, Zp, Cs and Co ranges, plus noncharacters.
constexpr Range kUnprintable[] = {
    {0x0000, 0x001f}, {0x007f, 0x00a0}, {0x00ad, 0x00ad}, {0x0600, 0x0605}, {0x061c, 0x061c},
    {0x06dd, 0x06dd}, {0x070f, 0x070f}, {0x0890, 0x0891}, {0x08e2, 0x08e2}, {0x1680, 0x1680},
    {0x180e, 0x180e}, {0x2000, 0x200f}, {0x2028, 0x202f}, {0x205f, 0x2064}, {0x2066, 0x206f},
    {0x3000, 0x3000}, {0xd800, 0xf8ff}, {0xfdd0, 0xfdef}, {0xfeff, 0xfeff}, {0xfff9, 0xfffb},
    {0xfffe, 0xffff}, {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
    {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
    {0xf0000, 0x10ffff},
};

}  // namespace

bool IsPrintable(char32_t c) {
  if (c == ' ') return true;
  if ((c & 0xfffe) == 0xfffe) return false;  // U+xFFFE / U+xFFFF of every plane
  for (const Range& r : kUnprintable) {
    if (c < r.first) return true;  // sorted: nothing later can match
    if (c <= r.last) return false;
  }
  return true;
}

void AppendUtf8(std::string* out, char32_t c) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else if (c < 0x110000) {
    out->push_back(static_cast<char>(0xf0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3f)));
  } else {
    out->append("\xef\xbf\xbd");  // U+FFFD: not a code point at all
  }
}

std::string ReprFloat(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // Shortest round-trip digits in scientific form: "-1.2345e+02".
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  // Python's float_repr_style 'short': decpt is where the point goes after digits[0..decpt).
  int decpt = exponent + 1;
  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    absl::StrAppend(&out, "e", exponent < 0 ? "-" : "+",
                    absl::StrFormat("%02d", exponent < 0 ? -exponent : exponent));
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(decpt) - digits.size(), '0') + ".0";
  } else {
    out += digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  return out;
}

std::string ReprStr(std::u32string_view text) {
  char quote = Quote(text);
  std::string out(1, quote);
  for (char32_t c : text) {
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c < 0x20 || c == 0x7f) {
      out.append(absl::StrFormat("\\x%02x", static_cast<uint32_t>(c)));
    } else if (c < 0x7f || IsPrintable(c)) {
      AppendUtf8(&out, c);
    } else if (c < 0x100) {
      out.append(absl::StrFormat("\\x%02x", static_cast<uint32_t>(c)));
    } else if (c < 0x10000) {
      out.append(absl::StrFormat("\\u%04x", static_cast<uint32_t>(c)));
    } else {
      out.append(absl::StrFormat("\\U%08x", static_cast<uint32_t>(c)));
    }
  }
  out.push_back(quote);
  return out;
}

std::string ReprBytes(std::string_view bytes) {
  char quote = Quote(bytes);
  std::string out = "b";
  out.push_back(quote);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out.append("\\t");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c < 0x20 || c >= 0x7f) {
      out.append(absl::StrFormat("\\x%02x", c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back(quote);
  return out;
}

std::string LongToDecimal(const std::vector<uint32_t>& digits, bool negative) {
  // Convert base 2**30 to base 10**9, most significant digit first (CPython's
  // long_to_decimal_string does the same): out = out * 2**30 + digit, in base 10**9.
  constexpr uint32_t kDecimalBase = 1000000000;
  std::vector<uint32_t> out;  // base 10**9, least significant first
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    uint64_t carry = *it & ((1u << 30) - 1);
    for (uint32_t& d : out) {
      uint64_t z = (static_cast<uint64_t>(d) << 30) + carry;
      d = static_cast<uint32_t>(z % kDecimalBase);
      carry = z / kDecimalBase;
    }
    while (carry != 0) {
      out.push_back(static_cast<uint32_t>(carry % kDecimalBase));
      carry /= kDecimalBase;
    }
  }
  if (out.empty()) return "0";
  std::string text = negative ? "-" : "";
  absl::StrAppend(&text, out.back());
  for (size_t i = out.size() - 1; i-- > 0;) absl::StrAppend(&text, absl::StrFormat("%09u", out[i]));
  return text;
}

}  // namespace pyreplay
