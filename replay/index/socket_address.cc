#include "replay/index/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

const char* const kSourceNames[kAddressSourceCount] = {"", "rr", "syscall", "inferred", "deep"};

std::string Inet6Text(const void* words, uint16_t port) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, words, text, sizeof(text));
  return absl::StrCat("[", text, "]:", port);
}

std::string InetText(const void* addr, uint16_t port) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, addr, text, sizeof(text));
  return absl::StrCat(text, ":", port);
}

// Printable keeps printable ASCII and writes other bytes as \xNN: an abstract name is any bytes.
std::string Printable(absl::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// UnixText renders sun_path, `path` bytes long: the path up to its NUL, "@name" for an abstract
// name (a leading NUL; the name is all the bytes that follow), "(unnamed)" for none.
std::string UnixText(const char* path, size_t size) {
  if (size == 0) return "(unnamed)";
  if (path[0] == '\0') {
    if (size == 1) return "(unnamed)";
    return absl::StrCat("@", Printable(absl::string_view(path + 1, size - 1)));
  }
  return Printable(absl::string_view(path, strnlen(path, size)));
}

}  // namespace

absl::string_view AddressSourceName(AddressSource source) {
  int i = static_cast<int>(source);
  return i >= 0 && i < kAddressSourceCount ? kSourceNames[i] : "";
}

// rr 5.6.0 builds socketAddrs from /proc/net/tcp{,6} (src/util.cc,
// read_proc_net_socket_addresses): the port is in *host* byte order, and for a remote IPv6
// address the four 32-bit words are in reverse order.
SocketAddress DecodeRrSockaddr(absl::string_view raw, bool remote) {
  SocketAddress address;
  if (raw.size() < 2) return address;
  uint16_t family = 0, port = 0;
  memcpy(&family, raw.data(), 2);
  if (raw.size() >= 4) memcpy(&port, raw.data() + 2, 2);
  if (family == AF_INET && raw.size() >= sizeof(sockaddr_in)) {
    address.family = AddressFamily::kInet;
    address.text = InetText(raw.data() + 4, port);
  } else if (family == AF_INET6 && raw.size() >= sizeof(sockaddr_in6)) {
    uint32_t words[4];
    memcpy(words, raw.data() + 8, 16);
    if (remote) {
      std::swap(words[0], words[3]);
      std::swap(words[1], words[2]);
    }
    address.family = AddressFamily::kInet6;
    address.text = Inet6Text(words, port);
  } else if (family == AF_UNIX && raw.size() > 2) {
    address.family = AddressFamily::kUnix;
    address.text = UnixText(raw.data() + 2,
                            strnlen(raw.data() + 2, std::min(raw.size() - 2, sizeof(sockaddr_un::sun_path))));
  }
  if (address.known()) address.source = AddressSource::kRr;
  return address;
}

SocketAddress DecodeSockaddr(absl::string_view raw, uint64_t length, AddressSource source) {
  SocketAddress address;
  raw = raw.substr(0, std::min<uint64_t>(raw.size(), length));
  if (raw.size() < sizeof(sa_family_t)) return address;
  sa_family_t family = 0;
  memcpy(&family, raw.data(), sizeof(family));
  if (family == AF_INET && raw.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    memcpy(&in, raw.data(), sizeof(in));
    address.family = AddressFamily::kInet;
    address.text = InetText(&in.sin_addr, ntohs(in.sin_port));
  } else if (family == AF_INET6 && raw.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    memcpy(&in6, raw.data(), sizeof(in6));
    address.family = AddressFamily::kInet6;
    address.text = Inet6Text(&in6.sin6_addr, ntohs(in6.sin6_port));
  } else if (family == AF_UNIX) {
    // The kernel reports an unnamed socket's address as the family alone.
    size_t path = std::min(raw.size() - offsetof(sockaddr_un, sun_path), sizeof(sockaddr_un::sun_path));
    address.family = AddressFamily::kUnix;
    address.text = UnixText(raw.data() + offsetof(sockaddr_un, sun_path), path);
  }
  if (address.known()) address.source = source;
  return address;
}

}  // namespace pyreplay
