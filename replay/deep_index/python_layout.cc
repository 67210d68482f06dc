#include "replay/deep_index/python_layout.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "replay/common/atomic_file.h"
#include "replay/common/elf_build_id.h"
#include "replay/common/install_layout.h"
#include "replay/common/status_macros.h"
#include "replay/common/subprocess.h"
#include "replay/pack/debug_bundle.h"
#include "replay/trace/mapped_files.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

// Bump when the layout dict gains fields, so old cache files are not used.
constexpr int kCacheVersion = 1;
constexpr char kErrorPrefix[] = "pyreplay-layout: error: ";
constexpr char kSupportedPython[] = "3.11";

std::string CacheDir() {
  if (const char* xdg = getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return absl::StrCat(xdg, "/pyreplay/layouts");
  }
  if (const char* home = getenv("HOME"); home != nullptr && home[0] == '/') {
    return absl::StrCat(home, "/.cache/pyreplay/layouts");
  }
  return "";
}

absl::StatusOr<PythonLayout> ParseLayout(const std::string& text, const std::string& origin) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || doc.value("version", 0) != kCacheVersion ||
      !doc.contains("layout") || !doc["layout"].is_object() ||
      !doc.contains("interpreters_head") || !doc["interpreters_head"].is_number_unsigned()) {
    return absl::DataLossError(absl::StrCat(origin, " is not a pyreplay layout file"));
  }
  PythonLayout out;
  for (const auto& [key, value] : doc["layout"].items()) {
    if (!value.is_number_unsigned()) {
      return absl::DataLossError(absl::StrCat(origin, ": layout field ", key, " is no number"));
    }
    RETURN_IF_ERROR(SetLayoutField(&out.layout, key, value.get<uint64_t>()));
  }
  RETURN_IF_ERROR(out.layout.Validate());
  out.interpreters_head = doc["interpreters_head"].get<uint64_t>();
  return out;
}

// AskGdb runs gdb on the binary, without a process, and has the gdb layer print the layout.
absl::StatusOr<std::string> AskGdb(const std::string& executable, const std::string& trace_dir) {
  ASSIGN_OR_RETURN(InstallLayout install, FindInstallLayout());
  if (!FindOnPath("gdb").ok()) {
    return absl::NotFoundError(
        "gdb is not installed or not on PATH; the deep index needs it once per Python build to "
        "read CPython's debug info: `sudo apt-get install gdb`");
  }
  std::string script = absl::StrCat(
      "python import sys; sys.path.insert(0, ", nlohmann::json(install.plugin_dir).dump(),
      "); from pyreplay_gdb import layout_dump; layout_dump.main()");
  std::string output;
  ProcessOptions options;
  options.output = &output;
  options.also_stderr = true;
  options.env = {{"PYREPLAY_PLUGIN_DIR", install.plugin_dir}};
  std::vector<std::string> argv = {"gdb", "-nx", "-batch", "-iex", "set debuginfod enabled off"};
  for (std::string& arg : GdbDebugArguments(trace_dir)) argv.push_back(std::move(arg));
  argv.insert(argv.end(), {"-ex", script, executable});
  ASSIGN_OR_RETURN(ExitStatus status, RunProcess(argv, options));
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (absl::StartsWith(line, kErrorPrefix)) {
      return absl::FailedPreconditionError(line.substr(strlen(kErrorPrefix)));
    }
    if (absl::StartsWith(line, "{")) return std::string(line);
  }
  return absl::InternalError(absl::StrCat("gdb could not read CPython's layout from ", executable,
                                          " (exit ", status.ShellCode(), "): ", output));
}

// VersionAfter is "3.12" when `name` goes on with "3.12" after `prefix` ("libpython3.12d.so.1.0",
// "python3.12"), else "".
std::string VersionAfter(absl::string_view name, absl::string_view prefix) {
  if (!absl::ConsumePrefix(&name, prefix)) return "";
  size_t dot = name.find('.');
  if (dot == 0 || dot == absl::string_view::npos) return "";
  size_t end = dot + 1;
  while (end < name.size() && absl::ascii_isdigit(name[end])) ++end;
  absl::string_view major = name.substr(0, dot);
  absl::string_view minor = name.substr(dot + 1, end - dot - 1);
  for (char c : major) {
    if (!absl::ascii_isdigit(c)) return "";
  }
  return minor.empty() ? "" : absl::StrCat(major, ".", minor);
}

