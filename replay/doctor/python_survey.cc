#include "replay/doctor/python_survey.h"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "replay/common/elf_build_id.h"
#include "replay/common/elf_sections.h"
#include "replay/common/subprocess.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

// Runs inside the interpreter being described, so it must read on every CPython (2.7 too: it
// then reports a version pyreplay does not read, instead of failing). The libpython is the one
// the process really mapped: Debian's python3.11 is static although sysconfig names the
// libpython3.11.so it also ships.
constexpr char kProbe[] =
    "import sys, sysconfig, json\n"
    "v = sysconfig.get_config_var\n"
    "print(json.dumps({'version': '%d.%d.%d' % tuple(sys.version_info[:3]),\n"
    "  'free_threaded': bool(v('Py_GIL_DISABLED')), 'debug_build': bool(v('Py_DEBUG')),\n"
    "  'executable': sys.executable,\n"
    "  'libpython': ([l.split()[-1] for l in open('/proc/self/maps') if '/libpython' in l]\n"
    "                + [''])[0]}))\n";

constexpr char kDebugOffsetsCookie[] = "xdebugpy";  // Include/internal/pycore_debug_offsets.h

bool HasDwarf(const std::string& path) {
  absl::StatusOr<std::vector<ElfSection>> sections = ReadElfSections(path);
  if (!sections.ok()) return false;
  const ElfSection* info = FindSection(*sections, ".debug_info");
  return info != nullptr && info->type != SHT_NOBITS && info->size > 0;
}

std::string DebugLinkName(const std::string& elf) {
  absl::StatusOr<std::vector<ElfSection>> sections = ReadElfSections(elf);
  if (!sections.ok()) return "";
  const ElfSection* link = FindSection(*sections, ".gnu_debuglink");
  if (link == nullptr) return "";
  absl::StatusOr<std::string> bytes = ReadSectionBytes(elf, *link, 4096);
  if (!bytes.ok()) return "";
  std::string name(bytes->c_str());  // NUL-terminated, then padding and a CRC
  if (name.empty() || absl::StrContains(name, "/")) return "";
  return name;
}

bool IsElf(const std::string& path) {
  char magic[4] = {};
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  size_t n = fread(magic, 1, sizeof(magic), f);
  fclose(f);
  return n == 4 && memcmp(magic, ELFMAG, SELFMAG) == 0;
}

std::string Resolved(const std::string& path) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  return ec ? path : real.string();
}

// IsVersionedPythonName: python3.N, python3.Nt, python3.Nd (not -config, -dbg-config, ...).
bool IsVersionedPythonName(const std::string& name) {
  absl::string_view rest = name;
  if (!absl::ConsumePrefix(&rest, "python3.")) return false;
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
    ++digits;
  }
  if (digits == 0) return false;
  rest.remove_prefix(digits);
  return rest.empty() || rest == "t" || rest == "d";
}

void AddSorted(const std::string& dir, std::vector<std::pair<std::string, std::string>>* out,
               const std::string& found_by, bool versioned_only) {
  std::error_code ec;
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (versioned_only ? IsVersionedPythonName(name) : name == "python3") {
      names.push_back(e.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) out->push_back({n, found_by});
}

}  // namespace

DebugInfo FindDebugInfo(const std::string& elf, const std::string& debug_root) {
  DebugInfo info;
  if (HasDwarf(elf)) return {DebugInfo::kEmbedded, elf};
  if (absl::StatusOr<std::string> id = ReadBuildId(elf); id.ok()) {
    std::string file = DebugFileForBuildId(debug_root, *id);
    if (!file.empty() && HasDwarf(file)) return {DebugInfo::kBuildIdFile, file};
  }
  if (std::string name = DebugLinkName(elf); !name.empty()) {
    fs::path dir = fs::path(Resolved(elf)).parent_path();
    for (const fs::path& candidate :
         {dir / name, dir / ".debug" / name, fs::path(debug_root + dir.string()) / name}) {
      if (HasDwarf(candidate.string())) return {DebugInfo::kDebugLink, candidate.string()};
    }
  }
  return info;
}

