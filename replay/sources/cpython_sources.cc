#include "replay/sources/cpython_sources.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/status_macros.h"
#include "replay/common/subprocess.h"
#include "replay/sources/apt_sources.h"
#include "replay/sources/debian_version.h"

namespace pyreplay {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

constexpr int kMarkerFormat = 1;
// The unpacked files get this modification time (2000-01-01), older than any installed
// interpreter, so gdb does not warn "Source file is more recent than executable".
constexpr time_t kSourceMtime = 946684800;

// RunApt runs an apt command (optionally inside `dir`, apt-get source's download folder) and
// returns its combined output and status.
struct AptRun {
  ExitStatus status;
  std::string output;
};
absl::StatusOr<AptRun> RunApt(std::vector<std::string> argv, const std::string& dir = "") {
  if (!dir.empty()) argv.insert(argv.begin(), {"env", "-C", dir});
  AptRun run;
  ProcessOptions options;
  options.output = &run.output;
  options.also_stderr = true;
  options.forward_signals = false;
  options.env.emplace_back("LC_ALL", "C");
  options.env.emplace_back("DEBIAN_FRONTEND", "noninteractive");
  ASSIGN_OR_RETURN(run.status, RunProcess(argv, options));
  return run;
}

// LastErrorLines keeps apt's "E:"/"W:"/"Err:" lines and the line after an "Err:", for messages.
std::string AptErrors(absl::string_view output) {
  std::vector<std::string> lines;
  bool after_err = false;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, "E:") || absl::StartsWith(line, "W: Failed") ||
        (after_err && absl::StartsWith(line, "  "))) {
      lines.push_back(std::string(absl::StripAsciiWhitespace(line)));
    }
    after_err = absl::StartsWith(line, "Err:");
  }
  if (lines.size() > 3) lines.resize(3);
  return absl::StrJoin(lines, " | ");
}

bool LooksLikeNoNetwork(absl::string_view output) {
  for (const char* sign : {"Could not connect", "Unable to connect", "Temporary failure resolving",
                           "Could not resolve", "Connection failed", "Connection timed out",
                           "No route to host", "Network is unreachable"}) {
    if (absl::StrContains(output, sign)) return true;
  }
  return false;
}

absl::Status Unreachable(absl::string_view what, absl::string_view output) {
  return absl::UnavailableError(absl::StrCat(
      "cannot reach the Debian package archive (", what, ": ", AptErrors(output),
      "); check the network to the URIs in apt's sources, then run `pyreplay sources` again"));
}

// FileLock holds an exclusive flock for its lifetime: two fetches of one entry wait for each
// other instead of unpacking over each other.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

std::string UnpackedTreeIn(const std::string& entry_dir) {
  std::error_code ec;
  for (const auto& child : fs::directory_iterator(entry_dir, ec)) {
    if (child.is_directory(ec) && fs::exists(child.path() / "Python" / "ceval.c", ec)) {
      return child.path().string();
    }
  }
  return "";
}

void AgeTree(const std::string& tree) {
  std::error_code ec;
  auto when = fs::file_time_type::clock::now();
  // file_time_type's clock is not system_clock in C++20 libstdc++ 12; convert through now().
  auto age = std::chrono::system_clock::now() - std::chrono::system_clock::from_time_t(kSourceMtime);
  when -= std::chrono::duration_cast<fs::file_time_type::duration>(age);
  for (auto it = fs::recursive_directory_iterator(tree, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) fs::last_write_time(it->path(), when, ec);
  }
}

absl::Status WriteMarker(const CpythonSources& sources) {
  json files = json::object();
  for (const char* key : kKeySourceFiles) {
    ASSIGN_OR_RETURN(std::string contents,
                     ReadFileToString((fs::path(sources.source_dir) / key).string()));
    files[key] = {{"size", contents.size()}, {"fnv1a64", KeyFileHash(contents)}};
  }
  json marker = {
      {"format", kMarkerFormat},
      {"source_package", sources.source_package},
      {"wanted_version", sources.wanted_version},
      {"used_version", sources.used_version},
      {"source_dir", fs::path(sources.source_dir).filename().string()},
      {"files", files},
  };
  return WriteFileAtomically((fs::path(sources.entry_dir) / kCompleteMarker).string(),
                             marker.dump(2) + "\n");
}

