# The deep index of one trace, kept in <trace>/pyreplay/deep (packed): the Python stack of the
# acting thread at indexed events, and the threads' Python names. See deep_index.h.

@0x83a89fb3bc773ef0;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pyreplay::schema");

struct DeepFrame {
  file @0 :Text;             # co_filename
  line @1 :Int32;            # -1: unknown
  function @2 :Text;         # co_qualname
}

struct DeepEntry {
  event @0 :UInt64;          # the indexed event (an EventIndex entry's `event`)
  tid @1 :Int32;             # the acting thread (for thread/fork: the creating one)
  stopEvent @2 :UInt64;      # `when` at the stop where the stack was read
  stack @3 :List(DeepFrame); # innermost first
  sockaddr @4 :Data;         # bind/connect: the sockaddr argument as passed (addrlen bytes)
}

struct ThreadName {
  tid @0 :Int32;
  name @1 :Text;
}

struct DeepStreamStamp {
  name @0 :Text;
  size @1 :UInt64;
  mtimeNs @2 :Int64;     # no longer written or compared: copies and unpacking change file times
  tailSha256 @3 :Text;  # SHA-256 of the stream's last 64 KiB
}

struct DeepIndex {
  formatVersion @0 :UInt32;
  uuid @1 :Data;                       # the event index's (rr's header uuid)
  streams @2 :List(DeepStreamStamp);   # the event index's stream stamps: stale together
  entries @3 :List(DeepEntry);         # sorted by event
  threadNames @4 :List(ThreadName);
  stops @5 :UInt32;                    # breakpoint stops in the replay pass
}
