// index_report.h: what `pyreplay events`, `info` and `ls` show, as plain library functions.
//
//   ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(dir));
//   EventFilter filter;
//   filter.kinds = {EventKind::kConnect, EventKind::kAccept};
//   printf("%s", FormatEventsTable(index, FilterEvents(index, filter)).c_str());
#ifndef PYREPLAY_REPLAY_INDEX_INDEX_REPORT_H_
#define PYREPLAY_REPLAY_INDEX_INDEX_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "replay/index/event_index.h"

namespace pyreplay {

// EventFilter selects entries: by kind (empty: all), thread, and event range (inclusive).
struct EventFilter {
  std::vector<EventKind> kinds;
  std::optional<int32_t> tid;
  uint64_t from = 0;
  uint64_t to = UINT64_MAX;
};

// ParseKinds parses "connect,accept" into kinds. InvalidArgument for an unknown name.
absl::StatusOr<std::vector<EventKind>> ParseKinds(absl::string_view list);

// FilterEvents returns the indices (into index.entries) of the entries `filter` selects.
std::vector<size_t> FilterEvents(const EventIndex& index, const EventFilter& filter);

// FormatEventsTable renders entries as a table: EVENT, TIME (seconds since the first event),
// TID, KIND, DETAILS.
std::string FormatEventsTable(const EventIndex& index, const std::vector<size_t>& selected);

// EntryJson is one entry as JSON (peer given as the peer's event number and tid). A socket
// address is null when unknown, else {address, inferred, source} (AddressSourceName); an entry
// with an address that only `pyreplay index --deep` can tell has "address_hint".
nlohmann::json EntryJson(const EventIndex& index, const IndexEntry& entry);
nlohmann::json EventsJson(const EventIndex& index, const std::vector<size_t>& selected);

// TraceInfo summarises one trace.
struct TraceInfo {
  std::string trace_dir;
  std::vector<std::string> command;
  std::string mode;              // "pmu", "no-pmu", or "" (not recorded by pyreplay)
  std::string rr_version;
  std::string recorded_at;
  std::string uuid_hex;
  bool complete = true;          // rr's header `ok`
  uint64_t event_count = 0;
  double duration = 0;           // seconds between the first and last event
  size_t threads = 0;
  size_t processes = 0;
  size_t connections = 0;        // successful connects
  uint64_t size_bytes = 0;       // all files of the trace
  std::string index_state;       // "fresh", or "rebuilt (was missing|stale)", or "not saved"
  // "sizes checked" when the trace has digests (each file's size was compared; `pyreplay verify`
  // hashes every byte), "unverified" when it has none (plain rr, an older pyreplay).
  std::string integrity;
  // tid -> Python thread name, sorted by tid. GetTraceInfo leaves it empty: the names come from
  // the deep index, which the caller adds when it has a fresh one.
  std::vector<std::pair<int32_t, std::string>> thread_names;
};

// GetTraceInfo reads the trace (building or refreshing its index when needed). `index`, when
// given, receives the event index it used.
absl::StatusOr<TraceInfo> GetTraceInfo(const std::string& trace_dir, EventIndex* index = nullptr);
std::string FormatTraceInfo(const TraceInfo& info);
nlohmann::json TraceInfoJson(const TraceInfo& info);

// TraceListing is one trace found by ListTraces. It reads only what is cheap: no index build.
struct TraceListing {
  std::string trace_dir;
  std::string name;
  int64_t mtime_s = 0;           // the trace's `version` file (when recording finished)
  std::string recorded_at;
  std::string command;
  uint64_t size_bytes = 0;
  int64_t events = -1;           // from a saved index; -1 if none
  std::string problem;           // non-empty when the trace cannot be read (e.g. another version)
};

// ListTraces lists the traces directly under `root` (folders with a `version` file), newest
// first; when `root` is itself a trace, just that one. NotFound when `root` does not exist,
// InvalidArgument when it is not a folder.
absl::StatusOr<std::vector<TraceListing>> ListTraces(const std::string& root);
std::string FormatTraceList(const std::vector<TraceListing>& traces);
nlohmann::json TraceListJson(const std::vector<TraceListing>& traces);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_INDEX_INDEX_REPORT_H_
