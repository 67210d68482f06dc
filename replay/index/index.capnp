# The event index of one trace, kept in <trace>/pyreplay/index (packed). See event_index.h.

@0xc2ac6aa2b7024933;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pyreplay::schema");

struct SocketAddress {
  family @0 :UInt8;          # pyreplay::AddressFamily
  text @1 :Text;
  inferred @2 :Bool;         # source == inferred (kept for readers of format 2)
  source @3 :UInt8;          # pyreplay::AddressSource
}

struct Entry {
  kind @0 :UInt8;            # pyreplay::EventKind
  event @1 :UInt64;
  exitEvent @2 :UInt64;
  tid @3 :Int32;
  pid @4 :Int32;
  time @5 :Float64;
  syscall @6 :Int32;
  fd @7 :Int64;
  family @8 :Int32;
  type @9 :Int32;
  result @10 :Int64;
  finished @11 :Bool;
  local @12 :SocketAddress;
  remote @13 :SocketAddress;
  peer @14 :Int64;
  parentTid @15 :Int32;
  exitStatus @16 :Int32;
  detail @17 :Text;
  openedAt @18 :UInt64;      # the event of the call that opened the socket (0: unknown)
}

struct Thread {
  tid @0 :Int32;
  parentTid @1 :Int32;
  pid @2 :Int32;
  createdAt @3 :UInt64;
  exitedAt @4 :UInt64;
  exitStatus @5 :Int32;
}

struct Process {
  pid @0 :Int32;
  parentPid @1 :Int32;
  createdAt @2 :UInt64;
  execAt @3 :UInt64;
  exitedAt @4 :UInt64;
  exe @5 :Text;
  cmdline @6 :List(Text);
}

struct StreamStamp {
  name @0 :Text;
  size @1 :UInt64;
  mtimeNs @2 :Int64;     # no longer written or compared: copies and unpacking change file times
  tailSha256 @3 :Text;  # SHA-256 of the stream's last 64 KiB
}

struct Index {
  formatVersion @0 :UInt32;  # bumped when what the index holds changes; another one is stale
  uuid @1 :Data;             # rr's header uuid
  streams @2 :List(StreamStamp);
  eventCount @3 :UInt64;
  firstTime @4 :Float64;
  lastTime @5 :Float64;
  entries @6 :List(Entry);
  threads @7 :List(Thread);
  processes @8 :List(Process);
}
