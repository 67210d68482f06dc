// trace_test_writer.h: synthetic rr trace streams for tests and fuzz seeds (header only, test use).
//
// Writes Frame/TaskEvent messages (clone, exec, exit, detach) packed (and the frames' memory
// writes into a `data` stream), splits the packed bytes into chunks of a chosen size
// (so messages straddle chunk boundaries), Brotli-compresses each chunk and frames it with rr's
// BlockHeader {compressed, uncompressed}. Needs libbrotlienc.
//
//   TestTraceWriter w;
//   w.Syscall(100, 41, /*entering=*/true, /*args=*/{AF_INET, SOCK_STREAM, 0});
//   w.Syscall(100, 41, /*entering=*/false, {}, /*rax=*/3);
//   w.MemWrite(0x7000, addrlen);     // attached to the next frame, as rr's write_raw_header does
//   w.Syscall(100, 288, /*entering=*/false, {}, /*rax=*/4);
//   w.WriteTo(dir);   // version, events, tasks, data
#ifndef PYREPLAY_REPLAY_TRACE_TRACE_TEST_WRITER_H_
#define PYREPLAY_REPLAY_TRACE_TRACE_TEST_WRITER_H_

#include <brotli/encode.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include "replay/trace/rr_trace.capnp.h"

namespace pyreplay::testing {

// Packed serializes a message builder as rr does (writePackedMessage).
inline std::string Packed(capnp::MessageBuilder& message) {
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, message);
  auto bytes = out.getArray();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Chunked compresses `stream` into rr's chunk format, `chunk_size` uncompressed bytes per chunk.
inline std::string Chunked(const std::string& stream, size_t chunk_size = 1 << 20) {
  std::string file;
  for (size_t at = 0; at < stream.size(); at += chunk_size) {
    size_t n = std::min(chunk_size, stream.size() - at);
    std::string compressed(BrotliEncoderMaxCompressedSize(n) + 16, '\0');
    size_t out_size = compressed.size();
    BrotliEncoderCompress(1, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, n,
                          reinterpret_cast<const uint8_t*>(stream.data() + at), &out_size,
                          reinterpret_cast<uint8_t*>(compressed.data()));
    uint32_t header[2] = {static_cast<uint32_t>(out_size), static_cast<uint32_t>(n)};
    file.append(reinterpret_cast<const char*>(header), sizeof(header));
    file.append(compressed.data(), out_size);
  }
  return file;
}

// VersionFile is a `version` file: "85\n" and a packed Header with `uuid`.
inline std::string VersionFile(const std::string& uuid = std::string(16, '\x42'),
                               int version = 85) {
  capnp::MallocMessageBuilder message;
  auto header = message.initRoot<rr::Header>();
  header.setUuid(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(uuid.data()), uuid.size()));
  header.setOk(true);
  return std::to_string(version) + "\n" + Packed(message);
}

class TestTraceWriter {
 public:
  // MemWrite queues a memory write of `bytes` at `addr` for the next frame, as rr's
  // write_raw_header does. `holes` ({offset, size}, in order) are zero runs rr does not store:
  // their bytes are left out of the data stream.
  void MemWrite(uint64_t addr, const std::string& bytes,
                std::vector<std::pair<uint64_t, uint64_t>> holes = {}, int32_t tid = 0) {
    uint64_t at = 0;
    for (const auto& [offset, size] : holes) {
      data_.append(bytes, at, offset - at);
      at = offset + size;
    }
    data_.append(bytes, at, std::string::npos);
    writes_.push_back({addr, bytes.size(), std::move(holes), tid});
  }

  // SetLastWriteSize overrides the size recorded for the last queued MemWrite (not its bytes):
  // a corrupt frame, e.g. one whose holes exceed its size.
  void SetLastWriteSize(uint64_t size) { writes_.back().size = size; }
  // SetLastWriteHoles likewise overrides its recorded holes, e.g. overlapping or past its end.
  void SetLastWriteHoles(std::vector<std::pair<uint64_t, uint64_t>> holes) {
    writes_.back().holes = std::move(holes);
  }

