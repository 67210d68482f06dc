// frame_decoder.h: CPython's Python stacks (3.11 to 3.15), read from a stopped process's memory.
//
// It walks from the thread's current `_PyInterpreterFrame` along `previous` (how a thread state
// reaches its frame, and a frame its code, is the version's FrameModel, frame_model.h),
// skipping frames owned by the C stack and frames that have not started (CPython's own walkers
// skip these "incomplete" frames too). Each frame's code object is decoded once and cached:
// file name, name, qualified name, and the location table.
//
// Every read is bounded: stacks stop at kMaxFrames, strings at kMaxStringChars, tables at
// kMaxLineTableBytes, and a frame pointer seen twice ends the walk. A frame that cannot be read
// becomes a PyFrame with `readable == false`, printed as `<unreadable frame at 0x...>`.
//
//   FrameDecoder decoder(layout, &reader);
//   for (const ThreadStateInfo& t : decoder.ThreadStates(interp)) {
//     std::vector<PyFrame> stack = decoder.Stack(t.address);
//   }
#ifndef PYREPLAY_REPLAY_PYFRAMES_FRAME_DECODER_H_
#define PYREPLAY_REPLAY_PYFRAMES_FRAME_DECODER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "replay/pyframes/cpython_layout.h"
#include "replay/pyframes/frame_model.h"
#include "replay/pyframes/line_table.h"
#include "replay/pyframes/memory_reader.h"

namespace pyreplay {

inline constexpr int kMaxFrames = 1024;
inline constexpr int kMaxThreadStates = 4096;
inline constexpr size_t kMaxStringChars = 4096;
inline constexpr size_t kMaxLineTableBytes = 1 << 20;

// PyFrame is one Python frame, innermost first in a stack.
struct PyFrame {
  uint64_t address = 0;      // the _PyInterpreterFrame
  bool readable = true;      // false: `error` says why; the other fields may be empty
  std::string error;
  uint64_t code = 0;         // its PyCodeObject
  std::string filename;      // co_filename
  std::string name;          // co_name
  std::string qualname;      // co_qualname
  int first_line = 0;        // co_firstlineno
  int lasti = -1;            // instruction offset in code units (-1: not started)
  std::optional<int> line;   // from co_linetable
  uint64_t first_local = 0;  // localsplus[0] (`self` of a method), 0 if none

  // Function is the qualified name, or co_name when the code object has none.
  const std::string& Function() const { return qualname.empty() ? name : qualname; }

  // Describe is "file:line in qualname", or "<unreadable frame at 0x...>: why".
  std::string Describe() const;

  // Unreadable is a frame at `address` that could not be decoded, for the reason `why`.
  static PyFrame Unreadable(uint64_t address, std::string why);
};

// FrameState is one frame as the stepper sees it (replay/stepping/), including a frame that has
// not started yet (lasti -1), which stacks skip.
struct FrameState {
  uint64_t address = 0;
  uint64_t code = 0;
  uint64_t previous = 0;     // the caller's frame, 0 for the thread's first
  int lasti = -1;
  std::optional<int> line;   // the line of lasti
  int first_traceable = 0;   // _co_firsttraceable
  uint8_t opcode = 0;        // the raw (maybe specialised) opcode at prev_instr; 0 before start
  std::string filename;      // co_filename
  std::string qualname;      // co_qualname
};

// ThreadStateInfo is one PyThreadState of the interpreter.
struct ThreadStateInfo {
  uint64_t address = 0;
  uint64_t thread_id = 0;         // pthread_t (threading.get_ident())
  int64_t native_thread_id = 0;   // the kernel tid (gdb's LWP)
  uint64_t current_frame = 0;     // the innermost frame, 0 when none
};

// FrameDecoder reads stacks through a MemoryReader. The reader must outlive it. Not thread-safe.
class FrameDecoder {
 public:
  FrameDecoder(const CPythonLayout& layout, MemoryReader* reader);

  // ThreadStates lists `interp->threads.head` and its `next` chain (at most kMaxThreadStates).
  // DataLoss when the head cannot be read.
  absl::StatusOr<std::vector<ThreadStateInfo>> ThreadStates(uint64_t interp);

