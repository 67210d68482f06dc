#include "replay/verify/trace_verify.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "replay/common/atomic_file.h"
#include "replay/common/human_size.h"
#include "replay/common/sealed_file.h"
#include "replay/common/sha256.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_index.h"
#include "replay/index/event_index.h"
#include "replay/marks/mark_store.h"
#include "replay/record/recording_meta.h"
#include "replay/trace/trace_digests.h"
#include "replay/trace/trace_reader.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

void Add(VerifyReport* report, std::string path, std::string verdict, std::string detail = "") {
  if (verdict == "damaged" || verdict == "missing") report->state = VerifyState::kDamaged;
  report->files.push_back({std::move(path), std::move(verdict), std::move(detail)});
}

// CheckSidecar records one sidecar that carries its own seal: absent is fine.
void CheckSidecar(VerifyReport* report, const std::string& trace_dir, const std::string& relative,
                  const std::function<absl::Status(absl::string_view)>& parse) {
  const std::string path = (fs::path(trace_dir) / relative).string();
  absl::StatusOr<std::string> bytes = ReadFileToString(path, /*follow_links=*/false);
  if (absl::IsNotFound(bytes.status())) return;
  if (!bytes.ok()) return Add(report, relative, "damaged", std::string(bytes.status().message()));
  absl::Status parsed = parse(*bytes);
  if (!parsed.ok()) return Add(report, relative, "damaged", std::string(parsed.message()));
  absl::StatusOr<Unsealed> sealed = Unseal(*bytes, path);
  Add(report, relative, sealed.ok() && sealed->sealed ? "ok" : "unverified",
      sealed.ok() && sealed->sealed ? "" : "no checksum (an older pyreplay wrote it)");
}

}  // namespace

std::string VerifyStateName(VerifyState state) {
  switch (state) {
    case VerifyState::kVerified: return "verified";
    case VerifyState::kUnverified: return "unverified";
    case VerifyState::kDamaged: return "damaged";
  }
  return "?";
}

absl::StatusOr<VerifyReport> VerifyTrace(const std::string& trace_dir) {
  // Not a trace at all (no `version`): an error, not a report.
  absl::StatusOr<TraceHeader> header = ReadTraceHeader(trace_dir);
  if (absl::IsNotFound(header.status())) return header.status();
  VerifyReport report;
  report.trace_dir = trace_dir;
  absl::StatusOr<std::optional<TraceDigests>> digests = LoadTraceDigests(trace_dir);
  if (!digests.ok()) {
    Add(&report, "pyreplay/digests", "damaged", std::string(digests.status().message()));
  } else if (!*digests) {
    report.state = VerifyState::kUnverified;
    Add(&report, "pyreplay/digests", "missing",
        "no digests: recorded by plain rr or an older pyreplay, so nothing says its files are "
        "the recorded ones");
    report.state = VerifyState::kUnverified;
  } else {
    report.has_digests = true;
  }
  std::set<std::string> listed;
  if (digests.ok() && *digests) {
    for (const FileDigest& f : (*digests)->files) {
      listed.insert(f.path);
      const std::string path = (fs::path(trace_dir) / f.path).string();
      if (absl::Status link = RefuseLink(path); !link.ok()) {
        Add(&report, f.path, "damaged", std::string(link.message()));
        continue;
      }
      uint64_t size = 0;
      absl::StatusOr<std::string> sha = Sha256OfFile(path, &size);
      if (!sha.ok()) {
        Add(&report, f.path, "missing", std::string(sha.status().message()));
      } else if (size != f.size) {
        report.bytes_hashed += size;
        Add(&report, f.path, "damaged", absl::StrCat(size, " bytes, ", f.size, " when recorded"));
      } else if (*sha != f.sha256) {
        report.bytes_hashed += size;
        Add(&report, f.path, "damaged", "its SHA-256 is not the one recorded");
      } else {
        report.bytes_hashed += size;
        Add(&report, f.path, "ok");
      }
    }
  }
  // Files nobody recorded a digest of.
  std::error_code ec;
  for (fs::recursive_directory_iterator it(trace_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) && !it->is_symlink(entry_ec)) continue;
    std::string relative = fs::relative(it->path(), trace_dir, entry_ec).string();
    if (entry_ec || !IsDigestedPath(relative) || listed.count(relative)) continue;
    Add(&report, relative, report.has_digests ? "extra" : "unverified",
        report.has_digests ? "not there when the trace was recorded" : "");
  }
  // The sidecars that carry their own seal.
  CheckSidecar(&report, trace_dir, "pyreplay/index", [&](absl::string_view) {
    absl::StatusOr<EventIndex> index = LoadIndex(trace_dir);
    return index.ok() || absl::IsFailedPrecondition(index.status()) ? absl::OkStatus()
                                                                     : index.status();
  });
  CheckSidecar(&report, trace_dir, "pyreplay/deep", [&](absl::string_view) {
    return LoadDeepIndex(trace_dir).status();
  });
  for (const char* marks : {"pyreplay/marks", "pyreplay/marks.bak"}) {
    CheckSidecar(&report, trace_dir, marks, [&](absl::string_view bytes) {
      return ParseMarkFile(bytes, (fs::path(trace_dir) / marks).string()).status();
    });
  }
  absl::StatusOr<RecordingMeta> meta = ReadRecordingMeta(trace_dir);
  if (!meta.ok() && !absl::IsNotFound(meta.status())) {
    Add(&report, "pyreplay/meta.json", "damaged", std::string(meta.status().message()));
  }
  return report;
}

std::string FormatVerifyReport(const VerifyReport& report) {
  std::string out;
  size_t ok = 0;
  for (const FileCheck& f : report.files) {
    if (f.verdict == "ok") {
      ++ok;
      continue;
    }
    absl::StrAppendFormat(&out, "%-10s %s%s\n", f.verdict, f.path,
                          f.detail.empty() ? "" : absl::StrCat(": ", f.detail));
  }
  switch (report.state) {
    case VerifyState::kVerified:
      absl::StrAppend(&out, report.trace_dir, ": verified: ", ok, " files (",
                      HumanSize(report.bytes_hashed),
                      ") are exactly what was recorded, and every sidecar's checksum matches\n");
      break;
    case VerifyState::kUnverified:
      absl::StrAppend(&out, report.trace_dir, ": unverified: the trace has no digests (plain rr, "
                      "or recorded by an older pyreplay); its files cannot be checked\n");
      break;
    case VerifyState::kDamaged:
      absl::StrAppend(&out, report.trace_dir, ": damaged: the trace was changed after it was "
                      "recorded (the files above); get the trace again, or record it again\n");
      break;
  }
  return out;
}

nlohmann::json VerifyReportJson(const VerifyReport& report) {
  nlohmann::json files = nlohmann::json::array();
  for (const FileCheck& f : report.files) {
    files.push_back({{"path", f.path}, {"verdict", f.verdict}, {"detail", f.detail}});
  }
  return {{"trace", report.trace_dir},
          {"state", VerifyStateName(report.state)},
          {"digests", report.has_digests},
          {"bytes_hashed", report.bytes_hashed},
          {"files", files}};
}

}  // namespace pyreplay
