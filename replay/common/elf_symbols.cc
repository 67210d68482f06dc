#include "replay/common/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// FileMapping keeps a read-only mapping of a whole file for the duration of a lookup.
class FileMapping {
 public:
  explicit FileMapping(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const uint8_t*>(p);
        size_ = static_cast<size_t>(st.st_size);
      }
    }
    close(fd);
  }
  ~FileMapping() {
    if (data_ != nullptr) munmap(const_cast<uint8_t*>(data_), size_);
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // In reports whether [offset, offset + len) lies inside the file.
  bool In(uint64_t offset, uint64_t len) const {
    return offset <= size_ && len <= size_ - offset;
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

absl::StatusOr<ElfSymbols> ReadDynamicSymbols(const std::string& path,
                                              const std::vector<std::string>& names) {
  FileMapping file(path);
  if (file.data() == nullptr) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  auto bad = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  Elf64_Ehdr eh;
  if (!file.In(0, sizeof(eh))) return bad("too short for an ELF header");
  memcpy(&eh, file.data(), sizeof(eh));
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad("not a 64-bit little-endian ELF file");
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) ||
      !file.In(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr))) {
    return bad("section headers out of bounds");
  }
  ElfSymbols out;
  out.position_independent = eh.e_type == ET_DYN;
  out.entry = eh.e_entry;
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    memcpy(&sh, file.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
    return sh;
  };
  absl::flat_hash_set<std::string> wanted(names.begin(), names.end());
  if (wanted.empty()) return out;  // only the header was asked for (type, entry point)
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr symtab = section(i);
    if (symtab.sh_type != SHT_DYNSYM) continue;
    if (symtab.sh_link >= eh.e_shnum) return bad(".dynsym links to no string table");
    Elf64_Shdr strtab = section(symtab.sh_link);
    if (!file.In(symtab.sh_offset, symtab.sh_size) ||
        !file.In(strtab.sh_offset, strtab.sh_size)) {
      return bad(".dynsym or its strings out of bounds");
    }
    const char* strings = reinterpret_cast<const char*>(file.data() + strtab.sh_offset);
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= symtab.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      memcpy(&sym, file.data() + symtab.sh_offset + off, sizeof(sym));
      if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
          sym.st_name >= strtab.sh_size) {
        continue;
      }
      // Bounded: the name must end inside the string table.
      size_t max_len = strtab.sh_size - sym.st_name;
      size_t len = strnlen(strings + sym.st_name, max_len);
      if (len == max_len) continue;
      std::string name(strings + sym.st_name, len);
      if (wanted.contains(name)) out.values.emplace(std::move(name), sym.st_value);
    }
  }
  return out;
}

}  // namespace pyreplay
