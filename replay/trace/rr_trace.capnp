# The parts of rr 5.6.0's trace format (trace version 85) that pyreplay reads.
#
# Debian ships no schema for rr's trace files, so we declare our own. Cap'n Proto lays a struct out
# from its fields' ordinals and types, so every struct below declares *every* field that rr 5.6.0
# declares up to the highest ordinal we read, with the same ordinal and type. Names and comments
# are ours. Changing an ordinal or a type here breaks wire compatibility with rr's files; a test
# (rr_trace_schema_test) pins the layout against real traces.
#
# Fields beyond what we read are simply unknown to us; Cap'n Proto skips them.

@0xe46ae9433d700736;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pyreplay::rr");

enum TicksSemantics {
  retiredConditionalBranches @0;
  takenBranches @1;
}

enum TriState {
  unknown @0;
  knownTrue @1;
  knownFalse @2;
}

enum Arch {
  x86 @0;
  x8664 @1;
  aarch64 @2;
}

# Follows the "85\n" line of the `version` file, as one packed message.
struct Header {
  uuid @0 :Data;                         # 16 random bytes naming the trace
  bindToCpu @1 :Int32;
  ticksSemantics @6 :TicksSemantics;
  syscallbufProtocolVersion @4 :UInt16;
  ok @7 :Bool = true;                    # false when rr died while recording
  preloadThreadLocalsRecorded @8 :Bool = false;
  rrcallBase @9 :Int32 = 442;
  nativeArch @10 :Arch = x8664;
  x86 :group {
    hasCpuidFaulting @2 :Bool;
    cpuidRecords @3 :Data;
    xcr0 @5 :UInt64;
    xsaveFipFdpQuirk @12 :TriState = unknown;
    fdpExceptionOnlyQuirk @13 :TriState = unknown;
    clearFipFdp @14 :Bool = false;
  }
  quirks :group {
    explicitProcMem @11 :Bool = true;
    specialLibrrpage @15 :Bool = true;
    pkeyAllocRecordedExtraRegs @20 :Bool = false;
    # rr sets this when recording with the syscall buffer. With every tick 0 (no-PMU mode) it
    # makes replay fail with "Fatal register mismatch", so the no-PMU preload clears it.
    bufferedSyscallForcedTick @21 :Bool = false;
  }
  chaosMode @16 :TriState = unknown;
  exclusionRangeStart @17 :UInt64;
  exclusionRangeEnd @18 :UInt64;
  requiredForwardCompatibilityVersion @19 :Int32;
  runtimePageSize @22 :UInt32 = 4096;
  preloadLibraryPageSize @23 :UInt32 = 4096;
}

# The `tasks` stream is a sequence of these.
struct TaskEvent {
  frameTime @0 :Int64;                   # the event number ("when") this happened at
  tid @1 :Int32;
  union {
    clone :group {
      parentTid @2 :Int32;
      flags @3 :Int32;                   # the kernel's CLONE_* flags
      ownNsTid @4 :Int32;
    }
    exec :group {
      fileName @5 :Data;
      cmdLine @6 :List(Data);
      exeBase @8 :UInt64;
      interpBase @10 :UInt64;
      interpName @11 :Data;
    }
    exit :group {
      exitStatus @7 :Int32;
    }
    detach :group {
      none @9 :Void;
    }
  }
}

struct WriteHole {
  offset @0 :UInt64;
  size @1 :UInt64;
}

struct MemWrite {
  tid @0 :Int32;
  addr @1 :UInt64;
  size @2 :UInt64;
  holes @3 :List(WriteHole);
}

struct Registers {
  raw @0 :Data;                          # the kernel's user_regs_struct for x86-64
}

enum SyscallState {
  enteringPtrace @0;
  entering @1;
  exiting @2;
}

enum SignalDisposition {
  fatal @0;
  userHandler @1;
  ignored @2;
}

struct Signal {
  siginfoArch @0 :Arch;
  siginfo @1 :Data;
  deterministic @2 :Bool;
  disposition @3 :SignalDisposition;
}

struct OpenedFd {
  fd @0 :Int32;
  path @1 :Data;
  device @2 :UInt64;
  inode @3 :UInt64;
}

# The `events` stream is a sequence of these, one per event; the n-th Frame is event n (from 1).
struct Frame {
  tid @0 :Int32;
  ticks @1 :Int64;
  monotonicSec @2 :Float64;              # written after the event completed
  memWrites @3 :List(MemWrite);
  arch @4 :Arch;
  registers @5 :Registers;
  extraRegisters @6 :Registers;
  inSyscallbufSyscallHook @30 :UInt64;
  event :union {
    instructionTrap @7 :Void;
    patchSyscall @8 :Void;
    syscallbufAbortCommit @9 :Void;
    syscallbufReset @10 :Void;
    sched @11 :Void;
    growMap @12 :Void;
    signal @13 :Signal;
    signalDelivery @14 :Signal;
    signalHandler @15 :Signal;
    exit @16 :Void;
    syscallbufFlush :group {
      mprotectRecords @17 :Data;
    }
    syscall :group {
      arch @18 :Arch;
      number @19 :Int32;
      state @20 :SyscallState;
      failedDuringPreparation @21 :Bool;
      extra :union {
        none @22 :Void;
        writeOffset @23 :Int64;
        execFdsToClose @24 :List(Int32);
        openedFds @25 :List(OpenedFd);
        # Raw sockaddr bytes that rr read from /proc/net/tcp{,6} for a successful TCP
        # connect/accept: no replay is needed to know who connected where.
        socketAddrs :group {
          localAddr @28 :Data;
          remoteAddr @29 :Data;
        }
      }
    }
    patchAfterSyscall @26 :Void;
    patchVsyscall @27 :Void;
    patchTrappingInstruction @31 :Void;
  }
}

# One record of the `mmaps` stream: a mapping rr saw the tracee make, and where replay gets its
# bytes. rr's RemotePtr, Device and Inode are UInt64; CString and Path are Data; RemoteFd Int32.
struct MMap {
  frameTime @0 :Int64;
  start @1 :UInt64;
  end @2 :UInt64;
  fsname @3 :Data;                       # the path the tracee mapped
  device @4 :UInt64;
  inode @5 :UInt64;
  prot @6 :Int32;
  flags @7 :Int32;
  fileOffsetBytes @8 :Int64;
  statMode @9 :UInt32;
  statUid @10 :UInt32;
  statGid @11 :UInt32;
  statSize @12 :Int64;
  statMTime @13 :Int64;
  source :union {
    zero @14 :Void;
    trace @15 :Void;
    file :group {
      backingFileName @16 :Data;         # absolute, or relative to the trace folder
    }
  }
}
