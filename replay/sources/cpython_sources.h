// cpython_sources.h: the CPython C sources that match a recorded interpreter, fetched from
// Debian's source package (with Debian's patches applied) into a per-user cache, so gdb's `list`
// shows Python/thread_pthread.h and Modules/socketmodule.c in a replay.
//
//   ASSIGN_OR_RETURN(FetchResult fetched, FetchCpythonSources({.python = "/usr/bin/python3.11"}));
//   // fetched.sources.source_dir == ~/.cache/pyreplay/cpython/3.11.2-6+deb12u9/python3.11-3.11.2
//
//   // In `pyreplay replay`: where gdb should look, when the sources are there.
//   absl::StatusOr<CpythonSources> cached = FindCachedSources("/usr/bin/python3.11");
//
// Cache layout: <root>/<installed version>/ holds apt-get's downloads (.dsc, .orig.tar.gz,
// .debian.tar.xz), the unpacked tree, and `complete.json`, written last, which names the
// version used and the size and hash of a few key files. An entry without it, or whose key
// files changed, is fetched again (the downloads are reused when intact).
#ifndef PYREPLAY_REPLAY_SOURCES_CPYTHON_SOURCES_H_
#define PYREPLAY_REPLAY_SOURCES_CPYTHON_SOURCES_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/common/debian_python.h"

namespace pyreplay {

inline constexpr char kCompleteMarker[] = "complete.json";

// The files the chapter reads; a cache entry is complete only when they are there, unchanged.
inline constexpr const char* kKeySourceFiles[] = {
    "Python/thread_pthread.h", "Modules/_threadmodule.c", "Modules/socketmodule.c",
    "Modules/socketmodule.h",  "Python/ceval.c",
};

// InterpreterPackage is the Debian package an interpreter binary comes from.
struct InterpreterPackage {
  std::string python;          // the binary, symlinks resolved
  std::string binary_package;  // e.g. python3.11-minimal
  std::string source_package;  // e.g. python3.11
  std::string version;         // the source version, e.g. 3.11.2-6+deb12u9
};

// FindInterpreterPackage asks dpkg which package installed `python`. NotFound for a missing
// file; FailedPrecondition, saying what to do, for an interpreter that is not Debian's.
absl::StatusOr<InterpreterPackage> FindInterpreterPackage(const std::string& python);

// SourcesCacheRoot is $XDG_CACHE_HOME/pyreplay/cpython, else ~/.cache/pyreplay/cpython.
std::string SourcesCacheRoot();

struct CpythonSources {
  std::string entry_dir;       // <root>/<wanted version>
  std::string source_dir;      // the unpacked tree, e.g. <entry_dir>/python3.11-3.11.2
  std::string source_package;  // python3.11
  std::string wanted_version;  // the interpreter's version
  std::string used_version;    // the version fetched (differs when the exact one was missing)
};

// CheckCachedSources verifies one cache entry: NotFound when it has no marker (never fetched
// or interrupted), DataLoss when the marker is unreadable or a key file is missing or changed.
absl::StatusOr<CpythonSources> CheckCachedSources(const std::string& entry_dir);

// FindCachedSources finds a complete cache entry for `python`'s package: the exact version, else
// any complete entry of the same source package and upstream version. NotFound otherwise.
absl::StatusOr<CpythonSources> FindCachedSources(const std::string& python = DebianPython(),
                                                 const std::string& cache_root = "");

// GdbSourceDirectories are the folders for gdb's `directory` command. Debian builds in
// <tree>/build-static, so the debug info names files like ../Python/thread_pthread.h relative
// to it; the folder is created in the cache so that path resolves.
std::vector<std::string> GdbSourceDirectories(const CpythonSources& sources);

// KeyFileHash is the FNV-1a 64-bit hash of a file's bytes, in hex.
std::string KeyFileHash(absl::string_view contents);

// ParseShowsrcVersions returns the versions of `source_package` in `apt-cache showsrc` output.
std::vector<std::string> ParseShowsrcVersions(absl::string_view showsrc,
                                              absl::string_view source_package);

struct FetchRequest {
  std::string python = DebianPython();
  std::string cache_root;    // "" means SourcesCacheRoot()
  bool add_deb_src = false;  // write a deb-src entry when apt has none (needs root)
};

struct FetchResult {
  CpythonSources sources;
  bool downloaded = false;  // false when the cache already had it
};

// FetchCpythonSources makes sure the cache holds the sources for `request.python`, fetching them
// with `apt-get source` when needed. `note` receives one-line messages for the user (the
// version substituted, a corrupt entry being re-fetched, a deb-src entry written). Errors:
// FailedPrecondition for no deb-src entry or not Debian's interpreter, Unavailable when the
// archive cannot be reached, PermissionDenied for what needs root.
absl::StatusOr<FetchResult> FetchCpythonSources(
    const FetchRequest& request, const std::function<void(const std::string&)>& note);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_SOURCES_CPYTHON_SOURCES_H_
