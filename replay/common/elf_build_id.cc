#include "replay/common/elf_build_id.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

constexpr size_t kMaxNoteBytes = 1 << 20;  // notes are tiny; refuse absurd sizes from bad files

std::string Hex(const unsigned char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> ReadBuildId(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  Elf64_Ehdr eh;
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a 64-bit little-endian ELF file"));
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": unexpected ELF program headers"));
  }
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  if (!in.read(reinterpret_cast<char*>(phdrs.data()), phdrs.size() * sizeof(Elf64_Phdr))) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated ELF program headers"));
  }
  for (const Elf64_Phdr& ph : phdrs) {
    if (ph.p_type != PT_NOTE || ph.p_filesz > kMaxNoteBytes) continue;
    std::vector<unsigned char> notes(ph.p_filesz);
    in.seekg(static_cast<std::streamoff>(ph.p_offset));
    if (!in.read(reinterpret_cast<char*>(notes.data()), notes.size())) continue;
    size_t pos = 0;
    while (pos + sizeof(Elf64_Nhdr) <= notes.size()) {
      Elf64_Nhdr nh;
      memcpy(&nh, notes.data() + pos, sizeof(nh));
      pos += sizeof(nh);
      size_t name_size = (nh.n_namesz + 3) & ~size_t{3};
      size_t desc_size = (nh.n_descsz + 3) & ~size_t{3};
      if (pos + name_size + desc_size > notes.size()) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
          memcmp(notes.data() + pos, "GNU", 4) == 0 && nh.n_descsz > 0) {
        return Hex(notes.data() + pos + name_size, nh.n_descsz);
      }
      pos += name_size + desc_size;
    }
  }
  return absl::NotFoundError(absl::StrCat(path, ": no GNU build-id note"));
}

std::string DebugFileForBuildId(const std::string& debug_root, const std::string& build_id) {
  if (build_id.size() < 3) return "";
  return absl::StrCat(debug_root, "/.build-id/", build_id.substr(0, 2), "/", build_id.substr(2),
                      ".debug");
}

}  // namespace pyreplay
