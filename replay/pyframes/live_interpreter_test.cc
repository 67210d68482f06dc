// Ground truth from live interpreters: a real CPython (the host's 3.11, the test bed roots' 3.13
// and 3.14, stripped copies of them) runs live_stack_program.py, which prints every thread's
// stack as Python itself sees it; the decoder then reads that process's memory through
// /proc/PID/mem, with the layout taken from the interpreter's ELF file alone, and must agree.
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replay/pyframes/debug_offsets.h"
#include "replay/pyframes/frame_decoder.h"
#include "replay/pyframes/interpreter_layout.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

std::string Cache() {
  const char* home = getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/root", "/.cache/pyreplay");
}

// ProcMemReader reads a live process's memory (we are its parent, or root).
class ProcMemReader : public MemoryReader {
 public:
  explicit ProcMemReader(int pid) {
    fd_ = open(absl::StrCat("/proc/", pid, "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~ProcMemReader() override {
    if (fd_ >= 0) close(fd_);
  }
  bool Read(uint64_t address, void* out, size_t len) override {
    return fd_ >= 0 && pread(fd_, out, len, static_cast<off_t>(address)) ==
                           static_cast<ssize_t>(len);
  }

 private:
  int fd_ = -1;
};

// LiveProgram runs the program under `argv` (chrooted when `root` is set), reads its JSON report
// and keeps it blocked until destroyed.
class LiveProgram {
 public:
  LiveProgram(const std::string& root, const std::string& python, const std::string& script) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      if (!root.empty() && (chroot(root.c_str()) != 0 || chdir("/") != 0)) _exit(126);
      setenv("PYTHONHASHSEED", "0", 1);
      unsetenv("PYTHONHOME");
      unsetenv("PYTHONPATH");
      execl(python.c_str(), python.c_str(), "-I", "-c", script.c_str(), nullptr);
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    FILE* f = fdopen(out[0], "r");
    char line[1 << 16];
    while (f != nullptr && fgets(line, sizeof(line), f) != nullptr) {
      if (absl::StartsWith(line, "READY")) {
        ready_ = WaitUntilReadingStdin();
        break;
      }
      report_ = line;
    }
    out_ = f;
  }
  ~LiveProgram() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      int status = 0;
      for (int i = 0; i < 50 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(20000);
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  bool ready() const { return ready_; }

  // WaitUntilReadingStdin waits until the main thread blocks in read(0, ...): after READY it
  // still has to reach `sys.stdin.read()`, and its frame must be there when the test reads it.
  bool WaitUntilReadingStdin() {
    for (int i = 0; i < 500; ++i) {
      std::string syscall = ReadFile(absl::StrCat("/proc/", pid_, "/syscall"));
      bool blocked = absl::StartsWith(syscall, "0 0x0 ");  // read (x86-64 syscall 0), fd 0
      // ... and every worker in futex (202), waiting on its Event's lock.
      std::error_code ec;
      for (const auto& task : fs::directory_iterator(absl::StrCat("/proc/", pid_, "/task"), ec)) {
        if (task.path().filename() == std::to_string(pid_)) continue;
        blocked = blocked && absl::StartsWith(ReadFile(task.path() / "syscall"), "202 ");
      }
      if (blocked) return true;
      usleep(10000);
    }
    return false;
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  int pid() const { return pid_; }
  nlohmann::json report() const { return nlohmann::json::parse(report_, nullptr, false); }

 private:
  int pid_ = -1;
  int stdin_ = -1;
  FILE* out_ = nullptr;
  bool ready_ = false;
  std::string report_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ProgramPath finds live_stack_program.py beside this file: __FILE__ is relative to the build
// folder under ccache's CCACHE_BASEDIR, so look up from the test binary too.
std::string ProgramPath() {
  fs::path here = fs::path(__FILE__).parent_path() / "live_stack_program.py";
  if (fs::exists(here)) return here.string();
  std::error_code ec;
  for (fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path(); !dir.empty() &&
       dir != dir.root_path(); dir = dir.parent_path()) {
    fs::path candidate = dir / "replay/pyframes/live_stack_program.py";
    if (fs::exists(candidate)) return candidate.string();
  }
  return here.string();
}

// LoadBias is where the process mapped the interpreter file at offset 0, when it is PIE.
uint64_t MappedBase(int pid, const std::string& inode_path) {
  struct stat want;
  if (stat(inode_path.c_str(), &want) != 0) return 0;
  for (absl::string_view line : absl::StrSplit(ReadText(absl::StrCat("/proc/", pid, "/maps")),
                                               '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 6 || f[2] != "00000000") continue;
    if (std::to_string(want.st_ino) != f[4]) continue;
    return std::stoull(std::string(absl::StrSplit(f[0], '-').begin()->data(),
                                   f[0].find('-')), nullptr, 16);
  }
  return 0;
}

// Check runs the program with `python` (a path inside `root`), decodes every thread from its
// memory with a layout from the file `elf` (the host's view of the interpreter, maybe a
// stripped copy), and compares with the program's own report.
void Check(const std::string& root, const std::string& python, const std::string& elf) {
  absl::StatusOr<RuntimeLayout> rt = LayoutWithoutDebugInfo(elf);
  ASSERT_TRUE(rt.ok()) << rt.status();
  std::string script = ReadText(ProgramPath());
  ASSERT_FALSE(script.empty());
  LiveProgram program(root, python, script);
  ASSERT_TRUE(program.ready()) << "the program did not start: " << root << python;
  nlohmann::json report = program.report();
  ASSERT_FALSE(report.is_discarded());

  CPythonLayout layout = rt->layout;
  uint64_t bias = 0;
  std::string host_python = root + python;
  if (std::ifstream(host_python).good()) {
    std::ifstream f(host_python, std::ios::binary);
    char head[18] = {};
    f.read(head, sizeof(head));
    if (head[16] == 3) bias = MappedBase(program.pid(), host_python);  // ET_DYN
  }
  for (uint64_t* type : {&layout.unicode_type, &layout.bytes_type, &layout.code_type}) {
    if (*type != 0) *type += bias;
  }
  ProcMemReader reader(program.pid());
  uint64_t interp = 0;
  ASSERT_TRUE(reader.Read(rt->interpreters_head + bias, &interp, 8));
  ASSERT_NE(interp, 0u);
  FrameDecoder decoder(layout, &reader);
  absl::StatusOr<std::vector<ThreadStateInfo>> states = decoder.ThreadStates(interp);
  ASSERT_TRUE(states.ok()) << states.status();

  std::map<int64_t, const nlohmann::json*> expected;
  for (const nlohmann::json& t : report["threads"]) expected[t["native_id"].get<int64_t>()] = &t;
  ASSERT_EQ(expected.size(), 3u);
  size_t matched = 0;
  for (const ThreadStateInfo& state : *states) {
    auto it = expected.find(state.native_thread_id);
    ASSERT_NE(it, expected.end()) << "a thread state of no thread: " << state.native_thread_id;
    const nlohmann::json& want = *it->second;
    EXPECT_EQ(state.thread_id, want["ident"].get<uint64_t>());
    absl::StatusOr<std::vector<PyFrame>> stack = decoder.Stack(state.address);
    ASSERT_TRUE(stack.ok()) << stack.status();
    ASSERT_EQ(stack->size(), want["stack"].size()) << want.dump();
    for (size_t i = 0; i < stack->size(); ++i) {
      const PyFrame& got = (*stack)[i];
      const nlohmann::json& f = want["stack"][i];
      EXPECT_EQ(got.filename, f[0].get<std::string>()) << i;
      EXPECT_EQ(got.name, f[1].get<std::string>()) << i;
      EXPECT_EQ(got.line, f[2].get<int>()) << i << " " << got.Describe();
    }
    absl::StatusOr<std::string> name = decoder.ThreadName(*stack);
    if (want["name"] == "MainThread") {
      EXPECT_FALSE(name.ok());
    } else {
      ASSERT_TRUE(name.ok()) << name.status();
      EXPECT_EQ(*name, want["name"].get<std::string>());
    }
    ++matched;
  }
  EXPECT_EQ(matched, 3u);
}

// StrippedCopy is `elf` with every symbol table but .dynsym and its build-id note removed.
std::string StrippedCopy(const std::string& elf, const std::string& name) {
  std::string out = testing::TempDir() + "/" + name;
  std::string cmd = absl::StrCat("cp '", elf, "' '", out, "' && strip --strip-all '", out,
                                 "' && objcopy --remove-section .note.gnu.build-id '", out, "'");
  return system(cmd.c_str()) == 0 ? out : "";
}

std::string Root(const std::string& suite, const std::string& python) {
  std::string root = absl::StrCat(Cache(), "/roots/", suite);
  return fs::exists(root + python) ? root : "";
}

TEST(LiveInterpreterTest, Host311FromTheKnownTable) {
  if (!fs::exists("/usr/bin/python3.11")) GTEST_SKIP() << "no /usr/bin/python3.11";
  Check("", "/usr/bin/python3.11", "/usr/bin/python3.11");
}

TEST(LiveInterpreterTest, Trixie313FromDebugOffsets) {
  std::string root = Root("trixie", "/usr/bin/python3.13");
  if (root.empty()) GTEST_SKIP() << "no trixie root (scripts/testbed/root.sh ensure trixie)";
  Check(root, "/usr/bin/python3.13", root + "/usr/bin/python3.13");
}

TEST(LiveInterpreterTest, Sid314FromDebugOffsets) {
  std::string root = Root("sid", "/usr/bin/python3.14");
  if (root.empty()) GTEST_SKIP() << "no sid root (scripts/testbed/root.sh ensure sid)";
  Check(root, "/usr/bin/python3.14", root + "/usr/bin/python3.14");
}

TEST(LiveInterpreterTest, StrippedInterpretersGiveTheSameLayout) {
  struct Case {
    std::string elf;
    const char* name;
  };
  std::vector<Case> cases = {{"/usr/bin/python3.11", "py311"}};
  for (auto [suite, py] : {std::pair{"trixie", "/usr/bin/python3.13"},
                           std::pair{"sid", "/usr/bin/python3.14"}}) {
    std::string root = Root(suite, py);
    if (!root.empty()) cases.push_back({root + py, suite});
  }
  for (const Case& c : cases) {
    if (!fs::exists(c.elf)) continue;
    std::string stripped = StrippedCopy(c.elf, c.name);
    ASSERT_FALSE(stripped.empty()) << c.elf;
    absl::StatusOr<RuntimeLayout> a = LayoutWithoutDebugInfo(c.elf);
    absl::StatusOr<RuntimeLayout> b = LayoutWithoutDebugInfo(stripped);
    ASSERT_TRUE(a.ok() && b.ok()) << c.elf << a.status() << b.status();
    EXPECT_EQ(memcmp(&a->layout, &b->layout, sizeof(CPythonLayout)), 0) << c.elf;
    EXPECT_EQ(a->interpreters_head, b->interpreters_head) << c.elf;
  }
}

// The test bed's stripped interpreters (no symbols but .dynsym, no build-id, no debuglink; made
// by scripts/testbed from each release's own binary): each runs in its release's root, copied
// into the root's /tmp for the run, with the layout read from the stripped file alone.
TEST(LiveInterpreterTest, StrippedInterpretersLive) {
  struct Case {
    const char* suite;
    const char* prefix;  // interpreters/<prefix>*/bin/<python>
    const char* python;
  };
  int ran = 0;
  for (const Case& c : {Case{"", "python3.11-stripped-", "python3.11"},
                        Case{"trixie", "python3.13-stripped-", "python3.13"},
                        Case{"sid", "python3.14-stripped-", "python3.14"}}) {
    std::string stripped;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(Cache() + "/interpreters", ec)) {
      std::string name = entry.path().filename().string();
      fs::path bin = entry.path() / "bin" / c.python;
      if (absl::StartsWith(name, c.prefix) && fs::exists(bin)) stripped = bin.string();
    }
    std::string root = c.suite[0] == '\0' ? "" : Root(c.suite, std::string("/usr/bin/") + c.python);
    if (stripped.empty() || (c.suite[0] != '\0' && root.empty())) continue;
    std::string inside = absl::StrCat("/tmp/pyreplay-live-", getpid());
    fs::create_directories(root + inside);
    fs::copy_file(stripped, root + inside + "/" + c.python, fs::copy_options::overwrite_existing);
    SCOPED_TRACE(stripped);
    Check(root, inside + "/" + c.python, root + inside + "/" + c.python);
    fs::remove_all(root + inside);
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "no stripped interpreters in " << Cache() << "/interpreters";
}

}  // namespace
}  // namespace pyreplay
