#include "replay/sources/debian_version.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace pyreplay {
namespace {

struct Parts {
  long epoch = 0;
  absl::string_view upstream;
  absl::string_view revision;
};

Parts Split(absl::string_view v) {
  Parts parts;
  size_t colon = v.find(':');
  if (colon != absl::string_view::npos) {
    long epoch = 0;
    if (absl::SimpleAtoi(v.substr(0, colon), &epoch)) parts.epoch = epoch;
    v.remove_prefix(colon + 1);
  }
  size_t dash = v.rfind('-');
  if (dash != absl::string_view::npos) {
    parts.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  parts.upstream = v;
  return parts;
}

// Order of a character in the non-digit parts: '~' sorts before everything, even the end;
// letters sort before non-letters.
int CharOrder(char c) {
  if (c == '~') return -1;
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  return c + 256;
}

// VerRevCmp is dpkg's verrevcmp: alternate non-digit and digit runs.
int VerRevCmp(absl::string_view a, absl::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !absl::ascii_isdigit(a[i])) ||
           (j < b.size() && !absl::ascii_isdigit(b[j]))) {
      int ac = i < a.size() && !absl::ascii_isdigit(a[i]) ? CharOrder(a[i]) : 0;
      int bc = j < b.size() && !absl::ascii_isdigit(b[j]) ? CharOrder(b[j]) : 0;
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && absl::ascii_isdigit(a[i]) && j < b.size() &&
           absl::ascii_isdigit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && absl::ascii_isdigit(a[i])) return 1;
    if (j < b.size() && absl::ascii_isdigit(b[j])) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

}  // namespace

int CompareDebianVersions(absl::string_view a, absl::string_view b) {
  Parts pa = Split(a), pb = Split(b);
  if (pa.epoch != pb.epoch) return pa.epoch < pb.epoch ? -1 : 1;
  if (int c = VerRevCmp(pa.upstream, pb.upstream); c != 0) return c;
  return VerRevCmp(pa.revision, pb.revision);
}

std::string UpstreamVersion(absl::string_view version) {
  return std::string(Split(version).upstream);
}

std::optional<std::string> PickNearestVersion(absl::string_view wanted,
                                              const std::vector<std::string>& available) {
  std::string upstream = UpstreamVersion(wanted);
  std::optional<std::string> older, newer;
  for (const std::string& v : available) {
    if (v == wanted) return v;
    if (UpstreamVersion(v) != upstream) continue;
    int c = CompareDebianVersions(v, wanted);
    if (c < 0 && (!older || CompareDebianVersions(v, *older) > 0)) older = v;
    if (c > 0 && (!newer || CompareDebianVersions(v, *newer) < 0)) newer = v;
  }
  if (older) return older;
  return newer;
}

}  // namespace pyreplay