  // Syscall adds a syscall frame; `args` fill rdi, rsi, rdx; `rax` the result.
  void Syscall(int32_t tid, int number, bool entering, std::vector<uint64_t> args = {},
               int64_t rax = 0, const std::string& local = "", const std::string& remote = "") {
    capnp::MallocMessageBuilder message;
    auto frame = message.initRoot<rr::Frame>();
    frame.setTid(tid);
    frame.setMonotonicSec(1000.0 + 0.001 * static_cast<double>(++frames_));
    AttachWrites(frame, tid);
    uint64_t regs[27] = {};
    regs[10] = static_cast<uint64_t>(rax);
    regs[15] = static_cast<uint64_t>(number);
    const size_t slots[3] = {14, 13, 12};  // rdi, rsi, rdx
    for (size_t i = 0; i < args.size() && i < 3; ++i) regs[slots[i]] = args[i];
    frame.initRegisters().setRaw(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(regs), sizeof(regs)));
    auto syscall = frame.initEvent().initSyscall();
    syscall.setArch(rr::Arch::X8664);
    syscall.setNumber(number);
    syscall.setState(entering ? rr::SyscallState::ENTERING : rr::SyscallState::EXITING);
    auto extra = syscall.initExtra();
    if (!local.empty() || !remote.empty()) {
      auto addrs = extra.initSocketAddrs();
      addrs.setLocalAddr(
          capnp::Data::Reader(reinterpret_cast<const kj::byte*>(local.data()), local.size()));
      addrs.setRemoteAddr(
          capnp::Data::Reader(reinterpret_cast<const kj::byte*>(remote.data()), remote.size()));
    } else {
      extra.setNone();
    }
    events_ += Packed(message);
  }

  // Sched adds a non-syscall frame (rr's `sched` event), e.g. to make a trace longer.
  void Sched(int32_t tid) {
    capnp::MallocMessageBuilder message;
    auto frame = message.initRoot<rr::Frame>();
    frame.setTid(tid);
    frame.setMonotonicSec(1000.0 + 0.001 * static_cast<double>(++frames_));
    AttachWrites(frame, tid);
    frame.initEvent().setSched();
    events_ += Packed(message);
  }

  void Clone(int32_t tid, int32_t parent, int32_t flags) {
    capnp::MallocMessageBuilder message;
    auto task = message.initRoot<rr::TaskEvent>();
    task.setFrameTime(TaskTime());
    task.setTid(tid);
    auto clone = task.initClone();
    clone.setParentTid(parent);
    clone.setFlags(flags);
    tasks_ += Packed(message);
  }

  void Exit(int32_t tid, int32_t status = 0) {
    capnp::MallocMessageBuilder message;
    auto task = message.initRoot<rr::TaskEvent>();
    task.setFrameTime(TaskTime());
    task.setTid(tid);
    task.initExit().setExitStatus(status);
    tasks_ += Packed(message);
  }

  void Exec(int32_t tid, const std::string& file_name,
            const std::vector<std::string>& cmdline = {}) {
    capnp::MallocMessageBuilder message;
    auto task = message.initRoot<rr::TaskEvent>();
    task.setFrameTime(TaskTime());
    task.setTid(tid);
    auto exec = task.initExec();
    exec.setFileName(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(file_name.data()),
                                         file_name.size()));
    auto args = exec.initCmdLine(static_cast<unsigned>(cmdline.size()));
    for (size_t i = 0; i < cmdline.size(); ++i) {
      args.set(i, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(cmdline[i].data()),
                                      cmdline[i].size()));
    }
    tasks_ += Packed(message);
  }

  void Detach(int32_t tid) {
    capnp::MallocMessageBuilder message;
    auto task = message.initRoot<rr::TaskEvent>();
    task.setFrameTime(TaskTime());
    task.setTid(tid);
    task.initDetach().setNone();
    tasks_ += Packed(message);
  }

  // SetTaskTime stamps the task events that follow with `frame_time` instead of the next
  // frame's (a tasks stream out of frame order, or stamped past the end: rr writes neither);
  // ClearTaskTime goes back to the next frame's.
  void SetTaskTime(int64_t frame_time) {
    task_time_ = frame_time;
    has_task_time_ = true;
  }
  void ClearTaskTime() { has_task_time_ = false; }

  uint64_t frames() const { return frames_; }
  const std::string& events_stream() const { return events_; }
  const std::string& tasks_stream() const { return tasks_; }
  const std::string& data_stream() const { return data_; }

  // WriteTo writes version, events, tasks and data (chunked at `chunk_size`) into `dir`.
  void WriteTo(const std::string& dir, size_t chunk_size = 4096,
               const std::string& uuid = std::string(16, '\x42')) const {
    std::filesystem::create_directories(dir);
    WriteFile(dir + "/version", VersionFile(uuid));
    WriteFile(dir + "/events", Chunked(events_, chunk_size));
    WriteFile(dir + "/tasks", Chunked(tasks_, chunk_size));
    WriteFile(dir + "/data", Chunked(data_, chunk_size));
  }

  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  struct Write {
    uint64_t addr;
    uint64_t size;
    std::vector<std::pair<uint64_t, uint64_t>> holes;
    int32_t tid;
  };

  void AttachWrites(rr::Frame::Builder frame, int32_t tid) {
    auto list = frame.initMemWrites(static_cast<unsigned>(writes_.size()));
    for (size_t i = 0; i < writes_.size(); ++i) {
      list[i].setTid(writes_[i].tid != 0 ? writes_[i].tid : tid);
      list[i].setAddr(writes_[i].addr);
      list[i].setSize(writes_[i].size);
      auto holes = list[i].initHoles(static_cast<unsigned>(writes_[i].holes.size()));
      for (size_t j = 0; j < writes_[i].holes.size(); ++j) {
        holes[j].setOffset(writes_[i].holes[j].first);
        holes[j].setSize(writes_[i].holes[j].second);
      }
    }
    writes_.clear();
  }

  int64_t TaskTime() const {
    return has_task_time_ ? task_time_ : static_cast<int64_t>(frames_ + 1);
  }

  uint64_t frames_ = 0;
  bool has_task_time_ = false;
  int64_t task_time_ = 0;
  std::string events_;
  std::string tasks_;
  std::string data_;
  std::vector<Write> writes_;
};

