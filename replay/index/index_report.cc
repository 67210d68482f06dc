#include "replay/index/index_report.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "replay/common/human_size.h"
#include "replay/common/status_macros.h"
#include "replay/common/text_escape.h"
#include "replay/record/recording_meta.h"
#include "replay/trace/trace_digests.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {
namespace fs = std::filesystem;

namespace {

uint64_t DirSize(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      uint64_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

std::string Quote(const std::vector<std::string>& argv) {
  std::vector<std::string> parts;
  for (const std::string& arg : argv) {
    bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    parts.push_back(plain ? arg : absl::StrCat("'", arg, "'"));
  }
  return absl::StrJoin(parts, " ");
}

nlohmann::json AddressJson(const SocketAddress& a) {
  if (!a.known()) return nullptr;
  return {{"address", a.text},
          {"inferred", a.inferred()},
          {"source", std::string(AddressSourceName(a.source))}};
}

// ThreadNamesJson is [{tid, name}] (an empty list without a deep index).
nlohmann::json ThreadNamesJson(const std::vector<std::pair<int32_t, std::string>>& names) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [tid, name] : names) list.push_back({{"tid", tid}, {"name", name}});
  return list;
}

// ListOneTrace describes the trace in `dir`, or nothing when `dir` holds no trace (no `version`).
std::optional<TraceListing> ListOneTrace(const fs::path& dir) {
  struct stat st;
  if (stat((dir / "version").c_str(), &st) != 0) return std::nullopt;
  TraceListing t;
  t.trace_dir = dir.string();
  t.name = dir.filename().empty() ? dir.parent_path().filename().string()
                                  : dir.filename().string();
  t.mtime_s = st.st_mtim.tv_sec;
  t.size_bytes = DirSize(t.trace_dir);
  absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(t.trace_dir);
  if (meta.ok()) {
    t.recorded_at = meta->recorded_at;
    t.command = Quote(meta->command);
  }
  absl::StatusOr<TraceHeader> header = ReadTraceHeader(t.trace_dir);
  if (!header.ok()) {
    t.problem = std::string(header.status().message());
  } else if (absl::StatusOr<EventIndex> index = LoadIndex(t.trace_dir); index.ok()) {
    t.events = static_cast<int64_t>(index->event_count);
  }
  return t;
}

}  // namespace

absl::StatusOr<std::vector<EventKind>> ParseKinds(absl::string_view list) {
  std::vector<EventKind> kinds;
  for (absl::string_view name : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(EventKind kind, ParseEventKind(name));
    kinds.push_back(kind);
  }
  return kinds;
}

std::vector<size_t> FilterEvents(const EventIndex& index, const EventFilter& filter) {
  std::vector<size_t> selected;
  for (size_t i = index.FirstAtOrAfter(filter.from); i < index.entries.size(); ++i) {
    const IndexEntry& e = index.entries[i];
    if (e.event > filter.to) break;
    if (filter.tid && e.tid != *filter.tid) continue;
    if (!filter.kinds.empty() &&
        std::find(filter.kinds.begin(), filter.kinds.end(), e.kind) == filter.kinds.end()) {
      continue;
    }
    selected.push_back(i);
  }
  return selected;
}

std::string FormatEventsTable(const EventIndex& index, const std::vector<size_t>& selected) {
  std::string out = absl::StrFormat("%8s  %9s  %7s  %-11s  %s\n", "EVENT", "TIME", "TID", "KIND",
                                    "DETAILS");
  for (size_t i : selected) {
    const IndexEntry& e = index.entries[i];
    absl::StrAppendFormat(&out, "%8d  %9.3f  %7d  %-11s  %s\n", e.event,
                          e.time - index.first_time, e.tid, std::string(EventKindName(e.kind)),
                          EscapeText(DescribeEntry(index, e)));  // socket paths are trace data
  }
  return out;
}

