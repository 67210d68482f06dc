#include "replay/nopmu/maps_filter.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace pyreplay::nopmu {
namespace {

// The name field of a maps line, or "" when it has none.
std::string_view MappingName(std::string_view line) {
  size_t bracket = line.rfind('[');
  if (bracket == std::string_view::npos) return {};
  return line.substr(bracket);
}

std::string_view AddressRange(std::string_view line) { return line.substr(0, line.find(' ')); }

// A stream over a heap string that frees it on fclose.
struct MemoryCookie {
  std::string text;
  size_t pos = 0;
};

ssize_t CookieRead(void* cookie, char* buf, size_t size) {
  auto* c = static_cast<MemoryCookie*>(cookie);
  size_t n = std::min(size, c->text.size() - c->pos);
  memcpy(buf, c->text.data() + c->pos, n);
  c->pos += n;
  return static_cast<ssize_t>(n);
}

int CookieClose(void* cookie) {
  delete static_cast<MemoryCookie*>(cookie);
  return 0;
}

}  // namespace

bool IsProcMapsPath(const char* path) {
  std::string_view p(path);
  return p.substr(0, 6) == "/proc/" && p.size() > 5 && p.substr(p.size() - 5) == "/maps";
}

std::string MergeVvarLines(const std::string& maps) {
  std::string out;
  out.reserve(maps.size());
  std::string_view rest(maps);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl == std::string_view::npos ? rest.size() : nl + 1);
    rest.remove_prefix(line.size());
    if (MappingName(line).substr(0, 6) == "[vvar]" && !rest.empty()) {
      size_t nl2 = rest.find('\n');
      std::string_view next = rest.substr(0, nl2 == std::string_view::npos ? rest.size() : nl2 + 1);
      std::string_view range = AddressRange(line), next_range = AddressRange(next);
      size_t dash = range.find('-'), next_dash = next_range.find('-');
      if (MappingName(next).substr(0, 13) == "[vvar_vclock]" && dash != std::string_view::npos &&
          next_dash != std::string_view::npos &&
          range.substr(dash + 1) == next_range.substr(0, next_dash)) {
        out.append(range.substr(0, dash + 1));
        out.append(next_range.substr(next_dash + 1));
        out.append(line.substr(range.size()));
        rest.remove_prefix(next.size());
        continue;
      }
    }
    out.append(line);
  }
  return out;
}

FILE* OpenMergedMaps(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return nullptr;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  auto* cookie = new MemoryCookie{MergeVvarLines(text)};
  cookie_io_functions_t io = {CookieRead, nullptr, nullptr, CookieClose};
  FILE* f = fopencookie(cookie, "r", io);
  if (f == nullptr) delete cookie;
  return f;
}

}  // namespace pyreplay::nopmu