// RecordedPythonVersion is the CPython version the trace's program runs, as far as its files
// tell without gdb: the executable's name (python3.X; the trace's copy keeps it as a suffix),
// else the libpython3.X.so that a shared-library build maps (its _PyRuntime and Py_Version live
// there, out of reach of gdb on the executable alone). "" when neither says.
std::string RecordedPythonVersion(const std::string& executable, const std::string& trace_dir) {
  std::string name = fs::path(executable).filename().string();
  if (size_t at = name.rfind("python"); at != std::string::npos) {
    std::string version = VersionAfter(absl::string_view(name).substr(at), "python");
    if (!version.empty()) return version;
  }
  if (absl::StatusOr<std::vector<MappedFile>> maps = ReadMappedFiles(trace_dir); maps.ok()) {
    for (const MappedFile& m : *maps) {
      std::string version = VersionAfter(fs::path(m.mapped_path).filename().string(), "libpython");
      if (!version.empty()) return version;
    }
  }
  return "";
}

std::string LayoutCachePath(const std::string& build_id) {
  std::string dir = CacheDir();
  return dir.empty() ? "" : absl::StrCat(dir, "/", build_id, ".json");
}

}  // namespace

absl::StatusOr<std::string> ReadCachedLayoutDocument(const std::string& executable) {
  ASSIGN_OR_RETURN(std::string build_id, ReadBuildId(executable));
  std::string cache = LayoutCachePath(build_id);
  if (cache.empty()) return absl::NotFoundError("no cache folder ($HOME and $XDG_CACHE_HOME unset)");
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(cache));
  // A damaged cache file is only a cache: the caller asks gdb again and replaces it.
  RETURN_IF_ERROR(ParseLayout(text, cache).status());
  return text;
}

absl::Status CacheLayoutDocument(const std::string& executable, const std::string& answer) {
  nlohmann::json doc = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed layout for ", executable));
  }
  doc["version"] = kCacheVersion;
  doc["executable"] = executable;
  std::string text = doc.dump();
  RETURN_IF_ERROR(ParseLayout(text, executable).status());
  ASSIGN_OR_RETURN(std::string build_id, ReadBuildId(executable));
  std::string cache = LayoutCachePath(build_id);
  if (cache.empty()) return absl::OkStatus();
  std::error_code ec;
  fs::create_directories(fs::path(cache).parent_path(), ec);
  return WriteFileAtomically(cache, text);
}

absl::StatusOr<PythonLayout> LoadPythonLayout(const std::string& executable,
                                              const std::string& trace_dir) {
  if (absl::StatusOr<std::string> text = ReadCachedLayoutDocument(executable); text.ok()) {
    ASSIGN_OR_RETURN(PythonLayout cached, ParseLayout(*text, executable));
    cached.from_cache = true;
    return cached;
  }
  // Another CPython gets its own message, not gdb's missing symbols (in a shared-library build
  // they are in libpython, which gdb does not load without a process).
  if (std::string version = RecordedPythonVersion(executable, trace_dir);
      !version.empty() && version != kSupportedPython) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this trace runs Python ", version, "; the deep index supports CPython ",
        kSupportedPython, " only (record with /usr/bin/python", kSupportedPython, ")"));
  }
  ASSIGN_OR_RETURN(std::string answer, AskGdb(executable, trace_dir));
  nlohmann::json doc = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InternalError(absl::StrCat("gdb printed a malformed layout for ", executable));
  }
  doc["version"] = kCacheVersion;
  ASSIGN_OR_RETURN(PythonLayout layout, ParseLayout(doc.dump(), executable));
  // Best effort: without the cache, the next pass asks gdb again.
  (void)CacheLayoutDocument(executable, answer);
  return layout;
}

}  // namespace pyreplay