nlohmann::json EntryJson(const EventIndex& index, const IndexEntry& e) {
  nlohmann::json j = {
      {"event", e.event},
      {"time", e.time - index.first_time},
      {"monotonic", e.time},
      {"tid", e.tid},
      {"pid", e.pid},
      {"kind", std::string(EventKindName(e.kind))},
      {"details", DescribeEntry(index, e)},
  };
  if (e.syscall >= 0) {
    j["syscall"] = e.syscall;
    j["exit_event"] = e.exit_event ? nlohmann::json(e.exit_event) : nlohmann::json(nullptr);
    j["fd"] = e.fd >= 0 ? nlohmann::json(e.fd) : nlohmann::json(nullptr);
    j["family"] = e.family >= 0 ? nlohmann::json(e.family) : nlohmann::json(nullptr);
    j["type"] = e.type >= 0 ? nlohmann::json(e.type) : nlohmann::json(nullptr);
    j["result"] = e.finished ? nlohmann::json(e.result) : nlohmann::json(nullptr);
    j["ok"] = e.ok();
    j["local"] = AddressJson(e.local);
    j["remote"] = AddressJson(e.remote);
    // An address only the call's argument holds: say how to get it.
    if (NeedsDeepPass(index, e, false) || NeedsDeepPass(index, e, true)) {
      j["address_hint"] = "pyreplay index --deep";
    }
    if (e.peer >= 0 && e.peer < static_cast<int64_t>(index.entries.size())) {
      const IndexEntry& p = index.entries[e.peer];
      j["peer"] = {{"event", p.event}, {"tid", p.tid}, {"kind", std::string(EventKindName(p.kind))}};
    } else {
      j["peer"] = nullptr;
    }
  } else {
    j["parent_tid"] = e.parent_tid;
    if (e.kind == EventKind::kThreadExit || e.kind == EventKind::kProcessExit) {
      j["exit_status"] = e.exit_status;
    }
    if (e.kind == EventKind::kExec) j["file"] = e.detail;
  }
  return j;
}

nlohmann::json EventsJson(const EventIndex& index, const std::vector<size_t>& selected) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i : selected) list.push_back(EntryJson(index, index.entries[i]));
  return list;
}

absl::StatusOr<TraceInfo> GetTraceInfo(const std::string& trace_dir, EventIndex* index_out) {
  TraceInfo info;
  info.trace_dir = trace_dir;
  ASSIGN_OR_RETURN(TraceHeader header, ReadTraceHeader(trace_dir));
  info.uuid_hex = UuidHex(header.uuid);
  info.complete = header.ok;
  absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(trace_dir);
  if (meta.ok()) {
    info.command = meta->command;
    info.mode = std::string(PmuModeName(meta->mode));
    info.rr_version = meta->rr_version;
    info.recorded_at = meta->recorded_at;
  } else if (!absl::IsNotFound(meta.status())) {
    return meta.status();
  }
  // LoadOrBuildIndex below fails on a file whose size is not the recorded one.
  ASSIGN_OR_RETURN(std::optional<TraceDigests> digests, LoadTraceDigests(trace_dir));
  info.integrity = digests ? "sizes match the recording (`pyreplay verify` checks every byte)"
                           : "unverified: no digests (plain rr, or an older pyreplay)";
  ASSIGN_OR_RETURN(IndexFreshness before, CheckIndexFreshness(trace_dir));
  bool rebuilt = false, saved = true;
  ASSIGN_OR_RETURN(EventIndex index, LoadOrBuildIndex(trace_dir, nullptr, &rebuilt, &saved));
  if (!rebuilt) {
    info.index_state = "fresh";
  } else {
    info.index_state = absl::StrCat(
        "rebuilt (was ", before == IndexFreshness::kMissing ? "missing" : "stale", ")",
        saved ? "" : ", not saved: the trace folder is not writable");
  }
  if (info.command.empty()) {
    for (const ProcessInfo& p : index.processes) {
      if (!p.cmdline.empty()) {
        info.command = p.cmdline;
        break;
      }
    }
  }
  info.event_count = index.event_count;
  info.duration = index.last_time - index.first_time;
  info.threads = index.threads.size();
  info.processes = index.processes.size();
  for (const IndexEntry& e : index.entries) {
    if (e.kind == EventKind::kConnect && e.ok()) ++info.connections;
  }
  info.size_bytes = DirSize(trace_dir);
  if (index_out != nullptr) *index_out = std::move(index);
  return info;
}

std::string FormatTraceInfo(const TraceInfo& info) {
  std::string out;
  auto line = [&](absl::string_view key, absl::string_view value) {
    // Values come from the trace (the command, paths): one line each, escaped.
    absl::StrAppendFormat(&out, "%-12s %s\n", absl::StrCat(key, ":"), EscapeText(value));
  };
  line("trace", info.trace_dir);
  line("command", info.command.empty() ? "(unknown)" : Quote(info.command));
  line("mode", info.mode.empty() ? "(not recorded by pyreplay)" : info.mode);
  line("rr", info.rr_version.empty() ? "(unknown)" : info.rr_version);
  if (!info.recorded_at.empty()) line("recorded", info.recorded_at);
  line("uuid", info.uuid_hex);
  if (!info.complete) line("warning", "rr did not finish this recording (header ok=false)");
  line("events", absl::StrCat(info.event_count));
  line("duration", absl::StrFormat("%.3f s", info.duration));
  line("threads", absl::StrCat(info.threads));
  for (const auto& [tid, name] : info.thread_names) {
    absl::StrAppendFormat(&out, "%-12s   %-8d %s\n", "", tid, EscapeText(name));
  }
  line("processes", absl::StrCat(info.processes));
  line("connections", absl::StrCat(info.connections));
  line("size", HumanSize(info.size_bytes));
  line("index", info.index_state);
  line("integrity", info.integrity);
  return out;
}

