#include "replay/doctor/python_survey.h"

#include <elf.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "gtest/gtest.h"

namespace pyreplay {
namespace {
namespace fs = std::filesystem;

// WriteElf writes a minimal 64-bit ELF with the given sections (name, bytes; a NOBITS section
// when the bytes are "NOBITS:<size>") and, when `build_id` is not empty, a PT_NOTE with it.
void WriteElf(const std::string& path, const std::vector<std::pair<std::string, std::string>>& sections,
              const std::string& build_id = "") {
  std::string out(sizeof(Elf64_Ehdr), '\0');
  Elf64_Ehdr eh{};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_type = ET_DYN;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_shentsize = sizeof(Elf64_Shdr);
  if (!build_id.empty()) {
    std::string note(sizeof(Elf64_Nhdr), '\0');
    Elf64_Nhdr nh{4, static_cast<Elf64_Word>(build_id.size()), NT_GNU_BUILD_ID};
    memcpy(note.data(), &nh, sizeof(nh));
    note += std::string("GNU\0", 4) + build_id;
    Elf64_Phdr ph{};
    ph.p_type = PT_NOTE;
    ph.p_offset = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    ph.p_filesz = note.size();
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_phnum = 1;
    out.append(reinterpret_cast<const char*>(&ph), sizeof(ph));
    out += note;
  }
  std::string names(1, '\0');
  std::vector<Elf64_Shdr> headers(1);  // the null section
  for (const auto& [name, bytes] : sections) {
    Elf64_Shdr sh{};
    sh.sh_name = static_cast<Elf64_Word>(names.size());
    names += name + '\0';
    sh.sh_offset = out.size();
    if (bytes.rfind("NOBITS:", 0) == 0) {
      sh.sh_type = SHT_NOBITS;
      sh.sh_size = std::stoul(bytes.substr(7));
    } else {
      sh.sh_type = SHT_PROGBITS;
      sh.sh_size = bytes.size();
      out += bytes;
    }
    headers.push_back(sh);
  }
  Elf64_Shdr strtab{};
  strtab.sh_name = static_cast<Elf64_Word>(names.size());
  names += std::string(".shstrtab") + '\0';
  strtab.sh_type = SHT_STRTAB;
  strtab.sh_offset = out.size();
  strtab.sh_size = names.size();
  out += names;
  headers.push_back(strtab);
  eh.e_shoff = out.size();
  eh.e_shnum = static_cast<Elf64_Half>(headers.size());
  eh.e_shstrndx = static_cast<Elf64_Half>(headers.size() - 1);
  for (const Elf64_Shdr& sh : headers) out.append(reinterpret_cast<const char*>(&sh), sizeof(sh));
  memcpy(out.data(), &eh, sizeof(eh));
  std::ofstream(path, std::ios::binary) << out;
}

class PythonSurveyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pyreplay-survey-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "debug");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(PythonSurveyTest, DwarfInTheBinaryItself) {
  // A pyenv build: its libpython carries .debug_info (and a .PyRuntime without the cookie).
  WriteElf(Path("libpython3.11.so.1.0"), {{".text", "code"}, {".debug_info", "dwarf"},
                                           {".PyRuntime", std::string(64, '\0')}});
  DebugInfo info = FindDebugInfo(Path("libpython3.11.so.1.0"), Path("debug"));
  EXPECT_EQ(info.where, DebugInfo::kEmbedded);
  EXPECT_EQ(info.file, Path("libpython3.11.so.1.0"));
  EXPECT_EQ(DebugOffsetsVersion(Path("libpython3.11.so.1.0")), 0u);
}

TEST_F(PythonSurveyTest, StrippedBinaryWithBuildIdFile) {
  std::string id = "\xc5\x61\xf3\xaa";
  WriteElf(Path("python3.11"), {{".text", "code"}, {".gnu_debuglink", std::string("x.debug\0\0\0\0\0", 12)}}, id);
  EXPECT_EQ(FindDebugInfo(Path("python3.11"), Path("debug")).where, DebugInfo::kNone);
  fs::create_directories(dir_ / "debug/.build-id/c5");
  // A debug file whose .debug_info is NOBITS (a stripped copy) does not count.
  WriteElf(Path("debug/.build-id/c5/61f3aa.debug"), {{".debug_info", "NOBITS:100"}});
  EXPECT_EQ(FindDebugInfo(Path("python3.11"), Path("debug")).where, DebugInfo::kNone);
  WriteElf(Path("debug/.build-id/c5/61f3aa.debug"), {{".debug_info", "dwarf"}});
  DebugInfo info = FindDebugInfo(Path("python3.11"), Path("debug"));
  EXPECT_EQ(info.where, DebugInfo::kBuildIdFile);
  EXPECT_EQ(info.file, Path("debug/.build-id/c5/61f3aa.debug"));
}

TEST_F(PythonSurveyTest, DebugLinkBesideOrInDotDebug) {
  WriteElf(Path("python3.12"), {{".gnu_debuglink", std::string("python3.12.debug\0\0\0\0\0\0\0\0", 24)}});
  EXPECT_EQ(FindDebugInfo(Path("python3.12"), Path("debug")).where, DebugInfo::kNone);
  fs::create_directories(dir_ / ".debug");
  WriteElf(Path(".debug/python3.12.debug"), {{".debug_info", "dwarf"}});
  DebugInfo info = FindDebugInfo(Path("python3.12"), Path("debug"));
  EXPECT_EQ(info.where, DebugInfo::kDebugLink);
  EXPECT_EQ(info.file, Path(".debug/python3.12.debug"));
}

TEST_F(PythonSurveyTest, DebugOffsetsCookieAndVersion) {
  std::string runtime = "xdebugpy";
  uint64_t version = 0x030d00f0;  // 3.13.0 final
  runtime.append(reinterpret_cast<const char*>(&version), sizeof(version));
  runtime.append(48, '\0');
  WriteElf(Path("libpython3.13.so.1.0"), {{".PyRuntime", runtime}});
  EXPECT_EQ(DebugOffsetsVersion(Path("libpython3.13.so.1.0")), 0x030d00f0u);
  EXPECT_EQ(DebugOffsetsVersion(Path("missing")), 0u);
  std::ofstream(Path("not-elf")) << "#!/bin/sh\n";
  EXPECT_EQ(DebugOffsetsVersion(Path("not-elf")), 0u);
  EXPECT_EQ(FindDebugInfo(Path("not-elf")).where, DebugInfo::kNone);
}

PythonInstall Interpreter(int minor, DebugInfo::Where debug, uint64_t offsets, bool debian) {
  PythonInstall p;
  p.ran = true;
  p.major = 3;
  p.minor = minor;
  p.version = "3." + std::to_string(minor) + ".0";
  p.debug_info.where = debug;
  p.debug_info.file = debug == DebugInfo::kNone ? "" : "/x.debug";
  p.debug_offsets = offsets;
  p.debian = debian;
  p.interpreter_elf = "/usr/bin/python3." + std::to_string(minor);
  return p;
}

TEST(PythonCapabilitiesTest, WhatWorksOnEach) {
  // pyenv's 3.11 with DWARF in its libpython: everything works (the doctor's old FAIL).
  PythonCapabilities pyenv311 = CapabilitiesOf(Interpreter(11, DebugInfo::kEmbedded, 0, false));
  EXPECT_TRUE(pyenv311.stacks && pyenv311.deep_index && pyenv311.stepping);
  EXPECT_EQ(pyenv311.fix, "");
  // Debian's 3.11 without python3.11-dbg: nothing, and the package to install.
  PythonCapabilities bare = CapabilitiesOf(Interpreter(11, DebugInfo::kNone, 0, true));
  EXPECT_FALSE(bare.stacks || bare.deep_index || bare.stepping);
  EXPECT_EQ(bare.fix, "sudo apt-get install python3.11-dbg");
  // A stripped 3.13: _Py_DebugOffsets is enough.
  PythonCapabilities stripped = CapabilitiesOf(Interpreter(13, DebugInfo::kNone, 0x030d05f0, false));
  EXPECT_TRUE(stripped.stacks && stripped.deep_index && stripped.stepping);
  EXPECT_NE(stripped.how.find("_Py_DebugOffsets"), std::string::npos);
  // 3.10 and older: not read at all.
  PythonCapabilities old = CapabilitiesOf(Interpreter(10, DebugInfo::kEmbedded, 0, false));
  EXPECT_FALSE(old.stacks);
  EXPECT_NE(old.how.find("3.11 and later"), std::string::npos);
}

TEST(PythonSummaryTest, OneLineWithVersionBuildAndWhatWorks) {
  PythonInstall p = Interpreter(14, DebugInfo::kNone, 0x030e00f0, false);
  p.executable = "/opt/python3.14t";
  p.found_by = "uv";
  p.free_threaded = true;
  p.works = CapabilitiesOf(p);
  std::string line = SummaryLine(p);
  EXPECT_NE(line.find("/opt/python3.14t (uv): CPython 3.14.0, free-threaded"), std::string::npos)
      << line;
  EXPECT_NE(line.find("debug info: none"), std::string::npos) << line;
  EXPECT_NE(line.find("_Py_DebugOffsets: yes"), std::string::npos) << line;
  EXPECT_NE(line.find("stacks, deep index, stepping: yes"), std::string::npos) << line;
}

TEST_F(PythonSurveyTest, SurveyFindsVersionedNamesAndDropsDuplicates) {
  // Real interpreters are needed to answer the probe; a shell script stands in for one.
  std::string fake = Path("bin/python3.12");
  fs::create_directories(dir_ / "bin");
  std::ofstream(fake) << "#!/bin/sh\necho '{\"version\": \"3.12.9\", \"free_threaded\": false, "
                         "\"debug_build\": false, \"executable\": \"" << fake
                      << "\", \"libpython\": \"\"}'\n";
  fs::permissions(fake, fs::perms::owner_all);
  fs::create_symlink("python3.12", dir_ / "bin/python3");       // PATH's python3: the same one
  std::ofstream(Path("bin/python3.12-config")) << "#!/bin/sh\n";  // not an interpreter
  SurveyPlaces places;
  places.system_dirs = {Path("bin")};
  places.path_env = Path("bin");
  std::vector<PythonInstall> found = SurveyPythons(places);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].version, "3.12.9");  // what the binary said
  EXPECT_EQ(found[0].minor, 12);
  EXPECT_EQ(found[0].works.fix,
            "build it with debug info (-g, not stripped), or use Debian's interpreter with its "
            "-dbg package");
}

}  // namespace
}  // namespace pyreplay
