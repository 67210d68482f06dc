// mark_store.h: named, annotated positions saved with a trace, in `<trace>/pyreplay/marks`.
//
// The files carry a checksum (sealed_file.h): a changed byte is DataLoss, never a changed mark.
// The lock, the files and the folder are never opened through a symbolic link (one planted in a
// trace copied by other means than `pack` is refused with one line).
//
// Every write is a read-modify-write under an exclusive flock on `<trace>/pyreplay/marks.lock`,
// and replaces the file atomically (temp file, fsync, rename): concurrent writers (gdb sessions,
// the CLI, `pack` merging) lose nothing, and a writer killed mid-write leaves the last good file.
// After each write the new good state is also copied to `marks.bak`. A marks file that does not
// parse is reported (DataLoss) and never overwritten: writes refuse until `Recover()`.
//
//   MarkStore store("traces/sockets-1");
//   Mark mark{.name = "before-connect", .note = "fd 4 not yet connected",
//             .position = {.event = 1374, .tid = 15851}};
//   ASSIGN_OR_RETURN(Mark saved, store.Add(mark));       // fills id, author, created
//   ASSIGN_OR_RETURN(std::vector<Mark> all, store.List());
//   RETURN_IF_ERROR(store.Remove("before-connect"));
#ifndef PYREPLAY_REPLAY_MARKS_MARK_STORE_H_
#define PYREPLAY_REPLAY_MARKS_MARK_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "replay/position/position.h"

namespace pyreplay {

struct Mark {
  std::string id;                 // 32 hex digits, random; marks merge by id
  std::string name;
  std::string note;
  std::string author;
  int64_t created_unix_nanos = 0;
  ExactPosition position;
  std::string python_location;    // "file.py:12 in func", or ""

  bool operator==(const Mark&) const = default;
};

// MergeResult counts what MergeFrom did.
struct MergeResult {
  int added = 0;       // ids that were new here
  int unchanged = 0;   // ids already here (the local copy wins)
};

class MarkStore {
 public:
  // MarkStore works on `<trace_dir>/pyreplay/marks`. Nothing is read until a call.
  explicit MarkStore(std::string trace_dir);

  // List returns every mark, oldest first. An absent file is an empty store. DataLoss when the
  // file is corrupt (the message names marks.bak and `pyreplay marks TRACE recover`).
  absl::StatusOr<std::vector<Mark>> List() const;

  // Find returns the mark named `name_or_id` (a name, or an id or a unique id prefix of 6+
  // digits). When several merged marks share a name, the newest wins. NotFound otherwise,
  // listing the names there are.
  absl::StatusOr<Mark> Find(absl::string_view name_or_id) const;

  // Add saves `mark`, filling an empty id (random), author (DefaultAuthor()) and creation time
  // (now). InvalidArgument for an empty or malformed name, AlreadyExists for a name in use.
  absl::StatusOr<Mark> Add(Mark mark);

  // Remove deletes the mark(s) named `name_or_id` (see Find). NotFound when there is none.
  absl::StatusOr<Mark> Remove(absl::string_view name_or_id);

  // MergeFrom adds every mark of `marks` whose id is new here. Names may then repeat.
  // `on_conflict`, when given, is asked (under the store's lock, so against the marks as they are
  // at that instant) about an incoming mark whose id is here with different content: it returns
  // the version to add instead (under another id), or nullopt to keep only the local one.
  using ConflictHandler =
      std::function<std::optional<Mark>(const Mark& local, const Mark& incoming,
                                        const std::vector<Mark>& all)>;
  absl::StatusOr<MergeResult> MergeFrom(const std::vector<Mark>& marks,
                                        const ConflictHandler& on_conflict = nullptr);

  // Recover sets a corrupt marks file aside (as marks.corrupt-<time>) and restores marks.bak.
  // Returns the path the corrupt file went to, or "" when the store was not corrupt.
  // `restored`, when given, says whether a good marks.bak was put back (false: there was none,
  // or it is damaged too, and the store is now empty).
  absl::StatusOr<std::string> Recover(bool* restored = nullptr);

  const std::string& path() const { return path_; }

 private:
  // Mutate runs `change` on the current marks under the lock, and saves the result.
  template <typename Change>
  absl::Status Mutate(Change change);

  std::string dir_;
  std::string path_;
};

// ParseMarkFile decodes a marks file. DataLoss (naming `origin`) when it is not one.
absl::StatusOr<std::vector<Mark>> ParseMarkFile(absl::string_view bytes, absl::string_view origin);

// SerializeMarkFile encodes marks as a marks file.
std::string SerializeMarkFile(const std::vector<Mark>& marks);

// DefaultAuthor is $PYREPLAY_AUTHOR, else $USER, else the login name, else "unknown".
std::string DefaultAuthor();

// NewMarkId is 128 random bits as 32 lowercase hex digits.
std::string NewMarkId();

// CheckMarkName is OK for names of 1-64 characters from [A-Za-z0-9_.:-], not all digits and not
// starting with '+' or '-' (so `goto @NAME` and `goto N` never look alike).
absl::Status CheckMarkName(absl::string_view name);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_MARKS_MARK_STORE_H_
