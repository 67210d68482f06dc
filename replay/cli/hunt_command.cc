// `pyreplay hunt`: record under chaos scheduling until the program fails; keep that trace.
#include <unistd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "replay/cli/command.h"
#include "replay/common/human_size.h"
#include "replay/common/interrupt_guard.h"
#include "replay/common/terminal.h"
#include "replay/hunt/hunter.h"

namespace pyreplay::cli {
namespace {

inline constexpr int kExitNoneFailed = 1;
// The machine stopped the hunt or never let it start (rr missing or failing, disk full).
inline constexpr int kExitStoppedEarly = 3;
inline constexpr int kExitInterrupted = 130;  // Ctrl-C with nothing caught

struct HuntOptions {
  std::vector<std::string> command;
  std::string output;
  std::string name;
  std::string until;
  std::string pmu = "auto";
  int tries = 100;
  int jobs = 1;
  double min_free_mib = -1;
  bool no_deep = false;
};

std::string Describe(const ExitStatus& status) {
  if (status.signal != 0) return absl::StrFormat("killed by signal %d", status.signal);
  return absl::StrFormat("exit status %d", status.code);
}

std::string ProgressLine(const HuntProgress& p) {
  std::string line = absl::StrFormat(
      "hunt: %d/%d tries, %d running, %d failed (%.0f%%), %.1f runs/min, %.0fs", p.finished,
      p.tries, p.running, p.failures, 100 * p.FailureRate(), p.RunsPerMinute(),
      absl::ToDoubleSeconds(p.elapsed));
  if (p.caught_at > 0) {
    absl::StrAppend(&line, "; caught try ", p.caught_at, ", looking for a passing run to compare");
  }
  return line;
}

// ShowProgress redraws one status line on a terminal; elsewhere it logs one line per try.
void ShowProgress(const HuntProgress& progress, const TryResult* finished, bool tty) {
  if (tty) {
    fprintf(stderr, "\r\033[K%s", ProgressLine(progress).c_str());
  } else if (finished != nullptr) {
    fprintf(stderr, "pyreplay: try %d %s (%s, %.1fs); %s\n", finished->number,
            finished->failed ? "FAILED" : "passed", Describe(finished->status).c_str(),
            absl::ToDoubleSeconds(finished->duration), ProgressLine(progress).c_str());
  }
  fflush(stderr);
}

void PrintOutputTail(const std::string& output) {
  std::vector<absl::string_view> lines =
      absl::StrSplit(absl::StripTrailingAsciiWhitespace(output), '\n');
  size_t first = lines.size() > 5 ? lines.size() - 5 : 0;
  if (lines.empty() || (lines.size() == 1 && lines[0].empty())) return;
  printf("  its output ended with:\n");
  for (size_t i = first; i < lines.size(); ++i) printf("    | %s\n", std::string(lines[i]).c_str());
}

int PrintSummary(const HuntRequest& request, const HuntResult& result) {
  Style style(stdout);
  const HuntProgress& p = result.progress;
  std::string counts = absl::StrFormat("%d tries, %d failed, %.1f runs/min", p.finished,
                                       p.failures, p.RunsPerMinute());
  int code = kExitNoneFailed;
  switch (result.stop) {
    case HuntStop::kCaught:
      printf("%s on try %d (%s; %s)\n", style.Good("pyreplay: caught a failing run").c_str(),
             result.failing->number, Describe(result.failing->status).c_str(), counts.c_str());
      code = kExitOk;
      break;
    case HuntStop::kExhausted:
      printf("%s in %d tries (%s): every run passed under chaos scheduling (until: %s).\n",
             style.Warn("pyreplay: no failing run").c_str(), request.tries, counts.c_str(),
             request.until.text().c_str());
      printf("  try more runs (--tries %d), or another --until condition\n", request.tries * 10);
      code = kExitNoneFailed;
      break;
    case HuntStop::kInterrupted:
      printf("pyreplay: interrupted (%s); no failing run caught\n", counts.c_str());
      code = kExitInterrupted;
      break;
    case HuntStop::kDiskFull:
    case HuntStop::kError:
      fprintf(stderr, "pyreplay: %s stopped the hunt: %s (%s)\n", style.Error("error:").c_str(),
              result.reason.c_str(), counts.c_str());
      if (result.failing) {
        // What was caught before it stopped is kept, and is what the user came for.
        printf("%s on try %d (%s; %s)\n", style.Good("pyreplay: caught a failing run").c_str(),
               result.failing->number, Describe(result.failing->status).c_str(), counts.c_str());
      }
      code = result.failing ? kExitOk : kExitStoppedEarly;
      break;
  }
  if (result.interrupted && result.failing) {
    printf("  interrupted: the kept traces are not indexed yet; the first `pyreplay events` or "
           "`replay` indexes them\n");
  }
  if (result.failing) {
    printf("  failing trace: %s (%s%s)\n", result.failing->trace_dir.c_str(),
           result.indexed ? "indexed" : "not indexed yet",
           result.deep_indexed ? ", with Python stacks" : "");
    PrintOutputTail(result.failing->output);
  }
  if (result.passing) {
    printf("  passing trace: %s (kept for comparison)\n", result.passing->trace_dir.c_str());
  } else if (result.failing) {
    printf("  no passing run to compare with: every try failed\n");
  }
  printf("  %d other trace%s deleted\n", result.deleted, result.deleted == 1 ? "" : "s");
  if (!result.keep_warning.empty()) {
    fprintf(stderr, "pyreplay: warning: %s\n", result.keep_warning.c_str());
  }
  if (!result.index_warning.empty()) {
    fprintf(stderr, "pyreplay: warning: %s\n", result.index_warning.c_str());
  }
  if (result.failing) {
    printf("next:\n");
    if (result.passing) {
      printf("  pyreplay diff %s %s\n", result.passing->trace_dir.c_str(),
             result.failing->trace_dir.c_str());
    } else {
      printf("  (no run passed yet: record one with `pyreplay record --chaos -- ...` to diff)\n");
    }
    printf("  pyreplay replay %s --autopilot   # the failure again, without gdb\n",
           result.failing->trace_dir.c_str());
    printf("  pyreplay events %s\n", result.failing->trace_dir.c_str());
    printf("  pyreplay replay %s\n", result.failing->trace_dir.c_str());
  }
  return code;
}

int RunHunt(const HuntOptions& options) {
  HuntRequest request;
  request.command = options.command;
  request.output_root = options.output;
  request.name = options.name;
  request.tries = options.tries;
  request.jobs = options.jobs;
  request.deep = !options.no_deep;
  if (options.min_free_mib >= 0) {
    request.min_free_bytes = static_cast<int64_t>(options.min_free_mib * (1 << 20));
  }
  absl::StatusOr<HuntCondition> until = ParseHuntCondition(options.until);
  if (!until.ok()) return ReportError(until.status());
  request.until = *until;
  absl::StatusOr<PmuChoice> pmu = ParsePmuChoice(options.pmu);
  if (!pmu.ok()) return ReportError(pmu.status());
  request.pmu = *pmu;
  if (absl::Status valid = ValidateHuntRequest(request); !valid.ok()) {
    // A bad request is usage (2); a machine that cannot record at all (no rr) is not.
    int code = ReportError(valid);
    return absl::IsInvalidArgument(valid) ? code : kExitStoppedEarly;
  }

  bool tty = isatty(STDERR_FILENO) != 0;
  PrintNote(absl::StrFormat("hunting: up to %d chaos recordings, %d at a time, until %s; Ctrl-C "
                            "stops and keeps what was caught",
                            request.tries, request.jobs, request.until.text()));
  absl::StatusOr<HuntResult> result;
  {
    InterruptGuard interrupt;  // Ctrl-C stops the hunt and keeps what was caught
    HuntCallbacks callbacks;
    callbacks.on_progress = [tty](const HuntProgress& p, const TryResult* r) {
      ShowProgress(p, r, tty);
    };
    callbacks.should_stop = [&interrupt] { return interrupt.interrupted(); };
    callbacks.on_abandoned_removed = [](const AbandonedTries& swept) {
      PrintNote(absl::StrFormat(
          "removed %d unfinished try folder%s (%s) left by a hunt that was killed", swept.folders,
          swept.folders == 1 ? "" : "s", HumanSize(swept.bytes)));
    };
    result = Hunt(request, callbacks);
  }
  if (tty) fprintf(stderr, "\r\033[K");
  if (!result.ok()) return ReportError(result.status());
  return PrintSummary(request, *result);
}

RegisterCommand kHunt({"hunt", "Record under chaos scheduling until the program fails", 15,
                       [](CLI::App* app) {
  auto options = std::make_shared<HuntOptions>();
  app->footer(
      "Records PROGRAM again and again with rr's chaos scheduling until a run fails, keeps that\n"
      "trace (indexed) and one passing trace, and deletes every other trace it made.\n"
      "  pyreplay hunt -- /usr/bin/python3.11 scripts/sessions/race.py\n"
      "  pyreplay hunt --tries 200 --jobs 2 -o /tmp/hunt -- /usr/bin/python3.11 flaky.py\n"
      "  pyreplay hunt --until 'output~Traceback' -- /usr/bin/python3.11 server_test.py\n"
      "--until: exit!=0, exit==N, signal, output~REGEX (default: non-zero exit or fatal signal).\n"
      "Exit status: 0 a failing run was caught, 1 none failed in N tries, 2 bad usage,\n"
      "3 this machine stopped the hunt with nothing caught (rr missing or failing, disk full),\n"
      "130 interrupted with nothing caught (Ctrl-C after a catch keeps it and exits 0).");
  app->add_option("--tries", options->tries, "Give up after this many runs (default 100)");
  app->add_option("-j,--jobs", options->jobs, "Recordings at once (default 1)");
  app->add_option("--until", options->until,
                  "What counts as failing: exit!=0, exit==N, signal, output~REGEX");
  app->add_option("-o,--output", options->output, "Folder for the traces (default: traces/)");
  app->add_option("--name", options->name, "Trace name prefix (default: the script's name)");
  app->add_option("--pmu", options->pmu, "auto, on or off (see `pyreplay record`)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app->add_option("--min-free", options->min_free_mib,
                  "Stop when less than this many MiB are free (default: the largest trace)");
  app->add_flag("--no-deep", options->no_deep,
                "Do not build the deep index (Python stacks) of the kept traces");
  app->add_option("command", options->command, "The program and its arguments (after --)");
  return [options] { return RunHunt(*options); };
}});

}  // namespace
}  // namespace pyreplay::cli
