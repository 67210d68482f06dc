#include "replay/common/elf_symbols.h"

#include <fstream>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {

// Debian's libc is on every machine that runs pyreplay; the deep pass reads exactly this file.
constexpr char kLibc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";

TEST(ElfSymbolsTest, FindsLibcSocketFunctions) {
  absl::StatusOr<ElfSymbols> symbols = ReadDynamicSymbols(kLibc, {"connect", "accept4", "nope_"});
  ASSERT_TRUE(symbols.ok()) << symbols.status();
  EXPECT_TRUE(symbols->position_independent);
  EXPECT_NE(symbols->values.at("connect"), 0u);
  EXPECT_NE(symbols->values.at("accept4"), symbols->values.at("connect"));
  EXPECT_FALSE(symbols->values.contains("nope_"));
}

TEST(ElfSymbolsTest, RejectsWhatIsNotElf) {
  std::string path = testing::TempDir() + "/not_elf";
  std::ofstream(path) << "#!/bin/sh\necho hello\n";
  absl::StatusOr<ElfSymbols> symbols = ReadDynamicSymbols(path, {"connect"});
  EXPECT_EQ(symbols.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(symbols.status().message().find(path), std::string::npos);
  EXPECT_EQ(ReadDynamicSymbols(path + ".missing", {}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ElfSymbolsTest, TruncatedElfIsAnError) {
  std::ifstream in(kLibc, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), head.size());
  std::string path = testing::TempDir() + "/truncated_libc";
  std::ofstream(path, std::ios::binary) << head;
  EXPECT_EQ(ReadDynamicSymbols(path, {"connect"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pyreplay
