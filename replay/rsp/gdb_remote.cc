#include "replay/rsp/gdb_remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "replay/common/status_macros.h"

namespace pyreplay {
namespace {

// The largest memory read per packet; rr accepts far more, but frames are small.
constexpr size_t kMaxReadPerPacket = 0x4000;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHex(absl::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 16) return false;
  uint64_t v = 0;
  for (char c : text) {
    int d = HexDigit(c);
    if (d < 0) return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string DecodeRunLength(const std::string& payload) {
  std::string out;
  out.reserve(payload.size());
  for (size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '*' && !out.empty() && i + 1 < payload.size()) {
      int repeat = static_cast<unsigned char>(payload[i + 1]) - 29;
      if (repeat > 0) out.append(static_cast<size_t>(repeat), out.back());
      ++i;
    } else {
      out.push_back(payload[i]);
    }
  }
  return out;
}

absl::StatusOr<StopReply> ParseStopReply(const std::string& payload) {
  StopReply stop;
  auto bad = [&] {
    return absl::DataLossError(absl::StrCat("rr's gdb server sent a stop reply pyreplay cannot "
                                            "read: \"", payload.substr(0, 80), "\""));
  };
  if (payload.size() < 3) return bad();
  uint64_t number = 0;
  if (!ParseHex(payload.substr(1, 2), &number)) return bad();
  switch (payload[0]) {
    case 'W':
      stop.kind = StopReply::kExited;
      stop.exit_code = static_cast<int>(number);
      return stop;
    case 'X':
      stop.kind = StopReply::kKilled;
      stop.signal = static_cast<int>(number);
      return stop;
    case 'S':
    case 'T':
      break;
    default:
      return bad();
  }
  stop.signal = static_cast<int>(number);
  for (absl::string_view field : absl::StrSplit(payload.substr(3), ';', absl::SkipEmpty())) {
    if (!absl::StartsWith(field, "thread:")) continue;
    absl::string_view id = field.substr(strlen("thread:"));
    size_t dot = id.find('.');
    if (absl::StartsWith(id, "p") && dot != absl::string_view::npos) {
      uint64_t pid = 0;
      if (!ParseHex(id.substr(1, dot - 1), &pid)) return bad();
      stop.pid = static_cast<int32_t>(pid);
      id = id.substr(dot + 1);
    }
    uint64_t tid = 0;
    if (!ParseHex(id, &tid)) return bad();
    stop.tid = static_cast<int32_t>(tid);
  }
  return stop;
}

absl::StatusOr<std::unique_ptr<GdbRemote>> GdbRemote::Connect(int port, absl::Time deadline,
                                                              const std::atomic<bool>* cancel) {
  while (true) {
    if (cancel != nullptr && cancel->load()) return absl::CancelledError("interrupted");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      std::unique_ptr<GdbRemote> remote(new GdbRemote(fd, cancel));
      ASSIGN_OR_RETURN(std::string reply, remote->Request("QStartNoAckMode"));
      if (reply != "OK") {
        return absl::FailedPreconditionError(
            absl::StrCat("rr's gdb server refused no-ack mode: \"", reply, "\""));
      }
      remote->acks_ = false;
      return remote;
    }
    int error = errno;
    close(fd);
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rr's gdb server did not accept a connection on port ", port, ": ", strerror(error)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

GdbRemote::~GdbRemote() { close(fd_); }

absl::StatusOr<char> GdbRemote::ReadByte() {
  if (buffer_pos_ < buffer_.size()) return buffer_[buffer_pos_++];
  buffer_.resize(64 * 1024);
  buffer_pos_ = 0;
  while (true) {
    if (cancel_ != nullptr && cancel_->load()) return absl::CancelledError("interrupted");
    pollfd p{fd_, POLLIN, 0};
    int ready = poll(&p, 1, 100);  // wake up now and then to notice a cancel
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
    if (ready <= 0) continue;
    ssize_t n = read(fd_, buffer_.data(), buffer_.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      buffer_.clear();
      return absl::UnavailableError("rr's gdb server closed the connection");
    }
    buffer_.resize(static_cast<size_t>(n));
    return buffer_[buffer_pos_++];
  }
}

absl::Status GdbRemote::SendPacket(const std::string& payload) {
  uint8_t sum = 0;
  for (char c : payload) sum += static_cast<uint8_t>(c);
  std::string packet = absl::StrFormat("$%s#%02x", payload, sum);
  size_t sent = 0;
  while (sent < packet.size()) {
    ssize_t n = write(fd_, packet.data() + sent, packet.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError("rr's gdb server closed the connection");
    sent += static_cast<size_t>(n);
  }
  if (acks_) {
    ASSIGN_OR_RETURN(char ack, ReadByte());
    if (ack != '+') return absl::DataLossError("rr's gdb server did not acknowledge a packet");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GdbRemote::ReceivePacket() {
  while (true) {
    ASSIGN_OR_RETURN(char c, ReadByte());
    if (c == '$') break;  // skip stray acks
  }
  std::string payload;
  while (true) {
    ASSIGN_OR_RETURN(char c, ReadByte());
    if (c == '#') break;
    if (c == '}') {
      ASSIGN_OR_RETURN(char escaped, ReadByte());
      c = static_cast<char>(escaped ^ 0x20);
    }
    payload.push_back(c);
  }
  ASSIGN_OR_RETURN(char hi, ReadByte());
  ASSIGN_OR_RETURN(char lo, ReadByte());
  (void)hi;
  (void)lo;  // TCP already guarantees integrity; the checksum adds nothing here
  if (acks_) {
    if (write(fd_, "+", 1) != 1) return absl::UnavailableError("rr's gdb server went away");
  }
  return DecodeRunLength(payload);
}

absl::StatusOr<std::string> GdbRemote::Request(const std::string& payload) {
  RETURN_IF_ERROR(SendPacket(payload));
  return ReceivePacket();
}

absl::Status GdbRemote::SetBreakpoint(uint64_t address) {
  ASSIGN_OR_RETURN(std::string reply, Request(absl::StrFormat("Z0,%x,1", address)));
  if (reply != "OK") {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rr's gdb server could not set a breakpoint at 0x%x (\"%s\")", address, reply));
  }
  return absl::OkStatus();
}

absl::Status GdbRemote::RemoveBreakpoint(uint64_t address) {
  ASSIGN_OR_RETURN(std::string reply, Request(absl::StrFormat("z0,%x,1", address)));
  if (reply != "OK") {
    return absl::FailedPreconditionError(absl::StrFormat(
        "rr's gdb server could not remove the breakpoint at 0x%x (\"%s\")", address, reply));
  }
  return absl::OkStatus();
}

absl::StatusOr<StopReply> GdbRemote::Resume(const std::string& packet) {
  ASSIGN_OR_RETURN(std::string reply, Request(packet));
  // 'O' packets carry console output before the real stop reply.
  while (!reply.empty() && reply[0] == 'O' && reply != "OK") {
    ASSIGN_OR_RETURN(reply, ReceivePacket());
  }
  return ParseStopReply(reply);
}

absl::StatusOr<StopReply> GdbRemote::Step(int32_t pid, int32_t tid) {
  return Resume(absl::StrFormat("vCont;s:p%x.%x", pid, tid));
}

absl::StatusOr<StopReply> GdbRemote::Continue() { return Resume("c"); }

void GdbRemote::SetRrRelease(const std::optional<RrRelease>& release) {
  rr_command_format_ = RrCommandFormatFor(release);
  rr_command_format_known_ = release.has_value();
}

absl::StatusOr<std::string> GdbRemote::RrCommand(absl::string_view name, int64_t tid) {
  while (true) {
    ASSIGN_OR_RETURN(std::string reply,
                     Request(RrCommandPacket(rr_command_format_, name, tid)));
    ASSIGN_OR_RETURN(std::string text, DecodeRrCommandReply(reply));
    // A guess of the newer format reaches rr 5.6/5.7 as the command '': try the older one.
    // (The other way round is no guess: an old-format packet makes rr 5.8+ exit.)
    if (!rr_command_format_known_ && rr_command_format_ == RrCommandFormat::kNameAndTid &&
        IsUnknownCommandReply(text)) {
      rr_command_format_ = RrCommandFormat::kHexName;
      rr_command_format_known_ = true;
      continue;
    }
    rr_command_format_known_ = true;
    return text;
  }
}

absl::StatusOr<uint64_t> GdbRemote::When(int64_t tid) {
  ASSIGN_OR_RETURN(std::string text, RrCommand("when", tid));
  return ParseWhenText(text);
}

void GdbRemote::KillTarget() { (void)SendPacket("k"); }

bool GdbRemote::Read(uint64_t address, void* out, size_t len) {
  uint8_t* dest = static_cast<uint8_t*>(out);
  while (len > 0) {
    size_t chunk = std::min(len, kMaxReadPerPacket);
    absl::StatusOr<std::string> reply = Request(absl::StrFormat("m%x,%x", address, chunk));
    if (!reply.ok() || reply->size() != chunk * 2) return false;  // "E01": unreadable
    for (size_t i = 0; i < chunk; ++i) {
      int hi = HexDigit((*reply)[2 * i]), lo = HexDigit((*reply)[2 * i + 1]);
      if (hi < 0 || lo < 0) return false;
      dest[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    dest += chunk;
    address += chunk;
    len -= chunk;
  }
  return true;
}

}  // namespace pyreplay
