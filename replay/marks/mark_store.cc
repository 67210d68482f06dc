#include "replay/marks/mark_store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/exception.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "replay/common/atomic_file.h"
#include "replay/common/sealed_file.h"
#include "replay/common/status_macros.h"
#include "replay/marks/marks.capnp.h"

namespace pyreplay {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxWords = 64 << 20;  // 512 MiB: far beyond any real marks file

// FileLock holds an exclusive flock on a lock file for its lifetime.
class FileLock {
 public:
  static absl::StatusOr<FileLock> Acquire(const std::string& path) {
    std::error_code ec;
    const std::string dir = fs::path(path).parent_path().string();
    RETURN_IF_ERROR(RefuseLink(dir));
    fs::create_directories(dir, ec);
    // O_NOFOLLOW: a `marks.lock` link planted in a copied trace would create a file wherever it
    // points. A hard link to someone else's file is refused too (the lock is ours alone).
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == ELOOP) return RefuseLink(path);
    if (fd < 0) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot open the marks lock: ", strerror(errno)));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
      close(fd);
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not a plain file of its own (a hard link or a device?); remove it"));
    }
    while (flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot lock: ", strerror(err)));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the flock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

absl::string_view View(capnp::Text::Reader text) { return {text.cStr(), text.size()}; }
kj::StringPtr Kj(const std::string& s) { return kj::StringPtr(s.c_str(), s.size()); }

Mark FromSchema(schema::Mark::Reader in) {
  Mark mark;
  mark.id = std::string(View(in.getId()));
  mark.name = std::string(View(in.getName()));
  mark.note = std::string(View(in.getNote()));
  mark.author = std::string(View(in.getAuthor()));
  mark.created_unix_nanos = in.getCreatedUnixNanos();
  mark.python_location = std::string(View(in.getPythonLocation()));
  schema::ExactPosition::Reader pos = in.getPosition();
  mark.position.event = pos.getEvent();
  mark.position.ticks = pos.getTicks();
  mark.position.tid = pos.getTid();
  mark.position.pc = pos.getPc();
  mark.position.restart_event = pos.getRestartEvent();
  mark.position.hit_count = pos.getHitCount();
  for (schema::Register::Reader reg : pos.getRegisters()) {
    mark.position.registers.emplace_back(std::string(View(reg.getName())), reg.getValue());
  }
  return mark;
}

void ToSchema(const Mark& mark, schema::Mark::Builder out) {
  out.setId(Kj(mark.id));
  out.setName(Kj(mark.name));
  out.setNote(Kj(mark.note));
  out.setAuthor(Kj(mark.author));
  out.setCreatedUnixNanos(mark.created_unix_nanos);
  out.setPythonLocation(Kj(mark.python_location));
  schema::ExactPosition::Builder pos = out.initPosition();
  pos.setEvent(mark.position.event);
  pos.setTicks(mark.position.ticks);
  pos.setTid(mark.position.tid);
  pos.setPc(mark.position.pc);
  pos.setRestartEvent(mark.position.restart_event);
  pos.setHitCount(mark.position.hit_count);
  auto regs = pos.initRegisters(static_cast<unsigned>(mark.position.registers.size()));
  for (size_t i = 0; i < mark.position.registers.size(); ++i) {
    regs[i].setName(Kj(mark.position.registers[i].first));
    regs[i].setValue(mark.position.registers[i].second);
  }
}

bool IsHexId(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
  });
}

// Matches returns the indices of marks named `key`, or (for 6+ hex digits) whose id starts so.
std::vector<size_t> Matches(const std::vector<Mark>& marks, absl::string_view key) {
  std::vector<size_t> by_name, by_id;
  for (size_t i = 0; i < marks.size(); ++i) {
    if (marks[i].name == key) by_name.push_back(i);
    if (key.size() >= 6 && IsHexId(key) && absl::StartsWith(marks[i].id, key)) by_id.push_back(i);
  }
  return by_name.empty() ? by_id : by_name;
}

std::string NamesOf(const std::vector<Mark>& marks) {
  if (marks.empty()) return "there are no marks yet";
  std::vector<std::string> names;
  for (const Mark& m : marks) names.push_back(m.name);
  return absl::StrCat("marks here: ", absl::StrJoin(names, ", "));
}

}  // namespace

