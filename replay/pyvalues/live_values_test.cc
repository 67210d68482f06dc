// Ground truth from a live CPython: a program builds values of every supported type, prints
// each one's id() and repr(), and sleeps; the reader reads each address through /proc/PID/mem
// and must print exactly what repr() printed.
//
// By default the interpreter is the host's /usr/bin/python3.11 with the default (Debian 3.11.2)
// layout. Another interpreter in a Debian root runs chrooted, with its layout as JSON
// ({"field": offset}, e.g. read from its debug info):
//   PYREPLAY_LIVE_ROOT=/root/.cache/pyreplay/roots/trixie PYREPLAY_LIVE_PYTHON=/usr/bin/python3.13
//   PYREPLAY_LIVE_LAYOUT=layout-3.13.json pyreplay_unit_tests --gtest_filter='LiveValues*'
// (testdata/layout_for_live_test.py prints that JSON), or PYREPLAY_LIVE_LAYOUT=debug-offsets to
// take the layout from the interpreter file's _Py_DebugOffsets (3.13+), as a replay does.
#include <fstream>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replay/pyframes/debug_offsets.h"
#include "replay/pyvalues/proc_memory_reader.h"
#include "replay/pyvalues/value_reader.h"

namespace pyreplay {
namespace {

constexpr char kPython[] = "/usr/bin/python3.11";

// Each line out: NAME \t id \t repr. Reprs never hold a raw tab or newline (repr escapes them).
constexpr char kProgram[] = R"PY(
import math, sys, time
class Plain:
    def method(self):
        pass
class Slotted:
    __slots__ = ("a", "b")
plain = Plain(); plain.x = 1; plain.name = "n"
seen = Plain(); seen.q = [1, 2]; vars(seen)
slotted = Slotted(); slotted.a = 5
cyclic = [1]; cyclic.append(cyclic)
cyclic_dict = {"k": 1}; cyclic_dict["self"] = cyclic_dict
values = {
    "zero": 0, "one": 1, "neg": -1, "digit_edge": 2**30, "big": 10**50, "bigneg": -(2**100),
    "huge": 7**1500, "true": True, "false": False, "none": None,
    "f_tenth": 0.1, "f_big": 1e300, "f_negzero": -0.0, "f_inf": math.inf, "f_ninf": -math.inf,
    "f_nan": math.nan, "f_e16": 1e16, "f_third": 1/3, "f_small": 1e-5, "f_int": 2.0,
    "s_ascii": "hello", "s_quote": "it's", "s_both": "'\"", "s_escapes": "a\tb\nc\x00\\",
    "s_latin1": "caf\xe9 \xa0", "s_ucs2": "\u20acuro \u0394\u200b", "s_ucs4": "smile \U0001F600",
    "s_empty": "", "s_long": "x" * 5000,
    "b_plain": b"bytes", "b_escapes": b"\x00'\"\xff\t\\",
    "t_empty": (), "t_one": (1,), "t_nested": (1, ("two", [3.0, None]), {"k": (4,)}),
    "l_list": [1, "a", b"b", 2.5, [], {}], "d_str": {"a": 1, "b": [2]},
    "d_int": {1: "one", 2: "two", -3: None}, "d_mixed": {(1, 2): "t", None: 0, "s": 1.5},
    "d_deleted": dict.fromkeys(range(10)), "set_ints": {1, 2, 3}, "set_strs": {"x", "y"},
    "set_empty": set(), "frozen": frozenset({1, 2}), "frozen_empty": frozenset(),
    "cyclic": cyclic, "cyclic_dict": cyclic_dict, "d_1000": {i: i * i for i in range(1000)},
    "plain": plain, "seen": seen, "slotted": slotted, "a_type": Plain, "a_module": math,
    "a_function": Plain.method, "a_lambda": lambda: 0,
}
for k in range(0, 10, 2):
    del values["d_deleted"][k]
sys.set_int_max_str_digits(0)
for name, v in values.items():
    print(name, id(v), repr(v), sep="\t")
for name, obj, attr in (("plain.x", plain, "x"), ("plain.name", plain, "name"),
                        ("seen.q", seen, "q"), ("slotted.a", slotted, "a")):
    print(name, id(obj), repr(getattr(obj, attr)), sep="\t")
print("READY", flush=True)
time.sleep(60)
)PY";

struct Printed {
  uint64_t id = 0;
  std::string repr;
};

const char* Env(const char* name) {
  const char* v = getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

class LiveValuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* root = Env("PYREPLAY_LIVE_ROOT");
    const char* python = Env("PYREPLAY_LIVE_PYTHON") ? Env("PYREPLAY_LIVE_PYTHON") : kPython;
    std::string on_disk = root ? std::string(root) + python : python;
    if (access(on_disk.c_str(), X_OK) != 0) GTEST_SKIP() << on_disk << " is not installed";
    if (const char* path = Env("PYREPLAY_LIVE_LAYOUT"); path && std::string(path) == "debug-offsets") {
      absl::StatusOr<RuntimeLayout> from_file = LayoutFromDebugOffsets(on_disk);
      ASSERT_TRUE(from_file.ok()) << from_file.status();
      layout_ = from_file->layout;
    } else if (path) {
      std::ifstream in(path);
      nlohmann::json doc = nlohmann::json::parse(in);
      for (auto& [key, value] : doc.items()) {
        ASSERT_TRUE(SetLayoutField(&layout_, key, value.get<uint64_t>()).ok()) << key;
      }
    }
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      if (root) {
        execl("/usr/sbin/chroot", "chroot", root, python, "-S", "-c", kProgram, nullptr);
      } else {
        execl(python, python, "-S", "-c", kProgram, nullptr);
      }
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char* line = nullptr;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
      std::string text(line);
      if (!text.empty() && text.back() == '\n') text.pop_back();
      if (text == "READY") break;
      std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('\t', 2));
      ASSERT_EQ(parts.size(), 3u) << text;
      Printed p;
      ASSERT_TRUE(absl::SimpleAtoi(parts[1], &p.id));
      p.repr = parts[2];
      printed_[parts[0]] = p;
    }
    free(line);
    fclose(f);
    ASSERT_FALSE(printed_.empty()) << "the program printed nothing";
    absl::StatusOr<std::unique_ptr<ProcMemoryReader>> reader = ProcMemoryReader::Open(pid_);
    ASSERT_TRUE(reader.ok()) << reader.status();
    reader_ = *std::move(reader);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  CPythonLayout layout_;  // Debian's 3.11.2 defaults, or PYREPLAY_LIVE_LAYOUT
  pid_t pid_ = -1;
  std::map<std::string, Printed> printed_;
  std::unique_ptr<ProcMemoryReader> reader_;
};

