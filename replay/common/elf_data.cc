#include "replay/common/elf_data.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace pyreplay {
namespace {

// ElfFile holds the whole file: interpreters are a few MiB, and this is read once per trace.
class ElfFile {
 public:
  static absl::StatusOr<ElfFile> Open(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    ElfFile f;
    f.path_ = path;
    f.data_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!f.In(0, sizeof(Elf64_Ehdr))) return f.Bad("too short for an ELF header");
    memcpy(&f.eh_, f.data_.data(), sizeof(f.eh_));
    if (memcmp(f.eh_.e_ident, ELFMAG, SELFMAG) != 0 || f.eh_.e_ident[EI_CLASS] != ELFCLASS64 ||
        f.eh_.e_ident[EI_DATA] != ELFDATA2LSB) {
      return f.Bad("not a 64-bit little-endian ELF file");
    }
    if (f.eh_.e_shentsize != sizeof(Elf64_Shdr) ||
        !f.In(f.eh_.e_shoff, uint64_t{f.eh_.e_shnum} * sizeof(Elf64_Shdr)) ||
        f.eh_.e_phentsize != sizeof(Elf64_Phdr) ||
        !f.In(f.eh_.e_phoff, uint64_t{f.eh_.e_phnum} * sizeof(Elf64_Phdr))) {
      return f.Bad("section or program headers out of bounds");
    }
    return f;
  }

  absl::Status Bad(const char* why) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": ", why));
  }
  bool In(uint64_t offset, uint64_t len) const {
    return offset <= data_.size() && len <= data_.size() - offset;
  }
  bool pie() const { return eh_.e_type == ET_DYN; }
  size_t sections() const { return eh_.e_shnum; }
  Elf64_Shdr Section(size_t i) const {
    Elf64_Shdr sh;
    memcpy(&sh, data_.data() + eh_.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
    return sh;
  }
  // String is the NUL-terminated string at `offset` of string table `table`, or "" when bad.
  std::string String(const Elf64_Shdr& table, uint64_t offset) const {
    if (offset >= table.sh_size || !In(table.sh_offset, table.sh_size)) return "";
    const char* s = data_.data() + table.sh_offset + offset;
    size_t max_len = table.sh_size - offset;
    size_t len = strnlen(s, max_len);
    return len == max_len ? "" : std::string(s, len);
  }

  // Bytes reads `len` bytes at virtual address `address` through the PT_LOAD segments; the part
  // of a segment past its file size (.bss) reads as zeros. Empty when no segment holds it.
  absl::StatusOr<std::string> Bytes(uint64_t address, size_t len) const {
    for (size_t i = 0; i < eh_.e_phnum; ++i) {
      Elf64_Phdr ph;
      memcpy(&ph, data_.data() + eh_.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
      if (ph.p_type != PT_LOAD || address < ph.p_vaddr || address - ph.p_vaddr >= ph.p_memsz) {
        continue;
      }
      uint64_t into = address - ph.p_vaddr;
      len = std::min<uint64_t>(len, ph.p_memsz - into);
      std::string out(len, '\0');
      if (into < ph.p_filesz) {
        uint64_t n = std::min<uint64_t>(len, ph.p_filesz - into);
        if (!In(ph.p_offset + into, n)) return Bad("a segment lies outside the file");
        memcpy(out.data(), data_.data() + ph.p_offset + into, n);
      }
      return out;
    }
    return absl::NotFoundError(
        absl::StrCat(path_, ": no loaded segment holds address 0x", absl::Hex(address)));
  }

  const std::string& path() const { return path_; }
  const Elf64_Ehdr& header() const { return eh_; }
  // Copy copies `len` bytes at file offset `offset` (the caller checked In()).
  void Copy(uint64_t offset, void* out, size_t len) const {
    memcpy(out, data_.data() + offset, len);
  }

 private:
  std::string path_;
  std::string data_;
  Elf64_Ehdr eh_{};
};

}  // namespace

absl::StatusOr<ElfData> ReadDataSymbol(const std::string& path, const std::string& name,
                                       size_t max_len) {
  absl::StatusOr<ElfFile> file = ElfFile::Open(path);
  if (!file.ok()) return file.status();
  for (uint32_t type : {SHT_DYNSYM, SHT_SYMTAB}) {
    for (size_t i = 0; i < file->sections(); ++i) {
      Elf64_Shdr symtab = file->Section(i);
      if (symtab.sh_type != type) continue;
      if (symtab.sh_link >= file->sections() || !file->In(symtab.sh_offset, symtab.sh_size)) {
        return file->Bad("a symbol table is out of bounds");
      }
      Elf64_Shdr strtab = file->Section(symtab.sh_link);
      for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= symtab.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        file->Copy(symtab.sh_offset + off, &sym, sizeof(sym));
        if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_OBJECT) continue;
        if (file->String(strtab, sym.st_name) != name) continue;
        ElfData out;
        out.address = sym.st_value;
        out.position_independent = file->pie();
        size_t len = sym.st_size != 0 ? std::min<uint64_t>(max_len, sym.st_size) : max_len;
        absl::StatusOr<std::string> bytes = file->Bytes(sym.st_value, len);
        if (!bytes.ok()) return bytes.status();
        out.bytes = *std::move(bytes);
        return out;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat(path, " defines no data symbol ", name));
}

absl::StatusOr<ElfData> ReadSectionData(const std::string& path, const std::string& name,
                                        size_t max_len) {
  absl::StatusOr<ElfFile> file = ElfFile::Open(path);
  if (!file.ok()) return file.status();
  if (file->header().e_shstrndx >= file->sections()) return file->Bad("no section name table");
  Elf64_Shdr names = file->Section(file->header().e_shstrndx);
  for (size_t i = 0; i < file->sections(); ++i) {
    Elf64_Shdr sh = file->Section(i);
    if (sh.sh_type == SHT_NULL || file->String(names, sh.sh_name) != name) continue;
    ElfData out;
    out.address = sh.sh_addr;
    out.position_independent = file->pie();
    absl::StatusOr<std::string> bytes =
        file->Bytes(sh.sh_addr, std::min<uint64_t>(max_len, sh.sh_size));
    if (!bytes.ok()) return bytes.status();
    out.bytes = *std::move(bytes);
    return out;
  }
  return absl::NotFoundError(absl::StrCat(path, " has no section ", name));
}

}  // namespace pyreplay
