// record_summary.h: what `record` (and `hunt`) print after a recording: where, how big, what next.
#ifndef PYREPLAY_REPLAY_CLI_RECORD_SUMMARY_H_
#define PYREPLAY_REPLAY_CLI_RECORD_SUMMARY_H_

#include "replay/record/recorder.h"

namespace pyreplay::cli {

void PrintRecordSummary(const RecordResult& result);

}  // namespace pyreplay::cli

#endif  // PYREPLAY_REPLAY_CLI_RECORD_SUMMARY_H_
