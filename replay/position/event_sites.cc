#include "replay/position/event_sites.h"

#include <arpa/inet.h>
#include <brotli/decode.h>
#include <netinet/in.h>

#include <cstring>
#include <filesystem>

#include <capnp/serialize-packed.h>
#include <kj/exception.h>
#include <kj/io.h>

#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/trace/rr_trace.capnp.h"

namespace pyreplay {
namespace {

// Offsets in the kernel's x86-64 user_regs_struct, in 8-byte slots.
constexpr size_t kRax = 10, kRdi = 14, kRip = 16, kUserRegsSlots = 27;
constexpr uint64_t kMaxChunk = 64 << 20;

uint64_t Slot(const capnp::Data::Reader& raw, size_t slot) {
  uint64_t value = 0;
  if (raw.size() >= (slot + 1) * 8) memcpy(&value, raw.begin() + slot * 8, 8);
  return value;
}

// Decompress concatenates the Brotli chunks of an rr stream file.
absl::StatusOr<std::string> Decompress(const std::string& path, const std::string& bytes) {
  std::string out;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 8) {
      return absl::DataLossError(absl::StrCat(path, ": truncated chunk header at byte ", at));
    }
    uint32_t compressed = 0, uncompressed = 0;
    memcpy(&compressed, bytes.data() + at, 4);
    memcpy(&uncompressed, bytes.data() + at + 4, 4);
    at += 8;
    if (compressed > bytes.size() - at || uncompressed > kMaxChunk) {
      return absl::DataLossError(absl::StrCat(path, ": truncated or corrupt chunk at byte ", at - 8));
    }
    size_t old = out.size();
    out.resize(old + uncompressed);
    size_t produced = uncompressed;
    if (BrotliDecoderDecompress(compressed, reinterpret_cast<const uint8_t*>(bytes.data() + at),
                                &produced, reinterpret_cast<uint8_t*>(out.data() + old)) !=
            BROTLI_DECODER_RESULT_SUCCESS ||
        produced != uncompressed) {
      return absl::DataLossError(absl::StrCat(path, ": corrupt compressed chunk at byte ", at - 8));
    }
    at += compressed;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<EventSite>> ReadEventSites(const std::string& trace_dir) {
  std::string path = (std::filesystem::path(trace_dir) / "events").string();
  ASSIGN_OR_RETURN(std::string compressed, ReadFileToString(path));
  ASSIGN_OR_RETURN(std::string stream, Decompress(path, compressed));
  std::vector<EventSite> sites;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(stream.data()), stream.size()));
    capnp::ReaderOptions options;
    options.traversalLimitInWords = 1 << 24;
    while (input.tryGetReadBuffer().size() > 0) {
      capnp::PackedMessageReader message(input, options);
      rr::Frame::Reader frame = message.getRoot<rr::Frame>();
      EventSite site;
      site.event = sites.size() + 1;
      site.tid = frame.getTid();
      capnp::Data::Reader raw = frame.getRegisters().getRaw();
      if (raw.size() >= kUserRegsSlots * 8) {
        site.rip = Slot(raw, kRip);
        site.rax = Slot(raw, kRax);
        site.rdi = Slot(raw, kRdi);
      }
      auto event = frame.getEvent();
      site.checkpointable = !(event.isSyscallbufFlush() || event.isSyscallbufReset() ||
                              event.isSyscallbufAbortCommit() || event.isGrowMap() ||
                              event.isExit());
      if (event.isSyscall()) {
        auto syscall = event.getSyscall();
        site.syscall = syscall.getNumber();
        site.phase = syscall.getState() == rr::SyscallState::EXITING ? SyscallPhase::kExiting
                                                                      : SyscallPhase::kEntering;
        auto extra = syscall.getExtra();
        if (extra.isSocketAddrs()) {
          auto local = extra.getSocketAddrs().getLocalAddr();
          auto remote = extra.getSocketAddrs().getRemoteAddr();
          site.local_addr.assign(reinterpret_cast<const char*>(local.begin()), local.size());
          site.remote_addr.assign(reinterpret_cast<const char*>(remote.begin()), remote.size());
        }
      }
      sites.push_back(std::move(site));
    }
  });
  KJ_IF_MAYBE(e, error) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt frame after event ", sites.size(),
                                            ": ", e->getDescription().cStr()));
  }
  return sites;
}

absl::StatusOr<ExactPosition> EventStartPosition(const std::string& trace_dir, uint64_t event) {
  ASSIGN_OR_RETURN(std::vector<EventSite> sites, ReadEventSites(trace_dir));
  if (event < 1 || event > sites.size()) {
    return absl::OutOfRangeError(absl::StrCat("event ", event, " is out of range: ", trace_dir,
                                              " has events 1 to ", sites.size()));
  }
  const EventSite& site = sites[event - 1];
  ExactPosition position;
  position.event = event;
  position.tid = site.tid;
  if (site.phase == SyscallPhase::kEntering && site.rip >= 2) position.pc = site.rip - 2;
  return position;
}

std::string FormatSockaddr(const std::string& raw) {
  if (raw.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in4;
    memcpy(&in4, raw.data(), sizeof(in4));
    if (in4.sin_family == AF_INET) {
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &in4.sin_addr, text, sizeof(text));
      return absl::StrCat(text, ":", in4.sin_port);
    }
  }
  if (raw.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    memcpy(&in6, raw.data(), sizeof(in6));
    if (in6.sin6_family == AF_INET6) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
      return absl::StrCat("[", text, "]:", in6.sin6_port);
    }
  }
  return "";
}

}  // namespace pyreplay