  // ThreadStateFor picks the state of native thread `tid`. Several states can carry one tid while
  // a thread is being started (the parent creates the child's state), so it prefers one with a
  // current frame. NotFound when no state has that tid.
  absl::StatusOr<ThreadStateInfo> ThreadStateFor(uint64_t interp, int64_t tid);

  // Stack is the thread's Python frames, innermost first. Empty when the thread runs no Python
  // code. DataLoss only when the thread state itself is unreadable; a bad frame mid-stack ends
  // the stack with an unreadable marker instead.
  absl::StatusOr<std::vector<PyFrame>> Stack(uint64_t tstate);
  // StackFromFrame walks from a given `_PyInterpreterFrame*`.
  std::vector<PyFrame> StackFromFrame(uint64_t frame);

  // State reads one frame for the stepper. DataLoss when the frame or its code is unreadable.
  absl::StatusOr<FrameState> State(uint64_t frame);
  // LineOf is the line of code unit `lasti` in code object `code` (decoded and cached).
  std::optional<int> LineOf(uint64_t code, int lasti);

  // ReadString decodes a str object (compact ASCII/latin-1/UCS-2/UCS-4, or legacy) to UTF-8, at
  // most `max_chars` characters (a longer one ends with "..."). DataLoss when unreadable or not a
  // str.
  absl::StatusOr<std::string> ReadString(uint64_t object, size_t max_chars = kMaxStringChars);

  // InstanceAttribute is the object stored under `name` in the instance dict of `object`, whose
  // type has Py_TPFLAGS_MANAGED_DICT (any class defined in Python): its materialised dict, else
  // its values (3.11, 3.12: a pointer before the object; 3.13+: inline after it, at
  // tp_basicsize, with Py_TPFLAGS_INLINE_VALUES). NotFound when absent.
  absl::StatusOr<uint64_t> InstanceAttribute(uint64_t object, const std::string& name);

  // DictItem looks `key` (a str key) up in a dict object. NotFound when absent.
  absl::StatusOr<uint64_t> DictItem(uint64_t dict, const std::string& key);

  // ThreadName is the Python name of the thread running `stack`: the `_name` of the
  // threading.Thread whose `_bootstrap` frame is at the stack's bottom. NotFound for a thread not
  // started by threading (the main thread, `_thread.start_new_thread`).
  absl::StatusOr<std::string> ThreadName(const std::vector<PyFrame>& stack);

  // StartingThreadName is the name of the threading.Thread this stack is starting: the `_name`
  // of `self` in its innermost `Thread.start` frame. NotFound when it starts none.
  absl::StatusOr<std::string> StartingThreadName(const std::vector<PyFrame>& stack);

  const FrameModel& model() const { return *model_; }

  // Counters, for tests and benchmarks.
  size_t code_cache_size() const { return code_cache_.size(); }
  uint64_t reads() const { return reads_; }

 private:
  struct CodeInfo {
    std::string header;  // the code object's bytes up to co_code_adaptive, minus the refcount
    std::string filename, name, qualname;
    int first_line = 0;
    int first_traceable = 0;
    std::shared_ptr<const LineTable> lines;  // null when the table could not be decoded
  };

  bool Read(uint64_t address, void* out, size_t len);
  bool ReadU64(uint64_t address, uint64_t* out);
  absl::StatusOr<const CodeInfo*> Code(uint64_t code);
  PyFrame DecodeFrame(uint64_t frame, const std::string& raw);
  // KeysLookup finds `key` among a PyDictKeysObject's entries and returns its entry index.
  absl::StatusOr<int64_t> KeysLookup(uint64_t keys, const std::string& key, bool* unicode_kind,
                                     uint64_t* entries, uint64_t* value_out);

  // ValuesAttribute reads entry `name` of split values `values` keyed by `type`'s cached keys.
  absl::StatusOr<uint64_t> ValuesAttribute(uint64_t type, uint64_t values,
                                           const std::string& name);

  CPythonLayout layout_;
  std::unique_ptr<FrameModel> model_;
  MemoryReader* reader_;
  absl::flat_hash_map<uint64_t, CodeInfo> code_cache_;
  uint64_t reads_ = 0;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYFRAMES_FRAME_DECODER_H_
