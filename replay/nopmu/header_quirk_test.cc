#include "replay/nopmu/header_quirk.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <gtest/gtest.h>
#include <kj/io.h>

#include <fstream>
#include <sstream>

#include "replay/trace/rr_trace.capnp.h"

namespace pyreplay::nopmu {
namespace {

std::string WriteVersionFile(bool forced_tick) {
  capnp::MallocMessageBuilder builder;
  auto header = builder.initRoot<pyreplay::rr::Header>();
  const kj::byte uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  header.setUuid(kj::arrayPtr(uuid, 16));
  header.setBindToCpu(-1);
  header.getQuirks().setBufferedSyscallForcedTick(forced_tick);
  header.getQuirks().setPkeyAllocRecordedExtraRegs(true);
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, builder);
  std::string path = ::testing::TempDir() + "/incomplete";
  std::ofstream file(path, std::ios::binary);
  file << "85\n";
  file.write(reinterpret_cast<const char*>(out.getArray().begin()), out.getArray().size());
  return path;
}

TEST(HeaderQuirkTest, ClearsOnlyTheForcedTickQuirk) {
  std::string path = WriteVersionFile(/*forced_tick=*/true);
  ASSERT_EQ(ClearBufferedSyscallForcedTick(path), "");

  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string contents = text.str();
  ASSERT_EQ(contents.substr(0, 3), "85\n");
  kj::ArrayInputStream input(kj::arrayPtr(reinterpret_cast<const kj::byte*>(contents.data()) + 3,
                                          contents.size() - 3));
  capnp::PackedMessageReader reader(input);
  auto header = reader.getRoot<pyreplay::rr::Header>();
  EXPECT_FALSE(header.getQuirks().getBufferedSyscallForcedTick());
  EXPECT_TRUE(header.getQuirks().getPkeyAllocRecordedExtraRegs());
  EXPECT_EQ(header.getBindToCpu(), -1);
  ASSERT_EQ(header.getUuid().size(), 16u);
  EXPECT_EQ(header.getUuid()[15], 16);
}

TEST(HeaderQuirkTest, ReportsGarbageInsteadOfCrashing) {
  std::string path = ::testing::TempDir() + "/garbage";
  std::ofstream(path, std::ios::binary) << "85\n\xff\xff\xff";
  EXPECT_NE(ClearBufferedSyscallForcedTick(path), "");
  EXPECT_EQ(ClearBufferedSyscallForcedTick(::testing::TempDir() + "/missing"), "cannot open");
}

}  // namespace
}  // namespace pyreplay::nopmu
