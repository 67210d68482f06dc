#include "replay/common/text_escape.h"

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

TEST(EscapeText, KeepsPrintableUtf8) {
  EXPECT_EQ(EscapeText("sockets.py:57 in client()"), "sockets.py:57 in client()");
  EXPECT_EQ(EscapeText("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_TRUE(IsSafeText("/tmp/x"));
}

TEST(EscapeText, EscapesInvalidUtf8AsHex) {
  EXPECT_EQ(EscapeText("a\xffz"), "a\\xffz");
  EXPECT_EQ(EscapeText("\xc3"), "\\xc3");                  // truncated sequence
  EXPECT_EQ(EscapeText("\xc0\xaf"), "\\xc0\\xaf");         // overlong '/'
  EXPECT_EQ(EscapeText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(EscapeText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(EscapeText, EscapesTerminalControls) {
  EXPECT_EQ(EscapeText("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeText("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(EscapeText("a\x7f"), "a\\x7f");
  EXPECT_EQ(EscapeText("\xc2\x9b" "2J"), "\\u{009b}2J");  // C1 CSI, well-formed UTF-8
  EXPECT_EQ(EscapeText("\xe2\x80\xae"), "\\u{202e}");     // right-to-left override
  EXPECT_EQ(EscapeText("a\nb\tc"), "a\\x0ab\\x09c");
  EXPECT_EQ(EscapeText("a\nb\tc", /*keep_newlines=*/true), "a\nb\tc");
  EXPECT_EQ(EscapeText(std::string("a\0b", 3)), "a\\x00b");
}

TEST(EscapeText, EveryByteSequenceDumpsAsJson) {
  for (int b = 0; b < 256; ++b) {
    std::string s = "x" + std::string(1, static_cast<char>(b)) + "y";
    nlohmann::json j = {{"name", s}, {s, {s, 1}}};
    std::string dumped;
    EXPECT_NO_THROW(dumped = DumpJson(j)) << b;
    EXPECT_TRUE(IsSafeText(dumped, /*keep_newlines=*/true)) << b;
    // No escaping: nlohmann's dump would throw for any byte >= 0x80 alone.
  }
}

TEST(EscapeText, DumpJsonEscapesNestedStringsAndKeys) {
  nlohmann::json j = {{"marks", {{{"note", "\x1b[2J"}}}}, {"k\xff", "v"}};
  EXPECT_EQ(DumpJson(j, -1), R"({"k\\xff":"v","marks":[{"note":"\\x1b[2J"}]})");
}

}  // namespace
}  // namespace pyreplay