uint64_t DebugOffsetsVersion(const std::string& elf) {
  absl::StatusOr<std::vector<ElfSection>> sections = ReadElfSections(elf);
  if (!sections.ok()) return 0;
  const ElfSection* runtime = FindSection(*sections, ".PyRuntime");
  if (runtime == nullptr) return 0;
  absl::StatusOr<std::string> head = ReadSectionBytes(elf, *runtime, 16);
  if (!head.ok() || head->size() < 16 || head->compare(0, 8, kDebugOffsetsCookie) != 0) return 0;
  uint64_t version = 0;
  memcpy(&version, head->data() + 8, sizeof(version));  // little-endian, like the ELF
  return version;
}

PythonCapabilities CapabilitiesOf(const PythonInstall& python) {
  PythonCapabilities works;
  if (!python.ran) {
    works.how = "it did not run";
    works.fix = absl::StrCat("run `", python.path, " -c 'import sys'` to see why");
    return works;
  }
  if (python.major != 3 || python.minor < 11) {
    works.how = "pyreplay reads CPython 3.11 and later";
    return works;
  }
  if (python.debug_offsets != 0) {
    works.stacks = works.deep_index = works.stepping = true;
    works.how = "layout from _Py_DebugOffsets, no symbols needed";
    if (python.debug_info.where != DebugInfo::kNone) {
      absl::StrAppend(&works.how, " (debug info too: ", python.debug_info.file, ")");
    }
    return works;
  }
  if (python.debug_info.where != DebugInfo::kNone) {
    works.stacks = works.deep_index = works.stepping = true;
    works.how = absl::StrCat("layout from the debug info in ", python.debug_info.file);
    return works;
  }
  works.how = absl::StrCat("CPython ", python.major, ".", python.minor,
                           " has no _Py_DebugOffsets, and no debug info was found for ",
                           python.interpreter_elf);
  works.fix = python.debian
                  ? absl::StrCat("sudo apt-get install python", python.major, ".", python.minor,
                                 "-dbg")
                  : "build it with debug info (-g, not stripped), or use Debian's interpreter "
                    "with its -dbg package";
  return works;
}

PythonInstall DescribePython(const std::string& path, const std::string& found_by) {
  PythonInstall python;
  python.path = path;
  python.found_by = found_by;
  absl::StatusOr<std::string> out = CaptureOutput({path, "-E", "-S", "-c", kProbe});
  nlohmann::json probe =
      out.ok() ? nlohmann::json::parse(*out, nullptr, /*allow_exceptions=*/false) : nullptr;
  if (probe.is_object()) {
    python.ran = true;
    python.version = probe.value("version", "");
    python.free_threaded = probe.value("free_threaded", false);
    python.debug_build = probe.value("debug_build", false);
    python.executable = Resolved(probe.value("executable", path));
    std::vector<std::string> parts = absl::StrSplit(python.version, '.');
    if (parts.size() >= 2) {
      (void)absl::SimpleAtoi(parts[0], &python.major);
      (void)absl::SimpleAtoi(parts[1], &python.minor);
    }
    python.interpreter_elf = python.executable;
    std::string libpython = probe.value("libpython", "");
    if (!libpython.empty() && IsElf(libpython)) python.interpreter_elf = Resolved(libpython);
  } else {
    python.executable = Resolved(path);
    python.interpreter_elf = python.executable;
  }
  python.debian = absl::StartsWith(python.executable, "/usr/bin/");
  python.debug_info = FindDebugInfo(python.interpreter_elf);
  if (python.debug_info.where == DebugInfo::kNone && python.interpreter_elf != python.executable) {
    python.debug_info = FindDebugInfo(python.executable);  // a static part may carry it
  }
  python.debug_offsets = DebugOffsetsVersion(python.interpreter_elf);
  python.works = CapabilitiesOf(python);
  return python;
}