absl::StatusOr<std::vector<std::string>> AvailableVersions(const std::string& source_package) {
  ASSIGN_OR_RETURN(AptRun run, RunApt({"apt-cache", "showsrc", "--only-source", source_package}));
  return ParseShowsrcVersions(run.output, source_package);
}

}  // namespace

std::string KeyFileHash(absl::string_view contents) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : contents) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return absl::StrFormat("%016x", hash);
}

std::vector<std::string> ParseShowsrcVersions(absl::string_view showsrc,
                                              absl::string_view source_package) {
  std::vector<std::string> versions;
  std::string package;
  for (absl::string_view line : absl::StrSplit(showsrc, '\n')) {
    if (absl::ConsumePrefix(&line, "Package: ")) package = std::string(absl::StripAsciiWhitespace(line));
    if (absl::ConsumePrefix(&line, "Version: ") && package == source_package) {
      std::string version(absl::StripAsciiWhitespace(line));
      if (std::find(versions.begin(), versions.end(), version) == versions.end()) {
        versions.push_back(version);
      }
    }
    if (line.empty()) package.clear();
  }
  return versions;
}

absl::StatusOr<InterpreterPackage> FindInterpreterPackage(const std::string& python) {
  std::error_code ec;
  if (!fs::exists(python, ec)) {
    return absl::NotFoundError(absl::StrCat(
        python, ": no such interpreter; give the python that was recorded with --python"));
  }
  InterpreterPackage package;
  package.python = fs::canonical(python, ec).string();
  if (ec) package.python = python;
  // dpkg knows the path it installed; with merged /usr that may be /bin/... for /usr/bin/...
  std::vector<std::string> candidates = {package.python};
  if (absl::StartsWith(package.python, "/usr/")) candidates.push_back(package.python.substr(4));
  std::string owner;
  for (const std::string& path : candidates) {
    absl::StatusOr<std::string> out = CaptureOutput({"dpkg-query", "-S", path});
    if (!out.ok()) continue;
    // "python3.11-minimal: /usr/bin/python3.11" (or "a, b: path" when several share a folder).
    absl::string_view line = *out;
    line = line.substr(0, line.find('\n'));
    size_t colon = line.find(": ");
    if (colon == absl::string_view::npos) continue;
    owner = std::string(line.substr(0, colon));
    owner = owner.substr(0, owner.find(','));
    owner = owner.substr(0, owner.find(':'));  // drop an architecture qualifier
    break;
  }
  if (owner.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        package.python,
        " is not Debian's interpreter (no Debian package installed it), so there is no Debian "
        "source package to fetch; record with /usr/bin/python3.11 (sudo apt-get install python3.11 "
        "python3.11-dbg) and run `pyreplay sources`, or for your own build, point gdb at its "
        "source tree with `directory /path/to/cpython`"));
  }
  package.binary_package = owner;
  ASSIGN_OR_RETURN(std::string fields,
                   CaptureOutput({"dpkg-query", "-W", "-f=${source:Package}\t${source:Version}",
                                  owner}));
  std::vector<std::string> parts = absl::StrSplit(fields, '\t');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("dpkg gives no source package for ", owner, " (", fields, ")"));
  }
  package.source_package = parts[0];
  package.version = parts[1];
  return package;
}

std::string SourcesCacheRoot() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') return absl::StrCat(xdg, "/pyreplay/cpython");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && *home != 0 ? home : "/tmp", "/.cache/pyreplay/cpython");
}

