#include "replay/common/elf_sections.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

constexpr size_t kMaxSections = 1 << 16;
constexpr size_t kMaxNameTable = 1 << 20;

}  // namespace

absl::StatusOr<std::vector<ElfSection>> ReadElfSections(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  Elf64_Ehdr eh;
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof(eh)) ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad("not a 64-bit little-endian ELF file");
  }
  if (eh.e_shnum == 0) return std::vector<ElfSection>{};
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > kMaxSections ||
      eh.e_shstrndx >= eh.e_shnum) {
    return bad("unexpected ELF section headers");
  }
  std::vector<Elf64_Shdr> headers(eh.e_shnum);
  in.seekg(static_cast<std::streamoff>(eh.e_shoff));
  if (!in.read(reinterpret_cast<char*>(headers.data()), headers.size() * sizeof(Elf64_Shdr))) {
    return bad("truncated ELF section headers");
  }
  const Elf64_Shdr& names_header = headers[eh.e_shstrndx];
  if (names_header.sh_size > kMaxNameTable) return bad("oversized section name table");
  std::string names(names_header.sh_size, '\0');
  in.seekg(static_cast<std::streamoff>(names_header.sh_offset));
  if (!in.read(names.data(), static_cast<std::streamsize>(names.size()))) {
    return bad("truncated section name table");
  }
  std::vector<ElfSection> sections;
  sections.reserve(headers.size());
  for (const Elf64_Shdr& h : headers) {
    ElfSection s;
    if (h.sh_name < names.size()) s.name = std::string(names.c_str() + h.sh_name);
    s.type = h.sh_type;
    s.offset = h.sh_offset;
    s.size = h.sh_size;
    sections.push_back(std::move(s));
  }
  return sections;
}

const ElfSection* FindSection(const std::vector<ElfSection>& sections, const std::string& name) {
  for (const ElfSection& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::StatusOr<std::string> ReadSectionBytes(const std::string& path, const ElfSection& section,
                                             size_t max_bytes) {
  if (section.type == SHT_NOBITS) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::string bytes(std::min<uint64_t>(section.size, max_bytes), '\0');
  in.seekg(static_cast<std::streamoff>(section.offset));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": section ", section.name, " runs past the end of the file"));
  }
  return bytes;
}

}  // namespace pyreplay
