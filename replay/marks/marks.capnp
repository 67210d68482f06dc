# pyreplay's mark store: `<trace>/pyreplay/marks`, one `MarkFile` message (unpacked, flat).
#
# Nothing here is absolute (no paths, no host names): a trace moved or unpacked elsewhere keeps its
# marks. Marks are merged by `id`. Add fields with new ordinals only; never change one.

@0xbde2e5f71be077bc;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pyreplay::schema");

# One general register at the marked instant, as gdb names it ("rax", "rip", "eflags", ...).
struct Register {
  name @0 :Text;
  value @1 :UInt64;
}

# An exact position in a replay. `event`, `ticks` and `tid` are what rr's `when`, `when-ticks` and
# the recorded thread id say. In no-PMU mode ticks are 0, so the position inside the event is
# pinned by a discriminator: replay `run restartEvent`, then stop at the `hitCount`-th time thread
# `tid` reaches `pc` (a breakpoint at pc in that thread). `registers` are the general registers
# there, which a resolver compares to prove it arrived.
struct ExactPosition {
  event @0 :UInt64;
  ticks @1 :UInt64;
  tid @2 :Int32;
  pc @3 :UInt64;
  restartEvent @4 :UInt64;    # the `run` argument the hit count starts from; 0 = none
  hitCount @5 :UInt32;        # 0: the landing of `run restartEvent` itself is the position
  registers @6 :List(Register);
}

struct Mark {
  id @0 :Text;                # 32 hex digits, random; the merge key
  name @1 :Text;
  note @2 :Text;
  author @3 :Text;
  createdUnixNanos @4 :Int64;
  position @5 :ExactPosition;
  pythonLocation @6 :Text;    # "file.py:12 in func", or empty
}

struct MarkFile {
  formatVersion @0 :UInt32 = 1;
  marks @1 :List(Mark);
}