absl::StatusOr<CpythonSources> CheckCachedSources(const std::string& entry_dir) {
  std::string marker_path = (fs::path(entry_dir) / kCompleteMarker).string();
  std::error_code ec;
  if (!fs::exists(marker_path, ec)) {
    return absl::NotFoundError(absl::StrCat(entry_dir, " has no completed fetch"));
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(marker_path));
  json marker = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!marker.is_object() || marker.value("format", 0) != kMarkerFormat ||
      !marker.contains("files") || !marker["files"].is_object()) {
    return absl::DataLossError(absl::StrCat(marker_path, " is corrupt"));
  }
  CpythonSources sources;
  sources.entry_dir = entry_dir;
  sources.source_package = marker.value("source_package", "");
  sources.wanted_version = marker.value("wanted_version", "");
  sources.used_version = marker.value("used_version", "");
  std::string tree = marker.value("source_dir", "");
  if (tree.empty() || absl::StrContains(tree, "/") || tree == "..") {
    return absl::DataLossError(absl::StrCat(marker_path, " is corrupt (no source_dir)"));
  }
  sources.source_dir = (fs::path(entry_dir) / tree).string();
  for (const char* key : kKeySourceFiles) {
    const json& expected = marker["files"].value(key, json());
    if (!expected.is_object()) {
      return absl::DataLossError(absl::StrCat(marker_path, " does not list ", key));
    }
    absl::StatusOr<std::string> contents =
        ReadFileToString((fs::path(sources.source_dir) / key).string());
    if (!contents.ok()) {
      return absl::DataLossError(absl::StrCat(key, " is missing from ", sources.source_dir));
    }
    if (contents->size() != expected.value("size", size_t{0}) ||
        KeyFileHash(*contents) != expected.value("fnv1a64", "")) {
      return absl::DataLossError(absl::StrCat(key, " in ", sources.source_dir,
                                              " differs from what was unpacked"));
    }
  }
  return sources;
}

absl::StatusOr<CpythonSources> FindCachedSources(const std::string& python,
                                                 const std::string& cache_root) {
  ASSIGN_OR_RETURN(InterpreterPackage package, FindInterpreterPackage(python));
  std::string root = cache_root.empty() ? SourcesCacheRoot() : cache_root;
  absl::StatusOr<CpythonSources> exact = CheckCachedSources((fs::path(root) / package.version).string());
  if (exact.ok()) return exact;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory(ec)) continue;
    absl::StatusOr<CpythonSources> other = CheckCachedSources(entry.path().string());
    if (other.ok() && other->source_package == package.source_package &&
        UpstreamVersion(other->used_version) == UpstreamVersion(package.version)) {
      return other;
    }
  }
  return absl::NotFoundError(absl::StrCat("no CPython sources for ", package.source_package, " ",
                                          package.version, " in ", root,
                                          "; run `pyreplay sources`"));
}

std::vector<std::string> GdbSourceDirectories(const CpythonSources& sources) {
  std::vector<std::string> dirs;
  for (const char* build : {"build-static", "build-shared"}) {
    fs::path dir = fs::path(sources.source_dir) / build;
    std::error_code ec;
    if (fs::is_directory(dir, ec)) dirs.push_back(dir.string());
  }
  dirs.push_back(sources.source_dir);
  return dirs;
}

