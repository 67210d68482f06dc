// python_survey.h: the CPython interpreters on this machine, and what pyreplay can do with each.
//
// `doctor` lists every interpreter it can see (Debian's /usr/bin/python3.*, the python3 on PATH,
// pyenv's and uv's installs) with its version and build as the binary itself reports them (never
// from its file name), where its debug info is, whether it publishes `_Py_DebugOffsets`, and
// which of pyreplay's Python views work on it.
//
//   for (const PythonInstall& python : SurveyPythons(SurveyPlaces::ForThisMachine())) ...
//   PythonInstall one = DescribePython("/usr/bin/python3.11", "given");
#ifndef PYREPLAY_REPLAY_DOCTOR_PYTHON_SURVEY_H_
#define PYREPLAY_REPLAY_DOCTOR_PYTHON_SURVEY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace pyreplay {

// DebugInfo is where gdb would find an ELF file's DWARF.
struct DebugInfo {
  enum Where { kNone, kEmbedded, kBuildIdFile, kDebugLink } where = kNone;
  std::string file;  // the file holding the DWARF ("" for kNone)
};

// FindDebugInfo looks the way gdb does: a `.debug_info` section in `elf` itself, then
// <debug_root>/.build-id/xx/yyyy.debug, then the `.gnu_debuglink` name beside `elf`, in its
// `.debug/` folder and under <debug_root><elf's folder>. A candidate counts only if it has a
// `.debug_info` section of its own.
DebugInfo FindDebugInfo(const std::string& elf, const std::string& debug_root = "/usr/lib/debug");

// DebugOffsetsVersion is the Py_Version (e.g. 0x030d00f0) in the `_Py_DebugOffsets` table that
// CPython 3.13+ places at the start of `_PyRuntime` (section `.PyRuntime`, cookie "xdebugpy"),
// or 0 when `elf` has none.
uint64_t DebugOffsetsVersion(const std::string& elf);

// What pyreplay's Python views need, and whether this interpreter provides it.
struct PythonCapabilities {
  bool stacks = false;      // pyr bt, thread names, the timeline's labels
  bool deep_index = false;  // pyreplay index --deep
  bool stepping = false;    // pyr step / next-line / rnext ...
  std::string how;          // where the layout comes from, or why nothing works
  std::string fix;          // what to do when nothing works, or ""
};

struct PythonInstall {
  std::string path;              // as found
  std::string found_by;          // "/usr/bin", "PATH", "pyenv", "uv", "given"
  bool ran = false;              // it answered the version probe
  std::string executable;        // sys.executable, resolved
  std::string version;           // "3.11.7", from the running binary
  int major = 0, minor = 0;
  bool free_threaded = false;    // Py_GIL_DISABLED
  bool debug_build = false;      // Py_DEBUG ("d" ABI flag)
  std::string interpreter_elf;   // the ELF holding _PyRuntime: libpython when shared, else the exe
  DebugInfo debug_info;          // of interpreter_elf
  uint64_t debug_offsets = 0;    // DebugOffsetsVersion(interpreter_elf)
  bool debian = false;           // installed by a Debian package (under /usr/bin)
  PythonCapabilities works;
};

// CapabilitiesOf decides what works from the facts above (no I/O; tested on its own).
PythonCapabilities CapabilitiesOf(const PythonInstall& python);

// DescribePython runs `path` once (a short probe script) and reads its ELF files.
PythonInstall DescribePython(const std::string& path, const std::string& found_by);

// Where SurveyPythons looks; tests point these at folders of their own.
struct SurveyPlaces {
  std::vector<std::string> system_dirs;   // /usr/bin, /usr/local/bin: python3.N, python3.Nt
  std::string path_env;                   // $PATH: its first python3
  std::vector<std::string> pyenv_roots;   // <root>/versions/*/bin/python3
  std::vector<std::string> uv_roots;      // <root>/*/bin/python3
  static SurveyPlaces ForThisMachine();
};

// SurveyPythons finds the interpreters, describes each, and drops duplicates (the same
// resolved executable reached twice, e.g. a pyenv shim on PATH and pyenv's own folder).
std::vector<PythonInstall> SurveyPythons(const SurveyPlaces& places);

// SummaryLine is the doctor's one line about `python`.
std::string SummaryLine(const PythonInstall& python);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_DOCTOR_PYTHON_SURVEY_H_
