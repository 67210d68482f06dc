// `pyreplay doctor`: what this machine can do, and what to install or change when it can't.
#include <memory>

#include "nlohmann/json.hpp"
#include "replay/cli/command.h"
#include "replay/common/terminal.h"
#include "replay/doctor/machine_check.h"

namespace pyreplay::cli {
namespace {

const char* LevelName(CheckLevel level) {
  switch (level) {
    case CheckLevel::kOk: return "ok";
    case CheckLevel::kInfo: return "info";
    case CheckLevel::kWarn: return "warn";
    case CheckLevel::kFail: return "FAIL";
  }
  return "?";
}

nlohmann::json PythonToJson(const PythonInstall& p) {
  static const char* kDebugWhere[] = {"none", "embedded", "build-id", "debuglink"};
  return {{"path", p.path},
          {"found_by", p.found_by},
          {"ran", p.ran},
          {"executable", p.executable},
          {"version", p.version},
          {"free_threaded", p.free_threaded},
          {"debug_build", p.debug_build},
          {"interpreter_elf", p.interpreter_elf},
          {"debug_info", {{"where", kDebugWhere[p.debug_info.where]}, {"file", p.debug_info.file}}},
          {"debug_offsets", p.debug_offsets != 0},
          {"works", {{"stacks", p.works.stacks},
                     {"deep_index", p.works.deep_index},
                     {"stepping", p.works.stepping},
                     {"how", p.works.how},
                     {"fix", p.works.fix}}}};
}

void PrintChecks(const std::vector<Check>& checks, bool ok) {
  Style style(stdout);
  for (const Check& check : checks) {
    std::string level = LevelName(check.level);
    std::string tag = check.level == CheckLevel::kFail   ? style.Error(level)
                      : check.level == CheckLevel::kWarn ? style.Warn(level)
                      : check.level == CheckLevel::kOk   ? style.Good(level)
                                                         : style.Accent(level);
    printf("%-6s %-14s %s\n", tag.c_str(), check.name.c_str(), check.detail.c_str());
    if (!check.fix.empty()) printf("       %-14s fix: %s\n", "", check.fix.c_str());
  }
  printf("\n%s\n", ok ? "Recording will work. Next: pyreplay record --session threads"
                      : "Recording will not work until the FAIL lines above are fixed.");
}

RegisterCommand kDoctor({"doctor", "Check what this machine can do (rr, gdb, PMU, the Pythons found)", 90,
                         [](CLI::App* app) {
  auto options = std::make_shared<MachineCheckOptions>();
  auto json = std::make_shared<bool>(false);
  auto no_smoke = std::make_shared<bool>(false);
  app->add_flag("--json", *json, "Print the checks as JSON");
  app->add_flag("--no-smoke", *no_smoke, "Skip recording and replaying /bin/true");
  app->add_option("--python", options->python,
                  "The interpreter the python/debug symbols/py-bt checks are about (default: "
                  "/usr/bin/python3); every CPython found is listed anyway");
  app->footer("Exit status 0 when recording will work; otherwise each FAIL line names its fix.");
  return [options, json, no_smoke] {
    options->smoke_test = !*no_smoke;
    std::vector<PythonInstall> pythons;
    std::vector<Check> checks = CheckMachine(*options, &pythons);
    bool ok = RecordingWillWork(checks);
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const Check& c : checks) {
        out.push_back({{"name", c.name}, {"level", LevelName(c.level)}, {"detail", c.detail},
                       {"fix", c.fix}});
      }
      nlohmann::json found = nlohmann::json::array();
      for (const PythonInstall& p : pythons) found.push_back(PythonToJson(p));
      PrintJson(nlohmann::json{{"ok", ok}, {"checks", out}, {"pythons", found}});
    } else {
      PrintChecks(checks, ok);
    }
    return ok ? kExitOk : kExitError;
  };
}});

}  // namespace
}  // namespace pyreplay::cli
