#include "replay/pyframes/line_table.h"

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace pyreplay {
namespace {

using Expected = std::vector<std::tuple<int, int, std::optional<int>>>;

// Vectors from /usr/bin/python3.11: co_linetable.hex() and co_lines() (in code units) of small
// functions, so every entry form of Objects/locations.md appears.
void ExpectMatches(const std::string& hex, int first_line, const Expected& expected) {
  std::string bytes = absl::HexStringToBytes(hex);
  absl::StatusOr<LineTable> table = LineTable::Decode(bytes, first_line);
  ASSERT_TRUE(table.ok()) << table.status();
  for (const auto& [start, end, line] : expected) {
    for (int unit = start; unit < end; ++unit) {
      EXPECT_EQ(table->LineAt(unit), line) << "code unit " << unit;
    }
  }
  EXPECT_EQ(table->LineAt(std::get<1>(expected.back())), std::nullopt);  // past the end
  EXPECT_EQ(table->LineAt(-1), first_line);  // a frame that has not started
}

TEST(LineTableTest, ShortOneLineLongAndNoColumnForms) {
  ExpectMatches(
      "8000d80809884189058041d80708883182758075dd1116907191189418f000020912f0000209128841d80c0d90"
      "11d81011f103011212f100010d1288418841f003020912f008000d0f8801f004010c16f000010c16dd0c119021"
      "89488c48f003010c16f100010c16f400010c16f000010516",
      2,
      {{0, 1, 2},   {1, 2, 3},   {2, 3, 3},   {3, 5, 3},   {5, 6, 3},   {6, 7, 4},
       {7, 8, 4},   {8, 11, 4},  {11, 12, 4}, {12, 18, 5}, {18, 19, 5}, {19, 21, 5},
       {21, 26, 5}, {26, 27, 5}, {27, 28, 5}, {28, 29, 5}, {29, 30, 6}, {30, 31, 6},
       {31, 32, 7}, {32, 34, 6}, {34, 36, 6}, {36, 37, 6}, {37, 38, 6}, {38, 39, 5},
       {39, 40, 9}, {40, 41, 9}, {41, 42, 11}, {42, 43, 11}, {43, 49, 12}, {49, 50, 12},
       {50, 52, 12}, {52, 57, 12}, {57, 58, 11}, {58, 60, 11}, {60, 65, 11}, {65, 66, 11}});
}

TEST(LineTableTest, NoLocationEntries) {
  ExpectMatches(
      "8000dd090d886189178c17f00004052a9042f00203092ad813159737923791399439f00504052af00004052af0"
      "0004052af00004052af10004052af40004052af00004052af00004052af8f506001017f00001092af00001092a"
      "f00001092add121c9851912d942da054d00c29f8f8f8f8f00301092af8f8f8f00704052af00004052af000040"
      "52af00004052af8f8f8f00004052af00004052af00004052af00004052af00004052af00004052a",
      2,
      {{0, 1, 2},   {1, 7, 3},   {7, 8, 3},   {8, 10, 3},  {10, 15, 3}, {15, 16, 3},
       {16, 17, 3}, {17, 18, 4}, {18, 19, 5}, {19, 27, 5}, {27, 30, 5}, {30, 32, 5},
       {32, 37, 5}, {37, 38, 3}, {38, 39, 3}, {39, 40, 3}, {40, 41, 3}, {41, 43, 3},
       {43, 48, 3}, {48, 49, 3}, {49, 50, 3}, {50, 51, std::nullopt}, {51, 57, 6},
       {57, 58, 6}, {58, 59, 6}, {59, 60, 6}, {60, 66, 7}, {66, 67, 7}, {67, 69, 7},
       {69, 74, 7}, {74, 75, 7}, {75, 76, 7}, {76, 77, std::nullopt}, {77, 78, std::nullopt},
       {78, 79, std::nullopt}, {79, 80, std::nullopt}, {80, 81, 6}, {81, 82, std::nullopt},
       {82, 83, std::nullopt}, {83, 84, std::nullopt}, {84, 85, 3}, {85, 86, 3}, {86, 87, 3},
       {87, 88, 3}, {88, 89, std::nullopt}, {89, 90, std::nullopt}, {90, 91, std::nullopt},
       {91, 92, 3}, {92, 93, 3}, {93, 94, 3}, {94, 95, 3}, {95, 96, 3}, {96, 97, 3}});
}

TEST(LineTableTest, EmptyTableHasNoLines) {
  absl::StatusOr<LineTable> table = LineTable::Decode("", 10);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->LineAt(0), std::nullopt);
}

TEST(LineTableTest, CorruptTablesAreDataLoss) {
  // A continuation byte where an entry must start.
  EXPECT_EQ(LineTable::Decode(std::string("\x05", 1), 1).status().code(),
            absl::StatusCode::kDataLoss);
  // A long-form entry (code 14) cut short.
  EXPECT_EQ(LineTable::Decode(std::string("\xf0\x02", 2), 1).status().code(),
            absl::StatusCode::kDataLoss);
  // A short form without its column byte.
  EXPECT_EQ(LineTable::Decode(std::string("\x80", 1), 1).status().code(),
            absl::StatusCode::kDataLoss);
  // An endless varint (every chunk says "more") ends at the table's end, not in a hang.
  EXPECT_EQ(LineTable::Decode(std::string("\xe8") + std::string(100, '\x7f'), 1).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace pyreplay
