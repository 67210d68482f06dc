#include "replay/position/event_sites.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/common/atomic_file.h"

namespace pyreplay {
namespace {

TEST(EventSitesTest, FormatsSockaddrs) {
  sockaddr_in in4{};
  in4.sin_family = AF_INET;
  in4.sin_port = 8080;  // host order, as rr stores it
  inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
  EXPECT_EQ(FormatSockaddr(std::string(reinterpret_cast<char*>(&in4), sizeof(in4))),
            "127.0.0.1:8080");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = 9;
  inet_pton(AF_INET6, "::1", &in6.sin6_addr);
  EXPECT_EQ(FormatSockaddr(std::string(reinterpret_cast<char*>(&in6), sizeof(in6))), "[::1]:9");
  EXPECT_EQ(FormatSockaddr(""), "");
  EXPECT_EQ(FormatSockaddr(std::string(3, 'x')), "");
}

TEST(EventSitesTest, MissingAndCorruptStreams) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("event_sites_test-", getpid());
  std::filesystem::create_directories(dir);
  EXPECT_EQ(ReadEventSites(dir.string()).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomically((dir / "events").string(), "abc").ok());
  EXPECT_EQ(ReadEventSites(dir.string()).status().code(), absl::StatusCode::kDataLoss);
  std::string chunk("\x05\0\0\0\x10\0\0\0garbage-bytes", 21);
  ASSERT_TRUE(WriteFileAtomically((dir / "events").string(), chunk).ok());
  EXPECT_EQ(ReadEventSites(dir.string()).status().code(), absl::StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pyreplay
