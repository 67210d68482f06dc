// memory_reader.h: how the frame decoder reads the debuggee's memory.
//
// In gdb the reader is a callback into `gdb.selected_inferior().read_memory`; in unit tests it is
// a map of synthetic pages. The decoder reads whole structs at a time, so a reader is called a few
// times per frame, never per field.
//
//   class GdbReader : public MemoryReader { ... };
//   FrameDecoder decoder(layout, &reader);
#ifndef PYREPLAY_REPLAY_PYFRAMES_MEMORY_READER_H_
#define PYREPLAY_REPLAY_PYFRAMES_MEMORY_READER_H_

#include <cstddef>
#include <cstdint>

namespace pyreplay {

// MemoryReader reads `len` bytes at `address` into `out`. Read returns false when any byte is
// unreadable (and `out` is then unspecified). It must not throw.
class MemoryReader {
 public:
  virtual ~MemoryReader() = default;
  virtual bool Read(uint64_t address, void* out, size_t len) = 0;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_MEMORY_READER_H_
