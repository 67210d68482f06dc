// nopmu_preload.cc: lets rr 5.6.0 record and replay on a machine without a hardware PMU.
//
// Loaded with LD_PRELOAD into the *rr process* (never into the tracee). rr counts "ticks" (retired
// conditional branches) with hardware perf counters; in VMs and CI there are none, and rr stops with
// "Unable to open performance counter". This library:
//
//   1. turns rr's hardware/raw perf_event_open requests into software dummy events, so every tick
//      count reads 0 and the kernel accepts every ioctl/fcntl rr makes on them;
//   2. makes rr's start-up self-check counters (opened on rr itself, pid 0) read the count rr's
//      checks expect, or rr refuses with "Got 0 branch events" (or, on Intel, a "Xen PMU bug");
//   3. merges the kernel 6.x `[vvar]` + `[vvar_vclock]` lines of /proc/PID/maps into one `[vvar]`,
//      which rr 5.6.0 expects (otherwise an EIO in read_bytes_helper soon after exec);
//   4. clears the header quirk `bufferedSyscallForcedTick` when rr finalises the trace, because
//      with all ticks 0 that quirk makes replay fail with "Fatal register mismatch";
//   5. removes itself from LD_PRELOAD so the tracee and gdb do not inherit it.
//
// It only acts when the current executable is rr, so wrappers such as `timeout` or `time` started
// with it in LD_PRELOAD pass it on untouched. The consequences (ticks always 0, thread switches only
// at blocking syscalls, no async signals in user code) are documented in the README and printed by
// `pyreplay record`.

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bitset>
#include <mutex>
#include <string>

#include "replay/nopmu/header_quirk.h"
#include "replay/nopmu/maps_filter.h"

namespace {

bool g_active = false;  // true only inside the rr process

// rr's self-check counters, opened with pid 0. Reads of these return kFakeCount: exactly rr's
// NUM_BRANCHES (src/PerfCounters.cc), the one count every check accepts. check_working_counters
// wants at least 500 ("Got 0 branch events"); on Intel CPUs check_for_xen_pmi_bug calls anything
// above 500 an overcount ("Xen PMU virtualization bug") and check_for_kvm_in_txcp_bug anything
// below it a KVM bug. (AMD CPUs run only the first check, so a larger count passed there.)
constexpr int kMaxTrackedFd = 4096;
constexpr int64_t kFakeCount = 500;
std::mutex g_fds_mutex;
std::bitset<kMaxTrackedFd> g_selfcheck_fds;

template <typename Fn>
Fn RealFunction(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

bool IsSelfCheckFd(int fd) {
  if (fd < 0 || fd >= kMaxTrackedFd) return false;
  std::lock_guard<std::mutex> lock(g_fds_mutex);
  return g_selfcheck_fds.test(fd);
}

void TrackSelfCheckFd(int fd, bool tracked) {
  if (fd < 0 || fd >= kMaxTrackedFd) return;
  std::lock_guard<std::mutex> lock(g_fds_mutex);
  g_selfcheck_fds.set(fd, tracked);
}

bool EndsWith(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

// Removes every LD_PRELOAD entry that names this library, keeping the others.
void RemoveSelfFromLdPreload() {
  const char* preload = getenv("LD_PRELOAD");
  if (preload == nullptr) return;
  std::string kept;
  std::string list(preload);
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find_first_of(": ", start);
    if (end == std::string::npos) end = list.size();
    std::string entry = list.substr(start, end - start);
    if (!entry.empty() && entry.find("pyreplay_nopmu") == std::string::npos) {
      if (!kept.empty()) kept += ':';
      kept += entry;
    }
    start = end + 1;
  }
  if (kept.empty()) {
    unsetenv("LD_PRELOAD");
  } else {
    setenv("LD_PRELOAD", kept.c_str(), 1);
  }
}

__attribute__((constructor)) void Init() {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return;
  exe[n] = 0;
  const char* base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  if (strcmp(base, "rr") != 0) return;
  g_active = true;
  RemoveSelfFromLdPreload();
}

FILE* MaybeFilteredMaps(const char* path, const char* mode) {
  if (!g_active || !pyreplay::nopmu::IsProcMapsPath(path) || mode[0] != 'r') return nullptr;
  return pyreplay::nopmu::OpenMergedMaps(path);
}

}  // namespace

extern "C" {

long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& arg : a) arg = va_arg(ap, long);
  va_end(ap);
  static auto real = RealFunction<long (*)(long, ...)>("syscall");
  if (!g_active || number != SYS_perf_event_open) {
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  perf_event_attr attr = *reinterpret_cast<perf_event_attr*>(a[0]);
  bool self_check = static_cast<pid_t>(a[1]) == 0;
  if (attr.type == PERF_TYPE_HARDWARE || attr.type == PERF_TYPE_RAW) {
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
  }
  long fd = real(number, &attr, a[1], a[2], a[3], a[4], a[5]);
  if (fd >= 0 && self_check) TrackSelfCheckFd(static_cast<int>(fd), true);
  return fd;
}

ssize_t read(int fd, void* buf, size_t count) {
  static auto real = RealFunction<ssize_t (*)(int, void*, size_t)>("read");
  if (g_active && count == sizeof(int64_t) && IsSelfCheckFd(fd)) {
    memcpy(buf, &kFakeCount, sizeof(kFakeCount));
    return sizeof(kFakeCount);
  }
  return real(fd, buf, count);
}

int close(int fd) {
  static auto real = RealFunction<int (*)(int)>("close");
  if (g_active) TrackSelfCheckFd(fd, false);
  return real(fd);
}

FILE* fopen(const char* path, const char* mode) {
  static auto real = RealFunction<FILE* (*)(const char*, const char*)>("fopen");
  if (FILE* filtered = MaybeFilteredMaps(path, mode)) return filtered;
  return real(path, mode);
}

FILE* fopen64(const char* path, const char* mode) {
  static auto real = RealFunction<FILE* (*)(const char*, const char*)>("fopen64");
  if (FILE* filtered = MaybeFilteredMaps(path, mode)) return filtered;
  return real(path, mode);
}

int rename(const char* old_path, const char* new_path) {
  static auto real = RealFunction<int (*)(const char*, const char*)>("rename");
  if (g_active && EndsWith(old_path, "/incomplete") && EndsWith(new_path, "/version")) {
    // rr is finalising a trace. If the quirk cannot be cleared the replay would fail later with
    // a confusing register mismatch, so say so now, where the cause is known.
    std::string error = pyreplay::nopmu::ClearBufferedSyscallForcedTick(old_path);
    if (!error.empty()) {
      fprintf(stderr, "pyreplay no-PMU mode: could not fix trace header %s: %s\n", old_path,
              error.c_str());
    }
  }
  return real(old_path, new_path);
}

}  // extern "C"