// RrSockaddrIn is a sockaddr_in as rr 5.6.0 stores it in socketAddrs: port in host byte order.
inline std::string RrSockaddrIn(uint32_t ip_host_order, uint16_t port) {
  std::string raw(128, '\0');
  uint16_t family = 2;  // AF_INET
  uint32_t ip = __builtin_bswap32(ip_host_order);
  memcpy(raw.data(), &family, 2);
  memcpy(raw.data() + 2, &port, 2);
  memcpy(raw.data() + 4, &ip, 4);
  return raw;
}

// SockaddrIn is a sockaddr_in as the kernel writes it (and a program passes it): network order.
inline std::string SockaddrIn(uint32_t ip_host_order, uint16_t port) {
  std::string raw(16, '\0');
  uint16_t family = 2;  // AF_INET
  uint16_t net_port = __builtin_bswap16(port);
  uint32_t ip = __builtin_bswap32(ip_host_order);
  memcpy(raw.data(), &family, 2);
  memcpy(raw.data() + 2, &net_port, 2);
  memcpy(raw.data() + 4, &ip, 4);
  return raw;
}

// SockaddrUn is a sockaddr_un of `path` as long as the kernel reports it: the family, the path
// and its NUL (none for an abstract name, which starts with '\0'); the family alone when unnamed.
inline std::string SockaddrUn(const std::string& path) {
  std::string raw("\x01\x00", 2);  // AF_UNIX
  raw += path;
  if (!path.empty() && path[0] != '\0') raw.push_back('\0');
  return raw;
}

// U32 is a little-endian socklen_t, as accept's addrlen.
inline std::string U32(uint32_t value) {
  return std::string(reinterpret_cast<const char*>(&value), 4);
}

}  // namespace pyreplay::testing

#endif  // PYREPLAY_REPLAY_TRACE_TRACE_TEST_WRITER_H_
