// task_stream.h: rr's `tasks` stream (clones, execs, exits), one record at a time, in frame order.
//
// rr writes a TaskEvent when a task is created, execs, exits or detaches, stamped with the frame
// time of that moment, so the records come in frame order. A reader walking `events` asks for
// the records due at each frame; TaskStream holds one record of lookahead, so memory stays the
// same whatever the number of tasks.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TaskStream> tasks, TaskStream::Open(trace_dir));
//   TaskRecord task;
//   while (true) {                                   // at frame `event`
//     ASSIGN_OR_RETURN(bool due, tasks->NextUpTo(event, &task));
//     if (!due) break;
//     Apply(task);
//   }
//
// Errors are the StreamReader's (trace_reader.h): NotFound, or DataLoss naming file, chunk and
// offset. A record stamped earlier than the one before it (rr never writes one) is simply due at
// once. No exception leaves this file.
#ifndef PYREPLAY_REPLAY_TRACE_TASK_STREAM_H_
#define PYREPLAY_REPLAY_TRACE_TASK_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {

// TaskRecord is one message of the `tasks` stream, copied out.
struct TaskRecord {
  enum Type { kClone, kExec, kExit, kDetach } type = kClone;
  uint64_t frame_time = 0;
  int32_t tid = 0;
  int32_t parent_tid = 0;
  int32_t flags = 0;           // clone: CLONE_* flags
  int32_t exit_status = 0;
  std::string file_name;       // exec
  std::vector<std::string> cmdline;
};

class TaskStream {
 public:
  // Open opens `<trace_dir>/tasks`. NotFound when it is missing.
  static absl::StatusOr<std::unique_ptr<TaskStream>> Open(const std::string& trace_dir);

  // NextUpTo moves the next record into `out` and returns true when it is due at frame `event`
  // (its frame time is at most `event`); false when it is not yet, or at the end of the stream.
  absl::StatusOr<bool> NextUpTo(uint64_t event, TaskRecord* out);

  uint64_t records() const { return reader_->messages(); }

 private:
  explicit TaskStream(std::unique_ptr<StreamReader> reader) : reader_(std::move(reader)) {}
  absl::Status Fill();  // reads one record into lookahead_, unless there is one or none is left

  std::unique_ptr<StreamReader> reader_;
  std::optional<TaskRecord> lookahead_;
  bool ended_ = false;
};

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_TRACE_TASK_STREAM_H_
