// socket_address.h: socket addresses as the index shows them, and the two byte layouts they
// come from.
//
// rr stores the local and remote address of a successful TCP connect or accept in the frame's
// socketAddrs, built from /proc/net/tcp{,6} in its own layout (DecodeRrSockaddr). Everything
// else is a plain `struct sockaddr` as the kernel and programs use it (DecodeSockaddr): the
// address accept wrote into the caller's buffer (in the trace's data stream), or the address a
// program passed to connect or bind (read in a replay by the deep pass). Each decoded address
// says where it came from (AddressSource), so `pyreplay events` can mark the ones that are not
// the trace's own record of that very syscall.
//
//   SocketAddress peer = DecodeSockaddr(bytes, addrlen, AddressSource::kSyscall);
//   // peer.text: "127.0.0.1:8765", "[::1]:8765", "/tmp/app.sock", "@abstract" or "(unnamed)"
#ifndef PYREPLAY_REPLAY_INDEX_SOCKET_ADDRESS_H_
#define PYREPLAY_REPLAY_INDEX_SOCKET_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace pyreplay {

// AddressFamily of a socket address we could decode.
enum class AddressFamily : uint8_t { kUnknown = 0, kInet, kInet6, kUnix };

// AddressSource is where an address came from. The names (AddressSourceName) are what
// `pyreplay events --json` prints as "source".
enum class AddressSource : uint8_t {
  kNone = 0,   // "": unknown
  kRr,         // "rr": rr's socketAddrs for this very syscall
  kSyscall,    // "syscall": what the kernel wrote into this syscall's buffer (accept's peer)
  kInferred,   // "inferred": deduced from another call on the same socket
  kDeep,       // "deep": the call's own argument, read in a replay (`pyreplay index --deep`)
};
inline constexpr int kAddressSourceCount = 5;
absl::string_view AddressSourceName(AddressSource source);

// SocketAddress is a decoded address. `text` is "127.0.0.1:8765", "[::1]:8765", a Unix path,
// "@name" for a Unix abstract name, or "(unnamed)" for an unbound Unix socket; empty when
// unknown.
struct SocketAddress {
  AddressFamily family = AddressFamily::kUnknown;
  std::string text;
  AddressSource source = AddressSource::kNone;
  bool known() const { return !text.empty(); }
  bool inferred() const { return source == AddressSource::kInferred; }
};

// DecodeRrSockaddr decodes a sockaddr_storage of rr's socketAddrs (`remote`: the remoteAddr).
SocketAddress DecodeRrSockaddr(absl::string_view raw, bool remote);

// DecodeSockaddr decodes `raw` (at most `length` bytes of it count: the addrlen) as the kernel
// lays a sockaddr out: ports in network byte order, a Unix path up to its NUL or `length`.
// Unknown (empty text) for a family it does not know or a too short address.
SocketAddress DecodeSockaddr(absl::string_view raw, uint64_t length, AddressSource source);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_INDEX_SOCKET_ADDRESS_H_