absl::StatusOr<FetchResult> FetchCpythonSources(
    const FetchRequest& request, const std::function<void(const std::string&)>& note) {
  ASSIGN_OR_RETURN(InterpreterPackage package, FindInterpreterPackage(request.python));
  std::string root = request.cache_root.empty() ? SourcesCacheRoot() : request.cache_root;
  std::string entry_dir = (fs::path(root) / package.version).string();
  std::error_code ec;
  fs::create_directories(entry_dir, ec);
  if (ec) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot create the sources cache ", entry_dir, ": ", ec.message(),
        "; set XDG_CACHE_HOME to a writable folder"));
  }
  FileLock lock(entry_dir + ".lock");

  FetchResult result;
  absl::StatusOr<CpythonSources> cached = CheckCachedSources(entry_dir);
  if (cached.ok()) {
    result.sources = *cached;
    return result;
  }
  if (absl::IsDataLoss(cached.status())) {
    note(absl::StrCat("the cached sources are corrupt (", cached.status().message(),
                      "); fetching them again"));
  }
  fs::remove(fs::path(entry_dir) / kCompleteMarker, ec);

  // apt-get source needs a deb-src entry.
  ASSIGN_OR_RETURN(AptSourceFiles apt_files, FindAptSourceFiles());
  if (!HasDebSrcEntry(apt_files)) {
    if (!request.add_deb_src) {
      return absl::FailedPreconditionError(absl::StrCat(
          "apt has no deb-src entry, which `apt-get source` needs to fetch CPython's source "
          "package; run `pyreplay sources --add-deb-src` as root (it writes ",
          apt_files.parts_dir, kDebSrcFileName,
          " mirroring your Debian entries), or add a `Types: deb-src` entry yourself"));
    }
    ASSIGN_OR_RETURN(std::string written, AddDebSrcEntry(apt_files));
    note(absl::StrCat("added apt's deb-src entries in ", written));
  }

  // The source index: refreshed only when it does not list the version we want.
  ASSIGN_OR_RETURN(std::vector<std::string> available, AvailableVersions(package.source_package));
  if (std::find(available.begin(), available.end(), package.version) == available.end()) {
    if (access(apt_files.lists_dir.c_str(), W_OK) != 0) {
      if (available.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "apt has not downloaded the source index yet (", apt_files.lists_dir,
            " is not writable for apt-get update); run `sudo apt-get update`, then "
            "`pyreplay sources` again"));
      }
    } else {
      note("updating apt's package index (apt-get update)");
      ASSIGN_OR_RETURN(AptRun update, RunApt({"apt-get", "update", "-q"}));
      ASSIGN_OR_RETURN(available, AvailableVersions(package.source_package));
      if (available.empty()) {
        if (LooksLikeNoNetwork(update.output) || !update.status.ok()) {
          return Unreachable("apt-get update", update.output);
        }
        return absl::NotFoundError(absl::StrCat(
            "the package archive has no source package ", package.source_package,
            "; check apt's deb-src entries"));
      }
    }
  }

  // Fetch the exact version, or the nearest one when the archive no longer has it.
  fs::path tree = UnpackedTreeIn(entry_dir);
  std::vector<std::string> remaining = available;
  std::string last_output;
  std::string used;
  for (int attempt = 0; attempt < 6 && used.empty(); ++attempt) {
    std::optional<std::string> pick = PickNearestVersion(package.version, remaining);
    if (!pick) break;
    remaining.erase(std::find(remaining.begin(), remaining.end(), *pick));
    if (!tree.empty()) fs::remove_all(tree, ec);  // dpkg-source will not unpack over it
    ASSIGN_OR_RETURN(AptRun fetch,
                     RunApt({"apt-get", "source", "-q", package.source_package + "=" + *pick},
                            entry_dir));
    last_output = fetch.output;
    tree = UnpackedTreeIn(entry_dir);
    if (fetch.status.ok() && !tree.empty()) {
      used = *pick;
      break;
    }
    if (LooksLikeNoNetwork(fetch.output)) return Unreachable("apt-get source", fetch.output);
  }
  if (used.empty()) {
    if (!last_output.empty() && !absl::StrContains(last_output, "404")) {
      return absl::UnavailableError(absl::StrCat("apt-get source ", package.source_package,
                                                 " failed: ", AptErrors(last_output)));
    }
    return absl::NotFoundError(absl::StrCat(
        "the package archive has no source for ", package.source_package, " ",
        UpstreamVersion(package.version), " (tried ", absl::StrJoin(available, ", "),
        "); the C sources would not match the interpreter"));
  }
  if (used != package.version) {
    note(absl::StrCat(package.source_package, " ", package.version,
                      " is not downloadable; using ", used,
                      " instead (line numbers may differ slightly)"));
  }

  CpythonSources sources;
  sources.entry_dir = entry_dir;
  sources.source_dir = tree.string();
  sources.source_package = package.source_package;
  sources.wanted_version = package.version;
  sources.used_version = used;
  for (const char* build : {"build-static", "build-shared"}) {
    fs::create_directories(tree / build, ec);
  }
  AgeTree(sources.source_dir);
  for (const char* key : kKeySourceFiles) {
    if (!fs::exists(tree / key, ec)) {
      return absl::DataLossError(absl::StrCat("the unpacked source package has no ", key,
                                              " (", sources.source_dir, ")"));
    }
  }
  RETURN_IF_ERROR(WriteMarker(sources));  // last: the entry is complete from here on
  result.sources = sources;
  result.downloaded = true;
  return result;
}

}  // namespace pyreplay
