#include "replay/pack/marks_exchange.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "replay/common/text_escape.h"
#include "replay/common/atomic_file.h"
#include "replay/common/sha256.h"
#include "replay/common/status_macros.h"
#include "replay/marks/mark_json.h"
#include "replay/pack/pack_manifest.h"
#include "replay/pack/pack_reader.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

using nlohmann::json;

// ReadFileHead reads at most `size` bytes from the start of `path`.
absl::StatusOr<std::string> ReadFileHead(const std::string& path, size_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", strerror(errno)));
  std::string head(size, '\0');
  in.read(head.data(), static_cast<std::streamsize>(size));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

std::vector<std::pair<std::string, uint64_t>> SortedRegisters(const ExactPosition& p) {
  auto regs = p.registers;
  std::sort(regs.begin(), regs.end());
  return regs;
}

// Canonical is a stable text of a mark's content (id excluded).
std::string Canonical(const Mark& m) {
  json regs = json::array();
  for (const auto& [name, value] : SortedRegisters(m.position)) regs.push_back({name, value});
  json j = {m.name, m.note, m.author, m.created_unix_nanos, m.python_location,
            m.position.event, m.position.ticks, m.position.tid, m.position.pc,
            m.position.restart_event, m.position.hit_count, regs};
  return DumpJson(j, -1);  // a mark's text may hold any bytes: escaped, never thrown
}

}  // namespace

absl::StatusOr<Mark> MarkFromJson(const json& j) {
  try {
    Mark m;
    m.id = j.at("id").get<std::string>();
    m.name = j.at("name").get<std::string>();
    m.note = j.value("note", "");
    m.author = j.value("author", "");
    m.created_unix_nanos = j.value("created_unix_nanos", int64_t{0});
    m.python_location = j.value("python_location", "");
    const json& p = j.at("position");
    m.position.event = p.at("event").get<uint64_t>();
    m.position.ticks = p.value("ticks", uint64_t{0});
    m.position.tid = p.value("tid", int32_t{0});
    std::string pc = p.value("pc", std::string("0x0"));
    absl::string_view digits = pc;
    if (absl::StartsWith(digits, "0x")) digits.remove_prefix(2);
    if (!absl::SimpleHexAtoi(digits, &m.position.pc)) {
      return absl::InvalidArgumentError(absl::StrCat("mark \"", m.name, "\": bad pc \"", pc, "\""));
    }
    m.position.restart_event = p.value("restart_event", uint64_t{0});
    m.position.hit_count = p.value("hit_count", uint32_t{0});
    if (p.contains("registers")) {
      for (const auto& [name, value] : p.at("registers").items()) {
        m.position.registers.emplace_back(name, value.get<uint64_t>());
      }
    }
    if (m.id.size() != 32 || !std::all_of(m.id.begin(), m.id.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
      return absl::InvalidArgumentError(absl::StrCat("mark \"", m.name, "\": bad id \"", m.id, "\""));
    }
    RETURN_IF_ERROR(CheckMarkName(m.name));
    return m;
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not a mark: ", e.what()));
  }
}

absl::StatusOr<std::vector<Mark>> MarksFromJsonText(const std::string& text,
                                                    const std::string& origin) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(origin, " is not JSON"));
  if (doc.is_object() && doc.contains("marks")) doc = doc["marks"];  // `info --json` output too
  if (!doc.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(origin, " is not a JSON list of marks"));
  }
  std::vector<Mark> marks;
  for (const json& entry : doc) {
    absl::StatusOr<Mark> mark = MarkFromJson(entry);
    if (!mark.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(origin, ": ", mark.status().message()));
    }
    marks.push_back(*std::move(mark));
  }
  return marks;
}

absl::StatusOr<std::vector<Mark>> LoadMarksFrom(const std::string& source) {
  std::error_code ec;
  if (fs::is_directory(source, ec)) return MarkStore(source).List();
  if (!fs::exists(source, ec)) {
    return absl::NotFoundError(absl::StrCat(source, ": no such trace, pack or JSON file"));
  }
  // A JSON export starts with '[' or '{'; a pack with zstd's magic number. 64 bytes tell.
  ASSIGN_OR_RETURN(std::string head, ReadFileHead(source, 64));
  size_t first = head.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (head[first] == '[' || head[first] == '{')) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(source));
    return MarksFromJsonText(text, source);
  }
  // Every byte of the pack is checked (its closing digest) before any mark is used.
  absl::StatusOr<std::string> bytes = ReadPackedFile(source, kPackedMarksPath);
  if (absl::IsNotFound(bytes.status())) return std::vector<Mark>{};  // a pack without marks
  if (!bytes.ok()) return bytes.status();
  return ParseMarkFile(*bytes, absl::StrCat(source, ":", kPackedMarksPath));
}

bool SameMarkContent(const Mark& a, const Mark& b) {
  return a.id == b.id && Canonical(a) == Canonical(b);
}

std::string ConflictMarkId(const Mark& mark) {
  return Sha256Hex(absl::StrCat("pyreplay-mark-conflict\n", mark.id, "\n", Canonical(mark)))
      .substr(0, 32);
}

absl::StatusOr<MarksMergeReport> MergeMarksInto(const std::string& trace_dir,
                                                const std::vector<Mark>& incoming) {
  MarkStore store(trace_dir);
  MarksMergeReport report;
  // Conflicts are decided under the store's lock, against the marks as they are then: a mark
  // another process adds meanwhile is compared too, and nothing is lost.
  auto on_conflict = [&](const Mark& local, const Mark& theirs,
                         const std::vector<Mark>& all) -> std::optional<Mark> {
    if (SameMarkContent(local, theirs)) return std::nullopt;
    Mark renamed = theirs;
    renamed.id = ConflictMarkId(theirs);
    MarkConflict conflict{theirs.name, theirs.id, local.author, theirs.author, renamed.id};
    conflict.already_merged = std::any_of(all.begin(), all.end(),
                                          [&](const Mark& m) { return m.id == renamed.id; });
    report.conflicts.push_back(conflict);
    return renamed;
  };
  ASSIGN_OR_RETURN(MergeResult result, store.MergeFrom(incoming, on_conflict));
  report.added = result.added;
  report.unchanged = result.unchanged;
  return report;
}

std::string FormatMergeReport(const MarksMergeReport& report, const std::string& source) {
  std::string out = absl::StrCat("Merged marks from ", source, ": ", report.added, " added, ",
                                 report.unchanged, " already here");
  int fresh = 0;
  for (const MarkConflict& c : report.conflicts) fresh += !c.already_merged;
  if (report.conflicts.empty()) return out + ".\n";
  absl::StrAppend(&out, "; ", report.conflicts.size(), " with the same id but different content",
                  fresh < static_cast<int>(report.conflicts.size()) ? " (some merged before)" : "",
                  ":\n");
  for (const MarkConflict& c : report.conflicts) {
    absl::StrAppend(&out, "  ", c.name, " (id ", c.id.substr(0, 12), "): kept ", c.local_author,
                    "'s version; ", c.incoming_author, "'s version ",
                    c.already_merged ? "was already kept" : "kept too", " as id ",
                    c.incoming_id.substr(0, 12), "\n");
  }
  return out;
}

}  // namespace pyreplay
