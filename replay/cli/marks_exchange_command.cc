// `pyreplay marks TRACE merge SOURCE`, `export --json`, `import FILE --json`: marks travelling
// between colleagues without (or with) the whole trace. Merging is by id and idempotent; the same
// id with different content keeps both versions and says whose they are.
#include "replay/cli/marks_exchange_command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/common/text_escape.h"
#include "replay/common/status_macros.h"
#include "replay/marks/mark_json.h"
#include "replay/pack/marks_exchange.h"
#include "replay/record/replay_launcher.h"

namespace pyreplay::cli {
namespace {

struct ExchangeRequest {
  std::string source;  // merge: trace, pack or JSON file; import: JSON file or "-"
  std::string output;  // export: file ("" = stdout)
  bool json = false;
};

nlohmann::json ReportJson(const MarksMergeReport& report, const std::string& source) {
  nlohmann::json conflicts = nlohmann::json::array();
  for (const MarkConflict& c : report.conflicts) {
    conflicts.push_back({{"name", c.name},
                         {"id", c.id},
                         {"local_author", c.local_author},
                         {"incoming_author", c.incoming_author},
                         {"incoming_id", c.incoming_id},
                         {"already_merged", c.already_merged}});
  }
  return {{"source", source},
          {"added", report.added},
          {"unchanged", report.unchanged},
          {"conflicts", conflicts}};
}

absl::Status Merge(const std::string& trace, const std::vector<Mark>& incoming,
                   const std::string& source, bool json) {
  ASSIGN_OR_RETURN(MarksMergeReport report, MergeMarksInto(trace, incoming));
  if (json) {
    PrintJson(ReportJson(report, source));
  } else {
    PrintText(FormatMergeReport(report, source));
  }
  return absl::OkStatus();
}

absl::Status RunMerge(const std::string& trace, const ExchangeRequest& request) {
  RETURN_IF_ERROR(CheckTraceDir(trace));
  ASSIGN_OR_RETURN(std::vector<Mark> incoming, LoadMarksFrom(request.source));
  return Merge(trace, incoming, request.source, request.json);
}

absl::Status RunExport(const std::string& trace, const ExchangeRequest& request) {
  RETURN_IF_ERROR(CheckTraceDir(trace));
  ASSIGN_OR_RETURN(std::vector<Mark> marks, MarkStore(trace).List());
  std::string text = DumpJson(MarksToJson(marks)) + "\n";
  if (request.output.empty() || request.output == "-") {
    fputs(text.c_str(), stdout);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(WriteFileAtomically(request.output, text));
  fprintf(stderr, "Exported %zu mark(s) of %s to %s.\n", marks.size(), trace.c_str(),
          request.output.c_str());
  return absl::OkStatus();
}

absl::Status RunImport(const std::string& trace, const ExchangeRequest& request) {
  RETURN_IF_ERROR(CheckTraceDir(trace));
  std::string text;
  if (request.source == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    ASSIGN_OR_RETURN(text, ReadFileToString(request.source));
  }
  ASSIGN_OR_RETURN(std::vector<Mark> incoming, MarksFromJsonText(text, request.source));
  return Merge(trace, incoming, request.source, request.json);
}

// MarksOperationUsage is CLI11's formatter with the parent's TRACE in the usage line: CLI11
// 2.1 names only the path of commands ("pyreplay marks merge"), which drops `marks`' own
// positional. The operation's name is the last word of that path.
class MarksOperationUsage : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (size_t last = name.rfind(' '); last != std::string::npos) name.insert(last, " TRACE");
    return CLI::Formatter::make_usage(app, name);
  }
};

}  // namespace

std::shared_ptr<CLI::FormatterBase> MarksOperationFormatter() {
  return std::make_shared<MarksOperationUsage>();
}

CommandRun AddMarksExchangeSubcommands(CLI::App& marks, std::shared_ptr<const std::string> trace) {
  auto merge_request = std::make_shared<ExchangeRequest>();
  CLI::App* merge = marks.add_subcommand(
      "merge", "Merge the marks of another copy of the trace (folder or .pyrtrace)");
  merge->footer(
      "Adds every mark whose id is new here. The same id with the same content changes nothing,\n"
      "so merging twice is harmless. The same id with different content keeps both versions\n"
      "(the incoming one under a new id) and reports both authors.\n"
      "  pyreplay marks traces/bug merge from-bob.pyrtrace\n"
      "  pyreplay marks traces/bug merge ../bob/traces/bug --json");
  merge->add_option("SOURCE", merge_request->source,
                    "A trace folder, a .pyrtrace pack, or a JSON export")->required();
  merge->add_flag("--json", merge_request->json, "Print the merge report as JSON");
  merge->formatter(MarksOperationFormatter());

  auto export_request = std::make_shared<ExchangeRequest>();
  CLI::App* exp = marks.add_subcommand("export", "Write the marks as JSON (for `marks import`)");
  exp->footer(
      "  pyreplay marks traces/bug export --json -o alice-marks.json\n"
      "  pyreplay marks traces/bug export --json | ssh bob pyreplay marks traces/bug import - --json");
  exp->add_flag("--json", export_request->json, "JSON (the only format; accepted for clarity)");
  exp->add_option("-o,--output", export_request->output, "Write to this file (default: stdout)");
  exp->formatter(MarksOperationFormatter());

  auto import_request = std::make_shared<ExchangeRequest>();
  CLI::App* imp = marks.add_subcommand("import", "Merge marks from a JSON export");
  imp->footer(
      "Merges like `marks merge`: by id, idempotent, conflicting versions both kept.\n"
      "  pyreplay marks traces/bug import alice-marks.json --json");
  imp->add_option("FILE", import_request->source, "A JSON export, or - for stdin")->required();
  imp->add_flag("--json", import_request->json, "The input is JSON; print the report as JSON");
  imp->formatter(MarksOperationFormatter());

  return [=]() -> int {
    if (merge->parsed()) return ReportError(RunMerge(*trace, *merge_request));
    if (exp->parsed()) return ReportError(RunExport(*trace, *export_request));
    if (imp->parsed()) return ReportError(RunImport(*trace, *import_request));
    return -1;
  };
}

}  // namespace pyreplay::cli