SurveyPlaces SurveyPlaces::ForThisMachine() {
  SurveyPlaces places;
  places.system_dirs = {"/usr/bin", "/usr/local/bin"};
  if (const char* path = getenv("PATH")) places.path_env = path;
  const char* home = getenv("HOME");
  if (const char* root = getenv("PYENV_ROOT"); root && *root) places.pyenv_roots.push_back(root);
  if (home && *home) places.pyenv_roots.push_back(absl::StrCat(home, "/.pyenv"));
  if (const char* dir = getenv("UV_PYTHON_INSTALL_DIR"); dir && *dir) places.uv_roots.push_back(dir);
  if (const char* data = getenv("XDG_DATA_HOME"); data && *data) {
    places.uv_roots.push_back(absl::StrCat(data, "/uv/python"));
  } else if (home && *home) {
    places.uv_roots.push_back(absl::StrCat(home, "/.local/share/uv/python"));
  }
  return places;
}

std::vector<PythonInstall> SurveyPythons(const SurveyPlaces& places) {
  std::vector<std::pair<std::string, std::string>> candidates;  // path, found_by
  for (const std::string& dir : places.system_dirs) {
    AddSorted(dir, &candidates, dir, /*versioned_only=*/true);
  }
  for (absl::string_view dir : absl::StrSplit(places.path_env, ':', absl::SkipEmpty())) {
    std::string python3 = absl::StrCat(dir, "/python3");
    if (access(python3.c_str(), X_OK) == 0) {
      candidates.push_back({python3, "PATH"});
      break;
    }
  }
  for (const std::string& root : places.pyenv_roots) {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(root + "/versions", ec)) {
      AddSorted((e.path() / "bin").string(), &candidates, "pyenv", /*versioned_only=*/false);
    }
  }
  for (const std::string& root : places.uv_roots) {
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
      AddSorted((e.path() / "bin").string(), &candidates, "uv", /*versioned_only=*/false);
    }
  }
  std::vector<PythonInstall> found;
  std::set<std::string> seen;  // resolved executables
  for (const auto& [path, found_by] : candidates) {
    if (seen.count(Resolved(path))) continue;  // a symlink to one already described
    PythonInstall python = DescribePython(path, found_by);
    if (!seen.insert(python.executable).second) continue;
    seen.insert(Resolved(path));
    found.push_back(std::move(python));
  }
  std::sort(found.begin(), found.end(), [](const PythonInstall& a, const PythonInstall& b) {
    return std::make_pair(a.major, a.minor) > std::make_pair(b.major, b.minor);
  });
  return found;
}

std::string SummaryLine(const PythonInstall& python) {
  if (!python.ran) {
    return absl::StrCat(python.path, " (", python.found_by, "): did not run; ", python.works.fix);
  }
  std::string build = python.free_threaded ? ", free-threaded" : "";
  if (python.debug_build) absl::StrAppend(&build, ", debug build");
  std::string line = absl::StrCat(python.executable, " (", python.found_by, "): CPython ",
                                  python.version, build, "; ");
  const char* debug_where[] = {"none", "in the binary", "build-id file", "debuglink"};
  absl::StrAppend(&line, "debug info: ", debug_where[python.debug_info.where],
                  python.debug_info.where == DebugInfo::kNone
                      ? ""
                      : absl::StrCat(" (", python.debug_info.file, ")"),
                  "; _Py_DebugOffsets: ", python.debug_offsets != 0 ? "yes" : "no", "; ");
  std::vector<std::string> yes;
  if (python.works.stacks) yes.push_back("stacks");
  if (python.works.deep_index) yes.push_back("deep index");
  if (python.works.stepping) yes.push_back("stepping");
  if (yes.empty()) {
    absl::StrAppend(&line, "stacks, deep index, stepping: no (", python.works.how, ")");
  } else {
    absl::StrAppend(&line, absl::StrJoin(yes, ", "), ": yes (", python.works.how, ")");
  }
  return line;
}

}  // namespace pyreplay
