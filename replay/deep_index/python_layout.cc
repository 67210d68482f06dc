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
#include "replay/common/elf_symbols.h"
#include "replay/common/install_layout.h"
#include "replay/common/status_macros.h"
#include "replay/common/subprocess.h"
#include "replay/pack/debug_bundle.h"
#include "replay/pyframes/interpreter_layout.h"
#include "replay/trace/mapped_files.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

// Bump when the layout dict gains fields, so old cache files are not used.
constexpr int kCacheVersion = 1;
constexpr char kErrorPrefix[] = "pyreplay-layout: error: ";

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

// RuntimeFile is the file that holds the recorded interpreter's runtime and Py_Version: the
// executable, else the first libpython3.X.so the program mapped. {readable, mapped} paths.
std::pair<std::string, std::string> RuntimeFile(const std::string& executable,
                                                const std::string& mapped_executable,
                                                const std::string& trace_dir) {
  if (ReadPythonVersion(executable).ok()) return {executable, mapped_executable};
  if (absl::StatusOr<std::vector<MappedFile>> maps = ReadMappedFiles(trace_dir); maps.ok()) {
    for (const MappedFile& m : *maps) {
      std::string name = fs::path(m.mapped_path).filename().string();
      if (m.file_offset == 0 && absl::StartsWith(name, "libpython3.") &&
          ReadPythonVersion(m.readable_path).ok()) {
        return {m.readable_path, m.mapped_path};
      }
    }
  }
  return {executable, mapped_executable};
}

std::string LayoutCachePath(const std::string& build_id) {
  std::string dir = CacheDir();
  return dir.empty() ? "" : absl::StrCat(dir, "/", build_id, ".json");
}

std::string MinorText(uint32_t v) { return absl::StrCat(v >> 24, ".", (v >> 16) & 0xff); }

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
                                              const std::string& trace_dir,
                                              const std::string& mapped_executable) {
  const auto [file, mapped] = RuntimeFile(executable, mapped_executable, trace_dir);
  absl::StatusOr<uint32_t> version = ReadPythonVersion(file);
  if (!version.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the recorded program (", executable, ") has no CPython runtime symbols (Py_Version), "
        "nor does a libpython it maps: it is not CPython 3.11 or later"));
  }
  absl::StatusOr<ElfSymbols> elf = ReadDynamicSymbols(file, {});
  const bool pie = elf.ok() && elf->position_independent;
  if (MinorVersion(*version) >= 13) {
    ASSIGN_OR_RETURN(RuntimeLayout rt, LayoutFromDebugOffsets(file));
    PythonLayout out;
    out.layout = rt.layout;
    out.interpreters_head = rt.interpreters_head;
    out.runtime_file = mapped;
    out.position_independent = pie;
    out.source = "_Py_DebugOffsets";
    return out;
  }
  if (MinorVersion(*version) != 11) {
    // 3.12: no table and no build here to check one against; its debug info would do (gdb).
    return absl::FailedPreconditionError(absl::StrCat(
        "this trace runs Python ", MinorText(*version), "; the deep index reads CPython "
        "3.11 and 3.13 or later"));
  }
  auto finish = [&](PythonLayout layout, const char* source) {
    layout.layout.python_version = *version;
    layout.runtime_file = mapped;
    layout.position_independent = pie;
    layout.source = source;
    return layout;
  };
  if (absl::StatusOr<std::string> text = ReadCachedLayoutDocument(file); text.ok()) {
    ASSIGN_OR_RETURN(PythonLayout cached, ParseLayout(*text, file));
    cached.from_cache = true;
    return finish(cached, "debug info");
  }
  absl::StatusOr<std::string> answer = AskGdb(file, trace_dir);
  if (!answer.ok()) {
    // No gdb, or no debug info for this build: the known 3.11 table, from the file alone.
    absl::StatusOr<RuntimeLayout> rt = LayoutWithoutDebugInfo(file);
    if (!rt.ok()) return answer.status();
    PythonLayout out;
    out.layout = rt->layout;
    out.interpreters_head = rt->interpreters_head;
    return finish(out, "3.11 table");
  }
  nlohmann::json doc = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InternalError(absl::StrCat("gdb printed a malformed layout for ", file));
  }
  doc["version"] = kCacheVersion;
  ASSIGN_OR_RETURN(PythonLayout layout, ParseLayout(doc.dump(), file));
  // Best effort: without the cache, the next pass asks gdb again.
  (void)CacheLayoutDocument(file, *answer);
  return finish(layout, "debug info");
}

}  // namespace pyreplay