absl::StatusOr<std::vector<Mark>> ParseMarkFile(absl::string_view file,
                                                absl::string_view origin) {
  // Unsealed: a marks file from before marks carried a checksum; it still reads.
  ASSIGN_OR_RETURN(Unsealed sealed, Unseal(file, origin));
  const absl::string_view bytes = sealed.payload;
  if (bytes.size() % sizeof(capnp::word) != 0 || bytes.empty()) {
    return absl::DataLossError(absl::StrCat(origin, " is corrupt: ", bytes.size(),
                                            " bytes is not a whole Cap'n Proto message"));
  }
  // Copy into word-aligned memory: the string's buffer has no alignment guarantee.
  kj::Array<capnp::word> words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  memcpy(words.begin(), bytes.data(), bytes.size());
  std::vector<Mark> marks;
  std::string problem;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kMaxWords;
    options.nestingLimit = 16;
    kj::ArrayPtr<const capnp::word> rest = words;
    capnp::FlatArrayMessageReader reader(rest, options);
    if (reader.getEnd() != words.end()) problem = "trailing bytes after the message";
    schema::MarkFile::Reader file = reader.getRoot<schema::MarkFile>();
    for (schema::Mark::Reader m : file.getMarks()) {
      marks.push_back(FromSchema(m));
      if (marks.back().id.empty()) problem = "a mark without an id";
    }
  });
  KJ_IF_MAYBE(e, error) {
    return absl::DataLossError(
        absl::StrCat(origin, " is corrupt: ", e->getDescription().cStr()));
  }
  if (!problem.empty()) return absl::DataLossError(absl::StrCat(origin, " is corrupt: ", problem));
  return marks;
}

std::string SerializeMarkFile(const std::vector<Mark>& marks) {
  capnp::MallocMessageBuilder message;
  schema::MarkFile::Builder file = message.initRoot<schema::MarkFile>();
  file.setFormatVersion(1);
  auto list = file.initMarks(static_cast<unsigned>(marks.size()));
  for (size_t i = 0; i < marks.size(); ++i) ToSchema(marks[i], list[i]);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  kj::ArrayPtr<const char> chars = words.asChars();
  return Seal(absl::string_view(chars.begin(), chars.size()));
}

std::string DefaultAuthor() {
  for (const char* var : {"PYREPLAY_AUTHOR", "USER", "LOGNAME"}) {
    const char* value = getenv(var);
    if (value != nullptr && *value != '\0') return value;
  }
  if (struct passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  return "unknown";
}

std::string NewMarkId() {
  std::random_device device;  // /dev/urandom
  std::string id;
  for (int i = 0; i < 4; ++i) id += absl::StrFormat("%08x", device());
  return id;
}

absl::Status CheckMarkName(absl::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("mark name '", name, "' must be 1 to 64 characters"));
  }
  bool all_digits = true;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '.' && c != ':') {
      return absl::InvalidArgumentError(absl::StrCat(
          "mark name '", name, "' may only hold letters, digits and _ - . :"));
    }
    all_digits = all_digits && absl::ascii_isdigit(c);
  }
  if (all_digits || name[0] == '-' || name[0] == '+') {
    return absl::InvalidArgumentError(absl::StrCat(
        "mark name '", name, "' would read as an event number; start it with a letter"));
  }
  return absl::OkStatus();
}

MarkStore::MarkStore(std::string trace_dir)
    : dir_((fs::path(trace_dir) / "pyreplay").string()), path_((fs::path(dir_) / "marks").string()) {}

absl::StatusOr<std::vector<Mark>> MarkStore::List() const {
  RETURN_IF_ERROR(RefuseLink(dir_));
  absl::StatusOr<std::string> bytes = ReadFileToString(path_, /*follow_links=*/false);
  if (absl::IsNotFound(bytes.status())) return std::vector<Mark>{};
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<std::vector<Mark>> marks = ParseMarkFile(*bytes, path_);
  if (!marks.ok()) {
    return absl::DataLossError(absl::StrCat(
        marks.status().message(), "; it is left untouched and writes are refused; the last good "
        "state is in marks.bak: run `pyreplay marks TRACE recover` to restore it"));
  }
  return marks;
}

absl::StatusOr<Mark> MarkStore::Find(absl::string_view name_or_id) const {
  ASSIGN_OR_RETURN(std::vector<Mark> marks, List());
  std::vector<size_t> found = Matches(marks, name_or_id);
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("no mark named '", name_or_id, "' (", NamesOf(marks),
                                            ")"));
  }
  size_t best = found[0];
  for (size_t i : found) {
    if (marks[i].created_unix_nanos >= marks[best].created_unix_nanos) best = i;
  }
  return marks[best];
}

