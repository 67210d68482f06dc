#include "replay/sources/apt_sources.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "replay/common/atomic_file.h"
#include "replay/common/subprocess.h"

namespace pyreplay {
namespace fs = std::filesystem;
namespace {

// One deb822 stanza: field name (lower case) -> value (continuation lines joined by spaces).
using Stanza = std::vector<std::pair<std::string, std::string>>;

std::vector<Stanza> ParseDeb822(absl::string_view text) {
  std::vector<Stanza> stanzas;
  Stanza current;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "#")) continue;
    if (absl::StripAsciiWhitespace(line).empty()) {
      if (!current.empty()) stanzas.push_back(std::move(current));
      current.clear();
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t') && !current.empty()) {
      absl::StrAppend(&current.back().second, " ", absl::StripAsciiWhitespace(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    current.emplace_back(absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
                         std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  if (!current.empty()) stanzas.push_back(std::move(current));
  return stanzas;
}

std::string Field(const Stanza& stanza, absl::string_view name) {
  for (const auto& [key, value] : stanza) {
    if (key == name) return value;
  }
  return "";
}

std::vector<std::string> Words(absl::string_view value) {
  return absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

bool Enabled(const Stanza& stanza) {
  return absl::AsciiStrToLower(Field(stanza, "enabled")) != "no";
}

bool IsDebianArchive(absl::string_view uri) {
  return absl::StrContains(uri, "deb.debian.org") ||
         absl::StrContains(uri, "security.debian.org") ||
         absl::StrContains(uri, "snapshot.debian.org") || absl::StrContains(uri, "/debian");
}

// One-line entries: "deb [options] URI SUITE COMPONENT...".
struct OneLine {
  std::string type;
  std::string options;  // inside [...], or ""
  std::vector<std::string> rest;
};

std::vector<OneLine> ParseOneLine(absl::string_view text) {
  std::vector<OneLine> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    OneLine entry;
    size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) continue;
    entry.type = std::string(line.substr(0, space));
    line = absl::StripLeadingAsciiWhitespace(line.substr(space));
    if (absl::StartsWith(line, "[")) {
      size_t close = line.find(']');
      if (close == absl::string_view::npos) continue;
      entry.options = std::string(line.substr(1, close - 1));
      line = line.substr(close + 1);
    }
    entry.rest = Words(line);
    if (entry.rest.size() >= 2) entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<fs::path> SourceFilesIn(const AptSourceFiles& files) {
  std::vector<fs::path> paths;
  std::error_code ec;
  if (!files.list_file.empty() && fs::is_regular_file(files.list_file, ec)) {
    paths.push_back(files.list_file);
  }
  for (const auto& entry : fs::directory_iterator(files.parts_dir, ec)) {
    std::string ext = entry.path().extension().string();
    if (ext == ".list" || ext == ".sources") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace

absl::StatusOr<AptSourceFiles> FindAptSourceFiles() {
  absl::StatusOr<std::string> out = CaptureOutput(
      {"apt-config", "shell", "L", "Dir::Etc::sourcelist/f", "P", "Dir::Etc::sourceparts/d", "S",
       "Dir::State::Lists/d"});
  if (!out.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "cannot ask apt where its sources are (apt-config: ", out.status().message(),
        "); pyreplay sources needs Debian's apt"));
  }
  AptSourceFiles files;
  for (absl::string_view line : absl::StrSplit(*out, '\n')) {
    bool is_list = absl::ConsumePrefix(&line, "L=");
    bool is_parts = !is_list && absl::ConsumePrefix(&line, "P=");
    bool is_lists = !is_list && !is_parts && absl::ConsumePrefix(&line, "S=");
    std::string value(absl::StripPrefix(absl::StripSuffix(line, "'"), "'"));
    if (is_list) files.list_file = value;
    if (is_parts) files.parts_dir = value;
    if (is_lists) files.lists_dir = value;
  }
  return files;
}

bool HasDebSrcEntry(const AptSourceFiles& files) {
  for (const fs::path& path : SourceFilesIn(files)) {
    absl::StatusOr<std::string> text = ReadFileToString(path.string());
    if (!text.ok()) continue;
    if (path.extension() == ".sources") {
      for (const Stanza& stanza : ParseDeb822(*text)) {
        std::vector<std::string> types = Words(Field(stanza, "types"));
        if (Enabled(stanza) && std::find(types.begin(), types.end(), "deb-src") != types.end()) {
          return true;
        }
      }
    } else {
      for (const OneLine& entry : ParseOneLine(*text)) {
        if (entry.type == "deb-src") return true;
      }
    }
  }
  return false;
}

std::string DebSrcStanzas(absl::string_view file_text, bool deb822) {
  std::vector<std::string> out;
  if (deb822) {
    for (const Stanza& stanza : ParseDeb822(file_text)) {
      std::vector<std::string> types = Words(Field(stanza, "types"));
      if (!Enabled(stanza) || std::find(types.begin(), types.end(), "deb") == types.end()) {
        continue;
      }
      std::vector<std::string> uris;
      for (const std::string& uri : Words(Field(stanza, "uris"))) {
        if (IsDebianArchive(uri)) uris.push_back(uri);
      }
      if (uris.empty()) continue;
      std::string text = absl::StrCat("Types: deb-src\nURIs: ", absl::StrJoin(uris, " "), "\n");
      for (const char* name : {"suites", "components", "signed-by"}) {
        std::string value = Field(stanza, name);
        if (value.empty()) continue;
        std::string label = name == std::string("suites")       ? "Suites"
                            : name == std::string("components") ? "Components"
                                                                : "Signed-By";
        absl::StrAppend(&text, label, ": ", value, "\n");
      }
      out.push_back(text);
    }
  } else {
    for (const OneLine& entry : ParseOneLine(file_text)) {
      if (entry.type != "deb" || !IsDebianArchive(entry.rest[0])) continue;
      std::string text = absl::StrCat("Types: deb-src\nURIs: ", entry.rest[0], "\nSuites: ",
                                      entry.rest[1], "\n");
      if (entry.rest.size() > 2) {
        absl::StrAppend(&text, "Components: ",
                        absl::StrJoin(entry.rest.begin() + 2, entry.rest.end(), " "), "\n");
      }
      for (absl::string_view option : Words(entry.options)) {
        if (absl::ConsumePrefix(&option, "signed-by=")) {
          absl::StrAppend(&text, "Signed-By: ", option, "\n");
        }
      }
      out.push_back(text);
    }
  }
  return absl::StrJoin(out, "\n");
}

absl::StatusOr<std::string> AddDebSrcEntry(const AptSourceFiles& files) {
  std::vector<std::string> stanzas;
  for (const fs::path& path : SourceFilesIn(files)) {
    if (path.filename() == kDebSrcFileName) continue;
    absl::StatusOr<std::string> text = ReadFileToString(path.string());
    if (!text.ok()) continue;
    std::string converted = DebSrcStanzas(*text, path.extension() == ".sources");
    if (!converted.empty()) stanzas.push_back(converted);
  }
  if (stanzas.empty()) {
    return absl::NotFoundError(absl::StrCat(
        "apt has no Debian `deb` entry to mirror (looked in ", files.list_file, " and ",
        files.parts_dir, "); add a deb-src entry for deb.debian.org by hand"));
  }
  std::string path = (fs::path(files.parts_dir) / kDebSrcFileName).string();
  if (access(files.parts_dir.c_str(), W_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write ", path, " (permission denied); run `sudo pyreplay sources --add-deb-src`"));
  }
  std::string contents = absl::StrCat(
      "# Written by `pyreplay sources --add-deb-src`: the source packages of this machine's\n"
      "# Debian entries, so `apt-get source` works. Safe to delete.\n\n",
      absl::StrJoin(stanzas, "\n"));
  absl::Status written = WriteFileAtomically(path, contents);
  if (!written.ok()) return written;
  // apt wants its sources world-readable; the temp file may have been created 0600.
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read, ec);
  return path;
}

}  // namespace pyreplay
