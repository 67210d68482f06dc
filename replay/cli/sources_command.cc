// `pyreplay sources`: fetch the CPython C sources matching the recorded interpreter, so `list`
// in a replay shows Python/thread_pthread.h and Modules/socketmodule.c.
#include <cstdio>
#include <memory>
#include <string>

#include "replay/cli/command.h"
#include "replay/sources/cpython_sources.h"

namespace pyreplay::cli {
namespace {

RegisterCommand kSources({"sources", "Fetch the CPython C sources of the recorded interpreter", 60,
                          [](CLI::App* app) {
  auto request = std::make_shared<FetchRequest>();
  app->footer(
      "Fetches Debian's source package of the interpreter (apt-get source, Debian's patches\n"
      "applied) into $XDG_CACHE_HOME/pyreplay/cpython (default ~/.cache/pyreplay/cpython).\n"
      "Run again: nothing is downloaded twice. `pyreplay replay` then points gdb at them.\n"
      "  pyreplay sources\n"
      "  sudo pyreplay sources --add-deb-src     # when apt has no deb-src entry\n"
      "  pyreplay sources --python /usr/bin/python3.11");
  app->add_option("--python", request->python, "The recorded interpreter")
      ->capture_default_str();
  app->add_flag("--add-deb-src", request->add_deb_src,
                "When apt has no deb-src entry, write one mirroring the Debian entries (root)");
  app->add_option("--cache", request->cache_root, "The cache folder (default: the per-user cache)");
  return [request] {
    absl::StatusOr<FetchResult> fetched =
        FetchCpythonSources(*request, [](const std::string& note) { PrintNote(note); });
    if (!fetched.ok()) return ReportError(fetched.status());
    const CpythonSources& sources = fetched->sources;
    std::string nearest;
    if (sources.used_version != sources.wanted_version) {
      nearest = " (nearest to the installed " + sources.wanted_version + ")";
    }
    printf("CPython sources of %s %s%s%s: %s\n", sources.source_package.c_str(),
           sources.used_version.c_str(), nearest.c_str(),
           fetched->downloaded ? "" : ", already cached, nothing downloaded",
           sources.source_dir.c_str());
    printf("`pyreplay replay` shows them in gdb: try `list PyThread_start_new_thread`.\n");
    return kExitOk;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
