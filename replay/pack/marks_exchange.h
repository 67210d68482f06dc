// marks_exchange.h: marks travelling between colleagues: merging from another copy of the trace
// (a folder or a `.pyrtrace` pack) and exchanging them as JSON.
//
// Marks merge by id. A mark whose id is new is added. The same id with the same content is left
// alone, so merging again changes nothing. The same id with different content (two people's
// versions) keeps both: the local one stays, and the incoming one is added under an id derived
// from its content, reported as a conflict with both authors. That derived id makes repeated
// merges idempotent too.
//
//   ASSIGN_OR_RETURN(std::vector<Mark> theirs, LoadMarksFrom("from-bob.pyrtrace"));
//   ASSIGN_OR_RETURN(MarksMergeReport report, MergeMarksInto("traces/bug", theirs));
#ifndef PYREPLAY_REPLAY_PACK_MARKS_EXCHANGE_H_
#define PYREPLAY_REPLAY_PACK_MARKS_EXCHANGE_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "replay/marks/mark_store.h"

namespace pyreplay {

struct MarkConflict {
  std::string name;
  std::string id;            // the shared id; the local version keeps it
  std::string local_author;
  std::string incoming_author;
  std::string incoming_id;   // the id the incoming version was saved under
  bool already_merged = false;
};

struct MarksMergeReport {
  int added = 0;
  int unchanged = 0;
  std::vector<MarkConflict> conflicts;
};

// MarkFromJson reads one mark as MarkToJson writes it. InvalidArgument naming the problem.
absl::StatusOr<Mark> MarkFromJson(const nlohmann::json& json);

// MarksFromJsonText reads a JSON array of marks (`pyreplay marks TRACE export --json`).
absl::StatusOr<std::vector<Mark>> MarksFromJsonText(const std::string& text,
                                                    const std::string& origin);

// LoadMarksFrom reads the marks of another trace folder, of a `.pyrtrace` pack, or of a JSON
// export file. A pack is verified whole first, without unpacking it: the marks file against its
// SHA-256 in the manifest, and every byte against the pack's closing digest, as unpack does.
// A damaged pack is DataLoss naming the file, and no mark of it is used.
absl::StatusOr<std::vector<Mark>> LoadMarksFrom(const std::string& source);

// SameMarkContent compares everything but the order of the saved registers.
bool SameMarkContent(const Mark& a, const Mark& b);

// ConflictMarkId is the id an incoming version of `mark` is saved under when its id is taken.
std::string ConflictMarkId(const Mark& mark);

// MergeMarksInto merges `incoming` into the marks of `trace_dir` (one locked write).
absl::StatusOr<MarksMergeReport> MergeMarksInto(const std::string& trace_dir,
                                                const std::vector<Mark>& incoming);

// FormatMergeReport: "Merged N new marks (M already here); K conflicts: ..." for people.
std::string FormatMergeReport(const MarksMergeReport& report, const std::string& source);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PACK_MARKS_EXCHANGE_H_
