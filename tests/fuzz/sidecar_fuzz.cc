// sidecar_fuzz.cc: libFuzzer target for everything pyreplay reads from its own sidecar files and
// everything it prints from them: the deep index, marks, meta.json, the trace digests, and the
// text and JSON writers (EscapeText, DumpJson, MarksToJson, the deep index's table and JSON).
//
// A trace is a file people send each other, so these bytes are untrusted. The first input byte
// picks the file, the rest is its contents (sometimes sealed first, so the parsers behind the
// checksum are reached too). Whatever the bytes, a reader returns a status (never throws, never
// aborts), and every text or JSON output built from what it read is valid, printable UTF-8 with
// no control character (IsSafeText): nothing from a trace reaches a terminal as an escape
// sequence, and nlohmann's dump() never throws type_error.316. Anything else abort()s. Built by
// tests/fuzz/run_fuzz.sh (target `sidecar`), corpus in WORKDIR/sidecar-corpus.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "replay/common/atomic_file.h"
#include "replay/common/sealed_file.h"
#include "replay/common/text_escape.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"
#include "replay/index/index_report.h"
#include "replay/marks/mark_json.h"
#include "replay/marks/mark_store.h"
#include "replay/record/recording_meta.h"
#include "replay/trace/trace_digests.h"

namespace {

namespace fs = std::filesystem;
using namespace pyreplay;

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "sidecar_fuzz: %s\n", what);
    abort();
  }
}

void CheckSafeJson(const nlohmann::json& j) {
  std::string text;
  try {
    text = DumpJson(j);
  } catch (const std::exception& e) {
    fprintf(stderr, "sidecar_fuzz: DumpJson threw %s\n", e.what());
    abort();
  }
  Check(IsSafeText(text, /*keep_newlines=*/true), "DumpJson output is not safe text");
  Check(!nlohmann::json::parse(text, nullptr, false).is_discarded(), "DumpJson output is no JSON");
}

// TraceDir is a per-process folder, removed at exit. Never destroyed itself: the atexit
// handler runs after static destructors.
const std::string& TraceDir() {
  static const std::string* dir = [] {
    auto* d = new std::string("/dev/shm/pyreplay-sidecar-fuzz-" + std::to_string(getpid()));
    fs::create_directories(*d + "/pyreplay");
    std::atexit([] { std::error_code ec; fs::remove_all(TraceDir(), ec); });
    return d;
  }();
  return *dir;
}

// An index with one entry of every kind the deep index can annotate, at events 1..16.
const EventIndex& SmallIndex() {
  static const EventIndex index = [] {
    EventIndex idx;
    idx.event_count = 16;
    for (uint64_t e = 1; e <= 16; ++e) {
      IndexEntry entry;
      entry.event = e;
      entry.tid = 100 + static_cast<int32_t>(e % 3);
      entry.kind = static_cast<EventKind>(e % kEventKindCount);
      idx.entries.push_back(entry);
    }
    return idx;
  }();
  return index;
}

void FuzzDeep(const std::string& bytes) {
  (void)WriteFileAtomically(DeepIndexPath(TraceDir()), bytes);
  absl::StatusOr<DeepIndex> deep = LoadDeepIndex(TraceDir());
  if (!deep.ok()) {
    Check(IsSafeText(EscapeText(deep.status().message())), "escaped status");
    return;
  }
  // What `events --json` and the table take from it (deep_report.cc): names and frames.
  nlohmann::json events = nlohmann::json::array();
  for (const DeepEntry& e : deep->entries) {
    nlohmann::json stack = nlohmann::json::array();
    for (const DeepFrame& f : e.stack) {
      stack.push_back({{"file", f.file}, {"line", f.line}, {"function", f.function}});
    }
    events.push_back({{"python", PythonLocation(e)}, {"innermost", InnermostLocation(e)},
                      {"thread_name", ThreadLabel(&*deep, e.tid)}, {"python_stack", stack}});
    Check(IsSafeText(EscapeText(PythonLocation(e))), "python location");
  }
  CheckSafeJson(events);
  EventIndex index = SmallIndex();
  ApplyDeepAddresses(*deep, &index);  // the sockaddr bytes, into addresses
  std::vector<size_t> all;
  for (size_t i = 0; i < index.entries.size(); ++i) all.push_back(i);
  CheckSafeJson(EventsJson(index, all));
  Check(IsSafeText(EscapeText(FormatEventsTable(index, all), true), true), "events table");
}

void FuzzMarks(const std::string& bytes) {
  absl::StatusOr<std::vector<Mark>> marks = ParseMarkFile(bytes, "marks");
  if (!marks.ok()) return;
  CheckSafeJson(MarksToJson(*marks));
  // A file that parses serializes to one that parses to the same marks.
  absl::StatusOr<std::vector<Mark>> again = ParseMarkFile(SerializeMarkFile(*marks), "again");
  Check(again.ok() && *again == *marks, "marks round trip");
}

void FuzzMeta(const std::string& bytes) {
  (void)WriteFileAtomically(SidecarDir(TraceDir()) + "/meta.json", bytes);
  absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(TraceDir());
  if (!meta.ok()) return;
  nlohmann::json j = {{"command", meta->command}, {"cwd", meta->cwd}, {"name", meta->name},
                      {"rr", meta->rr_version}, {"at", meta->recorded_at}};
  CheckSafeJson(j);
  for (const std::string& word : meta->command) Check(IsSafeText(EscapeText(word)), "command");
}

void FuzzDigests(const std::string& bytes) {
  absl::StatusOr<TraceDigests> digests = ParseTraceDigests(bytes, "digests");
  if (!digests.ok()) return;
  absl::StatusOr<TraceDigests> again = ParseTraceDigests(SerializeTraceDigests(*digests), "again");
  Check(again.ok() && again->files.size() == digests->files.size(), "digests round trip");
  for (const FileDigest& f : digests->files) Check(IsDigestedPath(f.path), "digested path");
}

void FuzzText(const std::string& bytes) {
  const std::string escaped = EscapeText(bytes);
  Check(IsSafeText(escaped), "EscapeText output is not safe");
  Check(EscapeText(escaped) == escaped, "EscapeText is not idempotent");
  Check(IsSafeText(EscapeText(bytes, true), true), "EscapeText(keep_newlines)");
  CheckSafeJson(nlohmann::json{{bytes, bytes}, {"list", {bytes, 1, nullptr}}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  // Half the time behind a valid checksum, so the parsers behind it are fuzzed too.
  if (selector & 0x80) bytes = Seal(bytes);
  switch (selector & 0x07) {
    case 0: FuzzDeep(bytes); break;
    case 1: FuzzMarks(bytes); break;
    case 2: FuzzMeta(bytes); break;
    case 3: FuzzDigests(bytes); break;
    default: FuzzText(bytes); break;
  }
  return 0;
}
