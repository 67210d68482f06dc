// script_sources.h: copies of the recorded program's own .py files, kept in the trace's sidecar
// (<trace>/pyreplay/sources/), so listings show the code as it was recorded, after the script
// changed or was deleted, and on a colleague's machine (`pack` carries the sidecar). rr keeps
// only mapped files, and Python reads its sources with read(), so rr has no copy of them.
//
// The rule: the main script plus the other .py files in its folder (its sibling modules, such
// as ground_truth.py beside the chapter sessions), not the standard library, bounded in count and
// size. Each copy sits at sources/files/<original absolute path>; manifest.json lists them.
//
//   ASSIGN_OR_RETURN(int copied, CopyScriptSources(trace_dir, {"/usr/bin/python3.11", "app.py"},
//                                                  "/home/me/project"));
//   std::optional<std::string> copy = FindRecordedCopy(trace_dir, "/home/me/project/app.py");
#ifndef PYREPLAY_REPLAY_SOURCES_SCRIPT_SOURCES_H_
#define PYREPLAY_REPLAY_SOURCES_SCRIPT_SOURCES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pyreplay {

struct ScriptSourcesLimits {
  int max_files = 200;
  uint64_t max_file_bytes = 2 << 20;    // larger files are skipped
  uint64_t max_total_bytes = 16 << 20;  // stop copying beyond this
};

// MainScript finds the script in a recorded command line (`python3.11 [options] app.py ...`, or
// `./app.py` run directly), as an absolute path resolved against `cwd`. nullopt for `-c`, `-m`,
// or a program that is not Python.
std::optional<std::string> MainScript(const std::vector<std::string>& command,
                                      const std::string& cwd);

// ScriptSourcesDir is <trace>/pyreplay/sources.
std::string ScriptSourcesDir(const std::string& trace_dir);

// CopyScriptSources copies the main script and the .py files beside it into the sidecar and
// writes manifest.json; returns how many files were copied (0 when there is no script).
absl::StatusOr<int> CopyScriptSources(const std::string& trace_dir,
                                      const std::vector<std::string>& command,
                                      const std::string& cwd,
                                      const ScriptSourcesLimits& limits = {});

// FindRecordedCopy maps a path the program used (absolute, or relative to `cwd` when given)
// to its copy in the trace. nullopt when the trace has no copy of it.
std::optional<std::string> FindRecordedCopy(const std::string& trace_dir, const std::string& path,
                                            const std::string& cwd = "");

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_SOURCES_SCRIPT_SOURCES_H_