TEST_F(LiveValuesTest, EveryTypeReadsAsReprPrintedIt) {
  ValueReader values(layout_, reader_.get());
  int compared = 0;
  for (const auto& [name, p] : printed_) {
    if (absl::StrContains(name, ".")) continue;  // attributes: the next test
    PyValue v = values.Read(p.id, {.max_items = 100, .max_string_chars = 10000});
    SCOPED_TRACE(name);
    if (name == "d_1000") {
      // Truncated: the first 100 items as repr() prints them, then the count.
      EXPECT_EQ(v.length, 1000);
      EXPECT_TRUE(v.truncated);
      std::string shown = v.repr.substr(0, v.repr.find(", ... 900 more}"));
      EXPECT_TRUE(absl::StartsWith(p.repr, shown + ", ")) << v.repr;
      EXPECT_TRUE(absl::EndsWith(v.repr, ", ... 900 more}")) << v.repr;
    } else if (name == "a_module") {
      EXPECT_TRUE(absl::StartsWith(v.repr, "<module 'math'")) << v.repr;
    } else {
      EXPECT_EQ(v.repr, p.repr);
    }
    ++compared;
  }
  EXPECT_GE(compared, 50);
}

TEST_F(LiveValuesTest, AttributesFromValuesDictsAndSlots) {
  ValueReader values(layout_, reader_.get());
  for (const char* expr : {"plain.x", "plain.name", "seen.q", "slotted.a"}) {
    SCOPED_TRACE(expr);
    const Printed& p = printed_.at(expr);
    std::string attr = std::string(expr).substr(std::string(expr).find('.') + 1);
    absl::StatusOr<uint64_t> found = values.objects().Attribute(p.id, attr);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(values.Read(*found).repr, p.repr);
  }
  // __dict__ on request: `plain` keeps its attributes as split values (3.11), in order.
  PyValue plain = values.Read(printed_.at("plain").id, {.instance_dict = true});
  ASSERT_EQ(plain.children.size(), 2u) << plain.repr;
  EXPECT_EQ(plain.children[0].name, "x");
  EXPECT_EQ(plain.children[0].repr, "1");
  EXPECT_EQ(plain.children[1].name, "name");
  EXPECT_EQ(plain.children[1].repr, "'n'");
}

}  // namespace
}  // namespace pyreplay
