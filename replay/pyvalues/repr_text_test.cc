#include "replay/pyvalues/repr_text.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

// Expected texts are what CPython 3.11's repr() prints for the same values.
TEST(ReprText, FloatsAsReprPrintsThem) {
  EXPECT_EQ(ReprFloat(0.1), "0.1");
  EXPECT_EQ(ReprFloat(1.0), "1.0");
  EXPECT_EQ(ReprFloat(-0.0), "-0.0");
  EXPECT_EQ(ReprFloat(1e300), "1e+300");
  EXPECT_EQ(ReprFloat(1e16), "1e+16");
  EXPECT_EQ(ReprFloat(1e15), "1000000000000000.0");
  EXPECT_EQ(ReprFloat(123456789.125), "123456789.125");
  EXPECT_EQ(ReprFloat(0.0001), "0.0001");
  EXPECT_EQ(ReprFloat(0.00001), "1e-05");
  EXPECT_EQ(ReprFloat(1.5e-300), "1.5e-300");
  EXPECT_EQ(ReprFloat(2.0 / 3), "0.6666666666666666");
  EXPECT_EQ(ReprFloat(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(ReprFloat(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(ReprFloat(std::nan("")), "nan");
  EXPECT_EQ(ReprFloat(5e-324), "5e-324");
}

TEST(ReprText, StrQuotingAndEscapes) {
  EXPECT_EQ(ReprStr(U"hello"), "'hello'");
  EXPECT_EQ(ReprStr(U"it's"), "\"it's\"");
  EXPECT_EQ(ReprStr(U"both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(ReprStr(U"tab\tnl\ncr\r\\"), "'tab\\tnl\\ncr\\r\\\\'");
  EXPECT_EQ(ReprStr(U"\x01\x7f"), "'\\x01\\x7f'");
  EXPECT_EQ(ReprStr(U"caf\u00e9 \u00a0"), "'caf\xc3\xa9 \\xa0'");
  EXPECT_EQ(ReprStr(U"\u20ac\u200b"), "'\xe2\x82\xac\\u200b'");
  EXPECT_EQ(ReprStr(U"\U0001F600\U000E0001"), "'\xf0\x9f\x98\x80\\U000e0001'");
  EXPECT_EQ(ReprStr(U"\xd800"), "'\\ud800'");
  EXPECT_EQ(ReprStr(U""), "''");
}

TEST(ReprText, BytesQuotingAndEscapes) {
  EXPECT_EQ(ReprBytes(std::string("a\x00'\xff\t", 5)), "b\"a\\x00'\\xff\\t\"");
  EXPECT_EQ(ReprBytes("plain"), "b'plain'");
  EXPECT_EQ(ReprBytes(""), "b''");
}

TEST(ReprText, IntsFromThirtyBitDigits) {
  EXPECT_EQ(LongToDecimal({}, false), "0");
  EXPECT_EQ(LongToDecimal({5}, true), "-5");
  // 2**30 = 1073741824; 2**60 = 1152921504606846976
  EXPECT_EQ(LongToDecimal({0, 1}, false), "1073741824");
  EXPECT_EQ(LongToDecimal({0, 0, 1}, false), "1152921504606846976");
  // 10**20, split into 30-bit digits here.
  std::vector<uint32_t> d;
  unsigned __int128 v = static_cast<unsigned __int128>(100000000000000000000.0L);
  while (v) { d.push_back(static_cast<uint32_t>(v & 0x3fffffff)); v >>= 30; }
  EXPECT_EQ(LongToDecimal(d, true), "-100000000000000000000");
}

}  // namespace
}  // namespace pyreplay
