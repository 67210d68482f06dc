#include "replay/deep_index/deep_pass.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/common/elf_symbols.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/python_layout.h"
#include "replay/pyframes/frame_decoder.h"
#include "replay/pyframes/interpreter_layout.h"
#include "replay/rsp/rr_server.h"
#include "replay/trace/mapped_files.h"

namespace pyreplay {
namespace {

constexpr int kSigTrap = 5;
// x86-64 registers in gdb's numbering.
constexpr int kRdxRegister = 3, kRsiRegister = 4, kRipRegister = 16;

// Where the pass stops, and what each stop stands for.
struct Breakpoints {
  absl::flat_hash_map<uint64_t, EventKind> kind_at;
};

// The recorded program: its first exec, the trace's copy of its binary, and where it was loaded.
struct Program {
  uint64_t exec_event = 0;
  int32_t pid = 0;
  std::string binary;     // readable now (the trace's copy when rr made one)
  std::string mapped_path;  // as the program mapped it
  uint64_t load_bias = 0; // non-zero only for a position-independent executable
  uint64_t entry = 0;     // its entry point in memory: libc is loaded by then
};

// FindProgram picks the exec that starts the Python program: the first whose binary defines
// Py_Version (`chroot ROOT python3.13 ...` and `env python3 ...` exec something else first),
// else the first whose name says python (a libpython build), else the first exec.
absl::StatusOr<Program> FindProgram(const EventIndex& index, const std::vector<MappedFile>& maps) {
  std::optional<Program> named, first;
  for (const IndexEntry& e : index.entries) {
    if (e.kind != EventKind::kExec) continue;
    Program program;
    program.exec_event = e.event;
    program.pid = e.pid != 0 ? e.pid : e.tid;
    program.binary = e.detail;
    program.mapped_path = e.detail;
    uint64_t base = 0;
    for (const MappedFile& m : maps) {
      if (m.when >= e.event && m.file_offset == 0 && m.mapped_path == e.detail) {
        program.binary = m.readable_path;
        base = m.base;
        break;
      }
    }
    absl::StatusOr<ElfSymbols> elf = ReadDynamicSymbols(program.binary, {});
    if (!elf.ok()) continue;  // a script run by its #! line, a file gone since
    if (elf->position_independent) program.load_bias = base;
    program.entry = elf->entry + program.load_bias;
    if (ReadPythonVersion(program.binary).ok()) return program;
    if (!named && absl::StrContains(std::filesystem::path(e.detail).filename().string(),
                                    "python")) {
      named = program;
    }
    if (!first) first = program;
  }
  if (named) return *named;
  if (first) return *first;
  return absl::FailedPreconditionError(
      "the trace has no exec event, so pyreplay cannot tell which program to read Python frames "
      "from");
}

absl::StatusOr<Breakpoints> PlanBreakpoints(const EventIndex& index, const Program& program,
                                            const std::vector<MappedFile>& maps) {
  std::set<EventKind> kinds;
  for (const IndexEntry& e : index.entries) kinds.insert(e.kind);
  const MappedFile* libc = nullptr;
  for (const MappedFile& m : maps) {
    if (m.when >= program.exec_event && m.file_offset == 0 &&
        absl::EndsWith(m.mapped_path, "/libc.so.6")) {
      libc = &m;
      break;
    }
  }
  if (libc == nullptr) {
    return absl::FailedPreconditionError(
        "the recorded program never mapped libc.so.6, so the deep index cannot stop at its "
        "socket and thread calls");
  }
  std::vector<std::string> names;
  for (const auto& [function, kind] : BreakFunctions()) names.push_back(function);
  ASSIGN_OR_RETURN(ElfSymbols symbols, ReadDynamicSymbols(libc->readable_path, names));
  Breakpoints plan;
  for (const auto& [function, kind] : BreakFunctions()) {
    auto it = symbols.values.find(function);
    if (!kinds.count(kind) || it == symbols.values.end()) continue;
    uint64_t address = it->second + (symbols.position_independent ? libc->base : 0);
    plan.kind_at.emplace(address, kind);
  }
  return plan;
}

// ReadRegister reads a 64-bit register of the selected thread.
absl::StatusOr<uint64_t> ReadRegister(GdbRemote& remote, int number) {
  ASSIGN_OR_RETURN(std::string reply, remote.Request(absl::StrFormat("p%x", number)));
  if (reply.size() != 16) {
    return absl::DataLossError(
        absl::StrCat("rr did not return register ", number, ": \"", reply, "\""));
  }
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {  // little-endian bytes, two hex digits each
    uint64_t byte = 0;
    if (!absl::SimpleHexAtoi(reply.substr(2 * i, 2), &byte)) {
      return absl::DataLossError(absl::StrCat("rr returned a malformed register ", number));
    }
    value = value << 8 | byte;
  }
  return value;
}

// ReadPc selects the thread that stopped (for the register reads that follow) and reads its rip.
absl::StatusOr<uint64_t> ReadPc(GdbRemote& remote, const StopReply& stop) {
  if (stop.pid != 0) {
    ASSIGN_OR_RETURN(std::string selected,
                     remote.Request(absl::StrFormat("Hgp%x.%x", stop.pid, stop.tid)));
    if (selected != "OK") {
      return absl::DataLossError(absl::StrCat("rr could not select thread ", stop.tid));
    }
  }
  return ReadRegister(remote, kRipRegister);
}

// ReadSockaddrArgument reads the sockaddr a program passes to bind or connect, at the libc
// function's first instruction: the address in rsi, its length in rdx (System V ABI). rr never
// records a syscall's inputs, so this is the only place a Unix path, a refused TCP connect's
// target or a UDP connect's target can be read. Empty when unreadable (a bad pointer is the
// program's, and makes the syscall fail with EFAULT).
absl::StatusOr<std::string> ReadSockaddrArgument(GdbRemote& remote) {
  ASSIGN_OR_RETURN(uint64_t address, ReadRegister(remote, kRsiRegister));
  ASSIGN_OR_RETURN(uint64_t length, ReadRegister(remote, kRdxRegister));
  length = std::min<uint64_t>(length & 0xffffffffu, kMaxSockaddrBytes);  // socklen_t: 32 bits
  std::string bytes(length, '\0');
  if (address == 0 || length == 0 || !remote.Read(address, bytes.data(), bytes.size())) {
    return std::string();
  }
  return bytes;
}

std::vector<DeepFrame> ToDeepFrames(const std::vector<PyFrame>& frames) {
  std::vector<DeepFrame> out;
  for (const PyFrame& f : frames) {
    if (!f.readable) continue;
    DeepFrame d;
    d.file = f.filename;
    d.line = f.line ? *f.line : -1;
    d.function = f.Function();
    out.push_back(std::move(d));
  }
  return out;
}

// Stall is the tests' hook for a slow pass (PYREPLAY_DEEP_TEST_STALL seconds at the first stop),
// so an interrupt surely lands mid-pass.
void Stall(const std::atomic<bool>* cancel) {
  const char* env = getenv("PYREPLAY_DEEP_TEST_STALL");
  double seconds = 0;
  if (env == nullptr || !absl::SimpleAtod(env, &seconds)) return;
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end && !(cancel != nullptr && cancel->load())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::vector<std::pair<std::string, EventKind>> BreakFunctions() {
  return {
      {"pthread_create", EventKind::kThreadStart},
      {"fork", EventKind::kFork},
      {"execve", EventKind::kExec},
      {"socket", EventKind::kSocket},
      {"bind", EventKind::kBind},
      {"listen", EventKind::kListen},
      {"connect", EventKind::kConnect},
      {"accept", EventKind::kAccept},
      {"accept4", EventKind::kAccept},
  };
}

absl::StatusOr<DeepPassResult> RunDeepPass(const std::string& trace_dir, const EventIndex& index,
                                           const DeepPassOptions& options) {
  ASSIGN_OR_RETURN(std::vector<MappedFile> maps, ReadMappedFiles(trace_dir));
  ASSIGN_OR_RETURN(Program program, FindProgram(index, maps));
  ASSIGN_OR_RETURN(PythonLayout python,
                   LoadPythonLayout(program.binary, trace_dir, program.mapped_path));
  // The runtime's file (the executable or libpython) is where the process loaded it.
  uint64_t bias = 0;
  if (python.position_independent) {
    bias = program.load_bias;
    if (python.runtime_file != program.mapped_path) {
      for (const MappedFile& m : maps) {
        if (m.when >= program.exec_event && m.file_offset == 0 &&
            m.mapped_path == python.runtime_file) {
          bias = m.base;
          break;
        }
      }
    }
  }
  if (bias != 0) {
    python.interpreters_head += bias;
    for (uint64_t* type : {&python.layout.unicode_type, &python.layout.bytes_type,
                           &python.layout.code_type}) {
      if (*type != 0) *type += bias;
    }
  }
  ASSIGN_OR_RETURN(Breakpoints plan, PlanBreakpoints(index, program, maps));

  ASSIGN_OR_RETURN(std::unique_ptr<RrServer> rr,
                   RrServer::Start(trace_dir, options.pmu, options.cancel));
  GdbRemote& remote = rr->remote();
  // rr serves from the exec, before the dynamic loader has mapped libc: run to the program's
  // entry point first (what gdb's pending breakpoints achieve by watching the loader).
  RETURN_IF_ERROR(remote.SetBreakpoint(program.entry));
  while (true) {
    ASSIGN_OR_RETURN(StopReply stop, remote.Continue());
    if (stop.kind != StopReply::kSignal) {
      return absl::FailedPreconditionError("the recorded program ended before its entry point");
    }
    if (stop.signal != kSigTrap) continue;
    ASSIGN_OR_RETURN(uint64_t pc, ReadPc(remote, stop));
    if (pc == program.entry) break;
  }
  RETURN_IF_ERROR(remote.RemoveBreakpoint(program.entry));
  for (const auto& [address, kind] : plan.kind_at) RETURN_IF_ERROR(remote.SetBreakpoint(address));

  FrameDecoder decoder(python.layout, &remote);
  DeepPassResult result;
  absl::flat_hash_map<int32_t, std::string> names;
  bool stalled = false;
  // The last stop, when it was at one of our breakpoints, and that breakpoint's address.
  std::optional<std::pair<StopReply, uint64_t>> at_breakpoint;
  while (true) {
    if (at_breakpoint) {
      // Step the stopped thread off the breakpoint, then put the breakpoint back.
      const auto& [stopped, pc] = *at_breakpoint;
      RETURN_IF_ERROR(remote.RemoveBreakpoint(pc));
      ASSIGN_OR_RETURN(StopReply stepped, remote.Step(stopped.pid, stopped.tid));
      RETURN_IF_ERROR(remote.SetBreakpoint(pc));
      at_breakpoint.reset();
      if (stepped.kind != StopReply::kSignal) break;
    }
    ASSIGN_OR_RETURN(StopReply stop, remote.Continue());
    if (stop.kind != StopReply::kSignal) break;  // the program ended: the end of the replay
    if (stop.signal != kSigTrap) continue;       // a recorded signal, replayed as it was
    ASSIGN_OR_RETURN(uint64_t pc, ReadPc(remote, stop));
    auto hit = plan.kind_at.find(pc);
    if (hit == plan.kind_at.end()) continue;
    at_breakpoint.emplace(stop, pc);
    ASSIGN_OR_RETURN(uint64_t when, remote.When(stop.tid));
    if (options.progress) options.progress(when, index.event_count);

    DeepStop deep_stop;
    deep_stop.when = when;
    deep_stop.tid = stop.tid;
    deep_stop.kind = hit->second;
    if (deep_stop.kind == EventKind::kBind || deep_stop.kind == EventKind::kConnect) {
      ASSIGN_OR_RETURN(deep_stop.sockaddr, ReadSockaddrArgument(remote));
    }
    uint64_t interp = 0;
    if (remote.Read(python.interpreters_head, &interp, sizeof(interp)) && interp != 0) {
      // The acting thread's stack; none yet when it has no Python state.
      if (absl::StatusOr<ThreadStateInfo> state = decoder.ThreadStateFor(interp, stop.tid);
          state.ok()) {
        if (absl::StatusOr<std::vector<PyFrame>> stack = decoder.Stack(state->address);
            stack.ok()) {
          deep_stop.stack = ToDeepFrames(*stack);
          if (deep_stop.kind == EventKind::kThreadStart) {
            if (absl::StatusOr<std::string> child = decoder.StartingThreadName(*stack);
                child.ok()) {
              deep_stop.child_name = *child;
            }
          }
        }
      }
      // Every thread's Python name, as threading knows it.
      if (absl::StatusOr<std::vector<ThreadStateInfo>> states = decoder.ThreadStates(interp);
          states.ok()) {
        for (const ThreadStateInfo& t : *states) {
          absl::StatusOr<std::vector<PyFrame>> stack = decoder.Stack(t.address);
          if (!stack.ok() || stack->empty()) continue;  // a state still being started
          absl::StatusOr<std::string> name = decoder.ThreadName(*stack);
          int32_t tid = static_cast<int32_t>(t.native_thread_id);
          if (name.ok() && !name->empty()) {
            names[tid] = *name;
          } else if (tid == program.pid && !names.contains(tid)) {
            names[tid] = "MainThread";
          }
        }
      }
    }
    result.stops.push_back(std::move(deep_stop));
    if (!stalled) {
      Stall(options.cancel);
      stalled = true;
    }
    if (options.cancel != nullptr && options.cancel->load()) {
      return absl::CancelledError("interrupted");
    }
  }
  ASSIGN_OR_RETURN(ExitStatus rr_status, rr->Finish());
  (void)rr_status;  // rr's own status after the replay ended says nothing more
  for (auto& [tid, name] : names) result.names.emplace_back(tid, std::move(name));
  return result;
}

}  // namespace pyreplay