nlohmann::json TraceInfoJson(const TraceInfo& info) {
  return {{"trace", info.trace_dir},   {"command", info.command},
          {"mode", info.mode},         {"rr_version", info.rr_version},
          {"recorded_at", info.recorded_at}, {"uuid", info.uuid_hex},
          {"complete", info.complete}, {"events", info.event_count},
          {"duration", info.duration}, {"threads", info.threads},
          {"processes", info.processes}, {"connections", info.connections},
          {"size_bytes", info.size_bytes}, {"index", info.index_state},
          {"integrity", info.integrity},
          {"thread_names", ThreadNamesJson(info.thread_names)}};
}

absl::StatusOr<std::vector<TraceListing>> ListTraces(const std::string& root) {
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return absl::NotFoundError(absl::StrCat(root, ": no such folder"));
  }
  if (!fs::is_directory(root, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        root, ": is not a folder; `pyreplay ls` lists the trace folders inside a folder"));
  }
  std::vector<TraceListing> traces;
  // `pyreplay ls TRACE` shows that one trace, as `ls FILE` shows the file.
  if (std::optional<TraceListing> one = ListOneTrace(fs::path(root)); one) {
    traces.push_back(*std::move(one));
    return traces;
  }
  fs::directory_iterator it(root, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(root, ": ", ec.message()));
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    std::error_code entry_ec;
    if (!it->is_directory(entry_ec)) continue;
    if (std::optional<TraceListing> t = ListOneTrace(it->path()); t) {
      traces.push_back(*std::move(t));
    }
  }
  std::sort(traces.begin(), traces.end(), [](const TraceListing& a, const TraceListing& b) {
    return a.mtime_s != b.mtime_s ? a.mtime_s > b.mtime_s : a.name < b.name;
  });
  return traces;
}

std::string FormatTraceList(const std::vector<TraceListing>& traces) {
  // Columns as wide as their widest cell, so long trace names and RFC 3339 times stay aligned.
  std::vector<std::string> whens;
  int name_width = 5, when_width = 8;  // "TRACE", "RECORDED"
  for (const TraceListing& t : traces) {
    std::string when = t.recorded_at;
    if (when.empty()) {
      when = absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(t.mtime_s),
                              absl::UTCTimeZone());
    }
    name_width = std::max(name_width, static_cast<int>(t.name.size()));
    when_width = std::max(when_width, static_cast<int>(when.size()));
    whens.push_back(std::move(when));
  }
  std::string out = absl::StrFormat("%-*s  %-*s  %9s  %10s  %s\n", name_width, "TRACE",
                                    when_width, "RECORDED", "EVENTS", "SIZE", "COMMAND");
  for (size_t i = 0; i < traces.size(); ++i) {
    const TraceListing& t = traces[i];
    absl::StrAppendFormat(&out, "%-*s  %-*s  %9s  %10s  %s\n", name_width, EscapeText(t.name),
                          when_width,
                          whens[i], t.events >= 0 ? absl::StrCat(t.events) : "-",
                          HumanSize(t.size_bytes),
                          EscapeText(t.problem.empty() ? t.command
                                                       : absl::StrCat("(", t.problem, ")")));
  }
  return out;
}

nlohmann::json TraceListJson(const std::vector<TraceListing>& traces) {
  nlohmann::json list = nlohmann::json::array();
  for (const TraceListing& t : traces) {
    list.push_back({{"trace", t.trace_dir},
                    {"name", t.name},
                    {"mtime", t.mtime_s},
                    {"recorded_at", t.recorded_at},
                    {"command", t.command},
                    {"size_bytes", t.size_bytes},
                    {"events", t.events >= 0 ? nlohmann::json(t.events) : nlohmann::json(nullptr)},
                    {"problem", t.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.problem)}});
  }
  return list;
}

}  // namespace pyreplay
