#include "replay/pack/marks_exchange.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"
#include "replay/marks/mark_json.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

class MarksExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           absl::StrCat("marks_exchange_test-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "a");
    fs::create_directories(dir_ / "b");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Mark At(std::string name, uint64_t event, std::string author) {
    Mark m;
    m.name = std::move(name);
    m.note = "note of " + author;
    m.author = std::move(author);
    m.position.event = event;
    m.position.tid = 7;
    m.position.pc = 0x4000;
    m.position.registers = {{"rip", 0x4000}, {"rax", 1}};
    return m;
  }

  fs::path dir_;
};

TEST_F(MarksExchangeTest, JsonRoundTrip) {
  MarkStore a((dir_ / "a").string());
  ASSERT_TRUE(a.Add(At("first", 10, "ada")).ok());
  std::vector<Mark> marks = *a.List();
  absl::StatusOr<std::vector<Mark>> back = MarksFromJsonText(MarksToJson(marks).dump(), "x.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_TRUE(SameMarkContent((*back)[0], marks[0]));
  EXPECT_FALSE(MarksFromJsonText("{", "x.json").ok());
  EXPECT_FALSE(MarksFromJsonText("[{\"id\": \"zz\"}]", "x.json").ok());
}

TEST_F(MarksExchangeTest, MergeAddsByIdKeepsBothVersionsAndIsIdempotent) {
  MarkStore a((dir_ / "a").string());
  MarkStore b((dir_ / "b").string());
  Mark shared = *a.Add(At("shared", 10, "ada"));
  ASSERT_TRUE(b.MergeFrom({shared}).ok());
  ASSERT_TRUE(b.Add(At("bobs", 20, "bob")).ok());
  // Bob's copy of the same id, with different content.
  Mark edited = shared;
  edited.note = "bob's reading";
  edited.author = "bob";
  std::vector<Mark> incoming = *b.List();
  incoming.push_back(edited);
  incoming.erase(incoming.begin());  // only the edited version of `shared`

  absl::StatusOr<MarksMergeReport> report = MergeMarksInto((dir_ / "a").string(), incoming);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->added, 2);
  ASSERT_EQ(report->conflicts.size(), 1u);
  EXPECT_EQ(report->conflicts[0].local_author, "ada");
  EXPECT_EQ(report->conflicts[0].incoming_author, "bob");
  std::string text = FormatMergeReport(*report, "b");
  EXPECT_NE(text.find("kept ada's version; bob's version kept too"), std::string::npos) << text;
  std::vector<Mark> after = *a.List();
  EXPECT_EQ(after.size(), 3u);

  // Again: nothing changes.
  report = MergeMarksInto((dir_ / "a").string(), incoming);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->added, 0);
  EXPECT_EQ(a.List()->size(), 3u);
  ASSERT_EQ(report->conflicts.size(), 1u);
  EXPECT_TRUE(report->conflicts[0].already_merged);

  // JSON loses the registers' order; the content is still the same.
  std::vector<Mark> via_json = *MarksFromJsonText(MarksToJson(*a.List()).dump(), "x");
  report = MergeMarksInto((dir_ / "a").string(), via_json);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->added, 0);
  EXPECT_TRUE(report->conflicts.empty());
}

TEST_F(MarksExchangeTest, LoadMarksFromFolderAndJsonFile) {
  MarkStore b((dir_ / "b").string());
  ASSERT_TRUE(b.Add(At("bobs", 20, "bob")).ok());
  EXPECT_EQ(LoadMarksFrom((dir_ / "b").string())->size(), 1u);
  std::string json = (dir_ / "m.json").string();
  ASSERT_TRUE(WriteFileAtomically(json, MarksToJson(*b.List()).dump(2)).ok());
  EXPECT_EQ(LoadMarksFrom(json)->size(), 1u);
  EXPECT_TRUE(absl::IsNotFound(LoadMarksFrom((dir_ / "nope").string()).status()));
}

}  // namespace
}  // namespace pyreplay
