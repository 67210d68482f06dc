#include "replay/index/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "replay/trace/trace_test_writer.h"

namespace pyreplay {
namespace {

using testing::RrSockaddrIn;
using testing::SockaddrIn;
using testing::SockaddrUn;

constexpr uint32_t kLoopback = 0x7f000001;

std::string Bytes(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

// KernelIn6 is a sockaddr_in6 as the kernel writes it: port and address in network order.
std::string KernelIn6(const char* text, uint16_t port) {
  sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  inet_pton(AF_INET6, text, &in6.sin6_addr);
  return Bytes(&in6, sizeof(in6));
}

// RrIn6 is a sockaddr_in6 as rr 5.6.0 stores it in socketAddrs: the port in host order and, for
// a remote address, the four 32-bit words of the address reversed.
std::string RrIn6(const char* text, uint16_t port, bool remote) {
  sockaddr_in6 in6 = {};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = port;
  uint32_t words[4];
  inet_pton(AF_INET6, text, words);
  if (remote) {
    std::swap(words[0], words[3]);
    std::swap(words[1], words[2]);
  }
  memcpy(&in6.sin6_addr, words, 16);
  std::string raw(128, '\0');  // a sockaddr_storage
  memcpy(raw.data(), &in6, sizeof(in6));
  return raw;
}

TEST(SocketAddressTest, DecodesKernelInetLayouts) {
  SocketAddress a = DecodeSockaddr(SockaddrIn(kLoopback, 8765), 16, AddressSource::kSyscall);
  EXPECT_EQ(a.text, "127.0.0.1:8765");
  EXPECT_EQ(a.family, AddressFamily::kInet);
  EXPECT_EQ(a.source, AddressSource::kSyscall);
  EXPECT_FALSE(a.inferred());
  // Too short for its family, by the length or by the bytes: unknown, with no source.
  SocketAddress shorter = DecodeSockaddr(SockaddrIn(kLoopback, 8765), 8, AddressSource::kDeep);
  EXPECT_FALSE(shorter.known());
  EXPECT_EQ(shorter.source, AddressSource::kNone);
  EXPECT_FALSE(DecodeSockaddr(SockaddrIn(kLoopback, 1).substr(0, 10), 16,
                              AddressSource::kDeep).known());
  SocketAddress v6 = DecodeSockaddr(KernelIn6("::1", 443), 28, AddressSource::kDeep);
  EXPECT_EQ(v6.text, "[::1]:443");
  EXPECT_EQ(v6.family, AddressFamily::kInet6);
  EXPECT_EQ(DecodeSockaddr(KernelIn6("fe80::1:2", 1), 28, AddressSource::kDeep).text,
            "[fe80::1:2]:1");
  EXPECT_FALSE(DecodeSockaddr(KernelIn6("::1", 443), 27, AddressSource::kDeep).known());
  // An unknown family, and nothing at all.
  EXPECT_FALSE(DecodeSockaddr(std::string("\x11\x00xx", 4), 4, AddressSource::kDeep).known());
  EXPECT_FALSE(DecodeSockaddr("", 0, AddressSource::kDeep).known());
  EXPECT_FALSE(DecodeSockaddr(std::string("\x02", 1), 16, AddressSource::kDeep).known());
}

TEST(SocketAddressTest, DecodesKernelUnixLayouts) {
  // As accept or getsockname report it: the path and its NUL.
  std::string path = SockaddrUn("/a/b");
  EXPECT_EQ(DecodeSockaddr(path, path.size(), AddressSource::kSyscall).text, "/a/b");
  EXPECT_EQ(DecodeSockaddr(path, path.size(), AddressSource::kSyscall).family,
            AddressFamily::kUnix);
  // A program's own length for a path leaves out the NUL (CPython does).
  EXPECT_EQ(DecodeSockaddr(path.substr(0, 6), 6, AddressSource::kDeep).text, "/a/b");
  // The buffer holds more than the length says: the length wins.
  std::string buffer = path + "garbage";
  EXPECT_EQ(DecodeSockaddr(buffer, 5, AddressSource::kDeep).text, "/a/");
  // An unnamed socket is the family alone; a buffer of zeros beyond it changes nothing.
  EXPECT_EQ(DecodeSockaddr(SockaddrUn(""), 2, AddressSource::kSyscall).text, "(unnamed)");
  EXPECT_EQ(DecodeSockaddr(std::string(110, '\0').replace(0, 1, "\x01"), 2,
                           AddressSource::kSyscall).text,
            "(unnamed)");
  // Abstract names are any bytes after a NUL, as long as the length says.
  EXPECT_EQ(DecodeSockaddr(SockaddrUn(std::string("\0x\x01y", 4)), 6, AddressSource::kDeep).text,
            "@x\\x01y");
  EXPECT_EQ(DecodeSockaddr(SockaddrUn(std::string("\0name\0", 6)), 8, AddressSource::kDeep).text,
            "@name\\x00");
  // A full-length path with no NUL stops at sun_path's end, not beyond.
  std::string full = SockaddrUn("") + std::string(sizeof(sockaddr_un::sun_path), 'p') + "XYZ";
  EXPECT_EQ(DecodeSockaddr(full, full.size(), AddressSource::kDeep).text,
            std::string(sizeof(sockaddr_un::sun_path), 'p'));
}

TEST(SocketAddressTest, DecodesRrSocketAddrs) {
  SocketAddress local = DecodeRrSockaddr(RrSockaddrIn(kLoopback, 40312), false);
  EXPECT_EQ(local.text, "127.0.0.1:40312");  // rr's port is in host order
  EXPECT_EQ(local.source, AddressSource::kRr);
  // rr reverses a remote IPv6 address's words; a local one is as the kernel has it.
  EXPECT_EQ(DecodeRrSockaddr(RrIn6("2001:db8::7", 8765, true), true).text, "[2001:db8::7]:8765");
  EXPECT_EQ(DecodeRrSockaddr(RrIn6("2001:db8::7", 8765, false), false).text,
            "[2001:db8::7]:8765");
  EXPECT_EQ(DecodeRrSockaddr(RrIn6("::1", 1, true), true).text, "[::1]:1");
  EXPECT_FALSE(DecodeRrSockaddr("", false).known());
  EXPECT_FALSE(DecodeRrSockaddr(RrSockaddrIn(kLoopback, 1).substr(0, 8), false).known());
  EXPECT_EQ(DecodeRrSockaddr(SockaddrUn("/x") + std::string(100, '\0'), false).text, "/x");
}

TEST(SocketAddressTest, SourceNames) {
  EXPECT_EQ(AddressSourceName(AddressSource::kNone), "");
  EXPECT_EQ(AddressSourceName(AddressSource::kRr), "rr");
  EXPECT_EQ(AddressSourceName(AddressSource::kSyscall), "syscall");
  EXPECT_EQ(AddressSourceName(AddressSource::kInferred), "inferred");
  EXPECT_EQ(AddressSourceName(AddressSource::kDeep), "deep");
  EXPECT_EQ(AddressSourceName(static_cast<AddressSource>(200)), "");
}

}  // namespace
}  // namespace pyreplay
