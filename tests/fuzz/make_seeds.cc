// make_seeds.cc: writes a seed corpus for trace_reader_fuzz (synthetic version/events/tasks/data
// files, the first byte selecting the mode as the fuzz target expects). Built by run_fuzz.sh.
#include <cstdio>
#include <string>

#include "replay/trace/trace_test_writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  pyreplay::testing::TestTraceWriter w;
  std::string server = pyreplay::testing::RrSockaddrIn(0x7f000001, 8765);
  std::string client = pyreplay::testing::RrSockaddrIn(0x7f000001, 40000);
  w.Syscall(10, 41, true, {2, 1, 0});
  w.Syscall(10, 41, false, {}, 3);
  w.Clone(11, 10, 0x10000);
  w.Syscall(11, 42, true, {5, 0, 16});
  w.Syscall(11, 42, false, {}, 0, client, server);
  // A Unix accept: its addrlen and peer go to the data stream, one write with a hole.
  w.Syscall(10, 43, true, {3, 0x7000, 0x7100});
  w.MemWrite(0x7100, pyreplay::testing::U32(16));
  w.MemWrite(0x7000, pyreplay::testing::SockaddrUn("/tmp/peer.sock") + std::string(40, '\0'),
             {{20, 30}});
  w.Syscall(10, 43, false, {}, 4);
  for (int i = 0; i < 50; ++i) {
    w.MemWrite(0x8000 + i, std::string(100 + i, static_cast<char>('a' + i % 26)));
    w.Sched(10);
  }
  w.Sched(10);
  w.Exit(11);
  using W = pyreplay::testing::TestTraceWriter;
  W::WriteFile(dir + "/version", std::string(1, '\0') + pyreplay::testing::VersionFile());
  for (size_t chunk : {64, 4096}) {
    W::WriteFile(dir + "/events-" + std::to_string(chunk),
                 std::string(1, '\1') + pyreplay::testing::Chunked(w.events_stream(), chunk));
    W::WriteFile(dir + "/tasks-" + std::to_string(chunk),
                 std::string(1, '\2') + pyreplay::testing::Chunked(w.tasks_stream(), chunk));
    W::WriteFile(dir + "/data-" + std::to_string(chunk),
                 std::string(1, '\3') + pyreplay::testing::Chunked(w.data_stream(), chunk));
  }
  return 0;
}
