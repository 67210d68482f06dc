#include "replay/trace/task_stream.h"

#include <algorithm>

#include "replay/common/status_macros.h"
#include "replay/trace/rr_trace.capnp.h"

namespace pyreplay {

absl::StatusOr<std::unique_ptr<TaskStream>> TaskStream::Open(const std::string& trace_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<StreamReader> reader, StreamReader::Open(trace_dir, "tasks"));
  return std::unique_ptr<TaskStream>(new TaskStream(std::move(reader)));
}

absl::Status TaskStream::Fill() {
  if (lookahead_ || ended_) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool more, reader_->Next());
  if (!more) {
    ended_ = true;
    return absl::OkStatus();
  }
  return reader_->Visit([&]() -> absl::Status {
    rr::TaskEvent::Reader event = reader_->Root<rr::TaskEvent>();
    TaskRecord record;
    record.frame_time = static_cast<uint64_t>(std::max<int64_t>(0, event.getFrameTime()));
    record.tid = event.getTid();
    switch (event.which()) {
      case rr::TaskEvent::CLONE:
        record.type = TaskRecord::kClone;
        record.parent_tid = event.getClone().getParentTid();
        record.flags = event.getClone().getFlags();
        break;
      case rr::TaskEvent::EXEC: {
        record.type = TaskRecord::kExec;
        auto file = event.getExec().getFileName();
        record.file_name.assign(reinterpret_cast<const char*>(file.begin()), file.size());
        for (auto arg : event.getExec().getCmdLine()) {
          record.cmdline.emplace_back(reinterpret_cast<const char*>(arg.begin()), arg.size());
        }
        break;
      }
      case rr::TaskEvent::EXIT:
        record.type = TaskRecord::kExit;
        record.exit_status = event.getExit().getExitStatus();
        break;
      default:
        record.type = TaskRecord::kDetach;
        break;
    }
    lookahead_ = std::move(record);
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> TaskStream::NextUpTo(uint64_t event, TaskRecord* out) {
  RETURN_IF_ERROR(Fill());
  if (!lookahead_ || lookahead_->frame_time > event) return false;
  *out = std::move(*lookahead_);
  lookahead_.reset();
  return true;
}

}  // namespace pyreplay
