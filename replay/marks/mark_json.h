// mark_json.h: marks as JSON, for `pyreplay marks --json` and tools.
//
//   printf("%s\n", MarksToJson(marks).dump(2).c_str());
#ifndef PYREPLAY_REPLAY_MARKS_MARK_JSON_H_
#define PYREPLAY_REPLAY_MARKS_MARK_JSON_H_

#include <vector>

#include <nlohmann/json.hpp>

#include "replay/marks/mark_store.h"

namespace pyreplay {

// MarkToJson: {"id", "name", "note", "author", "created" (RFC 3339, UTC), "created_unix_nanos",
// "python_location", "position": {"event", "ticks", "tid", "pc" (hex string), "restart_event",
// "hit_count", "registers": {name: value}}}.
nlohmann::json MarkToJson(const Mark& mark);
nlohmann::json MarksToJson(const std::vector<Mark>& marks);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_MARKS_MARK_JSON_H_