template <typename Change>
absl::Status MarkStore::Mutate(Change change) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_ + ".lock"));
  std::vector<Mark> marks;
  absl::StatusOr<std::string> bytes = ReadFileToString(path_, /*follow_links=*/false);
  if (bytes.ok()) {
    absl::StatusOr<std::vector<Mark>> parsed = ParseMarkFile(*bytes, path_);
    if (!parsed.ok()) {
      return absl::DataLossError(absl::StrCat(
          parsed.status().message(), "; nothing was written and the file is left untouched; the "
          "last good state is in marks.bak: run `pyreplay marks TRACE recover` to restore it"));
    }
    marks = std::move(*parsed);
  } else if (!absl::IsNotFound(bytes.status())) {
    return bytes.status();
  }
  RETURN_IF_ERROR(change(marks));
  std::string updated = SerializeMarkFile(marks);
  RETURN_IF_ERROR(WriteFileAtomically(path_, updated));
  // The backup is the same last good state, for when something later damages `marks`.
  return WriteFileAtomically(path_ + ".bak", updated);
}

absl::StatusOr<Mark> MarkStore::Add(Mark mark) {
  RETURN_IF_ERROR(CheckMarkName(mark.name));
  if (mark.id.empty()) mark.id = NewMarkId();
  if (mark.author.empty()) mark.author = DefaultAuthor();
  if (mark.created_unix_nanos == 0) mark.created_unix_nanos = absl::ToUnixNanos(absl::Now());
  RETURN_IF_ERROR(Mutate([&](std::vector<Mark>& marks) -> absl::Status {
    for (const Mark& m : marks) {
      if (m.name == mark.name) {
        return absl::AlreadyExistsError(absl::StrCat(
            "a mark named '", mark.name, "' already exists (", FormatPosition(m.position),
            "); remove it first with `pyr unmark ", mark.name, "` or pick another name"));
      }
    }
    marks.push_back(mark);
    return absl::OkStatus();
  }));
  return mark;
}

absl::StatusOr<Mark> MarkStore::Remove(absl::string_view name_or_id) {
  Mark removed;
  RETURN_IF_ERROR(Mutate([&](std::vector<Mark>& marks) -> absl::Status {
    std::vector<size_t> found = Matches(marks, name_or_id);
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat("no mark named '", name_or_id, "' (",
                                              NamesOf(marks), ")"));
    }
    removed = marks[found.back()];
    for (auto it = found.rbegin(); it != found.rend(); ++it) marks.erase(marks.begin() + *it);
    return absl::OkStatus();
  }));
  return removed;
}

absl::StatusOr<MergeResult> MarkStore::MergeFrom(const std::vector<Mark>& incoming,
                                                 const ConflictHandler& on_conflict) {
  MergeResult result;
  RETURN_IF_ERROR(Mutate([&](std::vector<Mark>& marks) -> absl::Status {
    result = MergeResult();  // Mutate may retry the change
    for (const Mark& mark : incoming) {
      if (mark.id.empty()) return absl::InvalidArgumentError("cannot merge a mark without an id");
      auto local = std::find_if(marks.begin(), marks.end(),
                                [&](const Mark& m) { return m.id == mark.id; });
      if (local == marks.end()) {
        marks.push_back(mark);
        ++result.added;
        continue;
      }
      std::optional<Mark> instead;
      if (on_conflict) instead = on_conflict(*local, mark, marks);
      bool taken = instead && std::any_of(marks.begin(), marks.end(),
                                          [&](const Mark& m) { return m.id == instead->id; });
      if (instead && !taken) {
        marks.push_back(std::move(*instead));
        ++result.added;
      } else {
        ++result.unchanged;
      }
    }
    std::stable_sort(marks.begin(), marks.end(), [](const Mark& a, const Mark& b) {
      return a.created_unix_nanos < b.created_unix_nanos;
    });
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::string> MarkStore::Recover(bool* restored) {
  if (restored != nullptr) *restored = false;
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_ + ".lock"));
  absl::StatusOr<std::string> bytes = ReadFileToString(path_, /*follow_links=*/false);
  if (!bytes.ok()) return std::string();
  if (ParseMarkFile(*bytes, path_).ok()) return std::string();
  std::string aside = absl::StrCat(path_, ".corrupt-", absl::ToUnixSeconds(absl::Now()));
  std::error_code ec;
  fs::rename(path_, aside, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot move ", path_, " aside: ", ec.message()));
  absl::StatusOr<std::string> good = ReadFileToString(path_ + ".bak", /*follow_links=*/false);
  if (good.ok() && ParseMarkFile(*good, path_ + ".bak").ok()) {
    RETURN_IF_ERROR(WriteFileAtomically(path_, *good));
    if (restored != nullptr) *restored = true;
  }
  return aside;
}

}  // namespace pyreplay
