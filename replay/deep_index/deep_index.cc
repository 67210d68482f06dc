#include "replay/deep_index/deep_index.h"

#include <algorithm>
#include <map>
#include <utility>

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "replay/common/atomic_file.h"
#include "replay/common/sealed_file.h"
#include "replay/common/status_macros.h"
#include "replay/deep_index/deep_index.capnp.h"

namespace pyreplay {
namespace {

// 2: entries carry the sockaddr argument of bind and connect.
constexpr uint32_t kDeepFormatVersion = 2;

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const DeepEntry* DeepIndex::Find(uint64_t event) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), event,
                             [](const DeepEntry& e, uint64_t v) { return e.event < v; });
  return it != entries.end() && it->event == event ? &*it : nullptr;
}

std::string DeepIndex::ThreadName(int32_t tid) const {
  auto it = std::lower_bound(thread_names.begin(), thread_names.end(), tid,
                             [](const auto& p, int32_t v) { return p.first < v; });
  return it != thread_names.end() && it->first == tid ? it->second : "";
}

std::string DeepIndexPath(const std::string& trace_dir) {
  return absl::StrCat(trace_dir, "/pyreplay/deep");
}

absl::Status WriteDeepIndex(const std::string& trace_dir, const DeepIndex& deep) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::DeepIndex>();
  root.setFormatVersion(kDeepFormatVersion);
  root.setUuid(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(deep.uuid.data()),
                                   deep.uuid.size()));
  auto streams = root.initStreams(deep.streams.size());
  for (size_t i = 0; i < deep.streams.size(); ++i) {
    streams[i].setName(deep.streams[i].name);
    streams[i].setSize(deep.streams[i].size);
    streams[i].setTailSha256(deep.streams[i].tail_sha256);
  }
  auto entries = root.initEntries(deep.entries.size());
  for (size_t i = 0; i < deep.entries.size(); ++i) {
    const DeepEntry& e = deep.entries[i];
    entries[i].setEvent(e.event);
    entries[i].setTid(e.tid);
    entries[i].setStopEvent(e.stop_event);
    entries[i].setSockaddr(capnp::Data::Reader(
        reinterpret_cast<const kj::byte*>(e.sockaddr.data()), e.sockaddr.size()));
    auto stack = entries[i].initStack(e.stack.size());
    for (size_t j = 0; j < e.stack.size(); ++j) {
      stack[j].setFile(e.stack[j].file);
      stack[j].setLine(e.stack[j].line);
      stack[j].setFunction(e.stack[j].function);
    }
  }
  auto names = root.initThreadNames(deep.thread_names.size());
  for (size_t i = 0; i < deep.thread_names.size(); ++i) {
    names[i].setTid(deep.thread_names[i].first);
    names[i].setName(deep.thread_names[i].second);
  }
  root.setStops(deep.stops);
  kj::VectorOutputStream output;
  capnp::writePackedMessage(output, message);
  auto bytes = output.getArray();
  return WriteFileAtomically(
      DeepIndexPath(trace_dir),
      Seal(absl::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size())));
}

absl::StatusOr<DeepIndex> LoadDeepIndex(const std::string& trace_dir) {
  const std::string path = DeepIndexPath(trace_dir);
  ASSIGN_OR_RETURN(std::string file, ReadFileToString(path, /*follow_links=*/false));
  // One replay pass to rebuild: a damaged deep index is an error the user sees, never a silently
  // different file name or function.
  absl::StatusOr<Unsealed> sealed = Unseal(file, path);
  if (!sealed.ok() || !sealed->sealed) {
    return absl::DataLossError(absl::StrCat(
        sealed.ok() ? absl::StrCat(path, " has no checksum (an older pyreplay wrote it)")
                    : std::string(sealed.status().message()),
        "; rebuild it with `pyreplay index --deep`"));
  }
  const absl::string_view bytes = sealed->payload;
  DeepIndex deep;
  uint32_t format = 0;
  kj::Maybe<kj::Exception> error = kj::runCatchingExceptions([&]() {
    kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(
        reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
    capnp::ReaderOptions options;
    // Bounded by the file's size: a crafted segment table (zeros pack 1024 to 1) would otherwise
    // make the reader allocate up to the limit before reading a byte (found by sidecar_fuzz).
    // Real deep indexes unpack to well under 32 words per packed byte.
    options.traversalLimitInWords =
        std::min<uint64_t>(1ull << 28, std::max<uint64_t>(1 << 16, bytes.size() * 32));
    capnp::PackedMessageReader message(input, options);
    auto root = message.getRoot<schema::DeepIndex>();
    format = root.getFormatVersion();
    auto uuid = root.getUuid();
    deep.uuid.assign(reinterpret_cast<const char*>(uuid.begin()), uuid.size());
    for (auto s : root.getStreams()) {
      deep.streams.push_back(StreamStamp{s.getName(), s.getSize(), s.getTailSha256()});
    }
    for (auto e : root.getEntries()) {
      DeepEntry entry;
      entry.event = e.getEvent();
      entry.tid = e.getTid();
      entry.stop_event = e.getStopEvent();
      auto sockaddr = e.getSockaddr();
      entry.sockaddr.assign(reinterpret_cast<const char*>(sockaddr.begin()),
                            std::min<size_t>(sockaddr.size(), kMaxSockaddrBytes));
      for (auto f : e.getStack()) {
        entry.stack.push_back(DeepFrame{f.getFile(), f.getLine(), f.getFunction()});
      }
      deep.entries.push_back(std::move(entry));
    }
    for (auto n : root.getThreadNames()) deep.thread_names.emplace_back(n.getTid(), n.getName());
    deep.stops = root.getStops();
  });
  KJ_IF_MAYBE(e, error) {
    return absl::DataLossError(absl::StrCat(path, ": corrupt deep index (",
                                            e->getDescription().cStr(),
                                            "); rebuild it with `pyreplay index --deep`"));
  }
  if (format != kDeepFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": deep index format ", format, ", this pyreplay reads ", kDeepFormatVersion,
        "; rebuild it with `pyreplay index --deep`"));
  }
  std::sort(deep.entries.begin(), deep.entries.end(),
            [](const DeepEntry& a, const DeepEntry& b) { return a.event < b.event; });
  std::sort(deep.thread_names.begin(), deep.thread_names.end());
  return deep;
}

bool DeepIndexMatches(const DeepIndex& deep, const EventIndex& index) {
  if (deep.uuid != index.uuid || deep.streams.size() != index.streams.size()) return false;
  for (size_t i = 0; i < deep.streams.size(); ++i) {
    if (!SameStream(deep.streams[i], index.streams[i])) return false;
  }
  return true;
}

absl::StatusOr<DeepIndex> LoadFreshDeepIndex(const std::string& trace_dir,
                                             const EventIndex& index) {
  ASSIGN_OR_RETURN(DeepIndex deep, LoadDeepIndex(trace_dir));
  if (!DeepIndexMatches(deep, index)) {
    return absl::FailedPreconditionError(absl::StrCat(
        DeepIndexPath(trace_dir), " is stale (built for another index of this trace); rebuild "
        "it with `pyreplay index --deep ", trace_dir, "`"));
  }
  return deep;
}

int32_t ActingTid(const IndexEntry& entry) {
  if ((entry.kind == EventKind::kThreadStart || entry.kind == EventKind::kFork) &&
      entry.parent_tid != 0) {
    return entry.parent_tid;
  }
  return entry.tid;
}

bool IsStandardLibrary(const std::string& file) {
  return absl::StrContains(file, "/lib/python3.") || absl::StartsWith(file, "<frozen ");
}

const DeepFrame* UserFrame(const DeepEntry& entry) {
  for (const DeepFrame& f : entry.stack) {
    if (!IsStandardLibrary(f.file)) return &f;
  }
  return entry.stack.empty() ? nullptr : &entry.stack.front();
}

std::string PythonLocation(const DeepEntry& entry) {
  const DeepFrame* user = UserFrame(entry);
  if (user == nullptr) return "";
  const DeepFrame& f = *user;
  return absl::StrCat(Basename(f.file), ":", f.line >= 0 ? absl::StrCat(f.line) : "?", " in ",
                      f.function, "()");
}

std::string InnermostLocation(const DeepEntry& entry) {
  if (entry.stack.empty()) return "";
  const DeepFrame& f = entry.stack.front();
  return absl::StrCat(f.file, ":", f.line >= 0 ? absl::StrCat(f.line) : "?", ", in ", f.function);
}

std::string MarkPythonLocation(const std::string& trace_dir, uint64_t event, int32_t tid) {
  absl::StatusOr<IndexFreshness> freshness = CheckIndexFreshness(trace_dir);
  if (!freshness.ok() || *freshness != IndexFreshness::kFresh) return "";
  absl::StatusOr<EventIndex> index = LoadIndex(trace_dir);
  if (!index.ok()) return "";
  absl::StatusOr<DeepIndex> deep = LoadFreshDeepIndex(trace_dir, *index);
  if (!deep.ok()) return "";
  const DeepEntry* entry = deep->Find(event);
  return entry != nullptr && entry->tid == tid ? InnermostLocation(*entry) : "";
}

std::string ThreadLabel(const DeepIndex* deep, int32_t tid) {
  std::string name = deep != nullptr ? deep->ThreadName(tid) : "";
  if (name.empty()) return absl::StrCat(tid);
  return absl::StrCat(name, " [", tid, "]");
}

DeepIndex AssembleDeepIndex(const EventIndex& index, const std::vector<DeepStop>& stops,
                            std::vector<std::pair<int32_t, std::string>> thread_names) {
  DeepIndex deep;
  deep.uuid = index.uuid;
  deep.streams = index.streams;
  deep.stops = static_cast<uint32_t>(stops.size());
  // (acting tid, kind) -> that thread's entries of that kind, by event.
  std::map<std::pair<int32_t, EventKind>, std::vector<const IndexEntry*>> by_thread;
  for (const IndexEntry& e : index.entries) by_thread[{ActingTid(e), e.kind}].push_back(&e);
  std::map<uint64_t, DeepEntry> found;
  std::map<uint64_t, std::string> child_names;  // thread-create event -> the new thread's name
  for (const DeepStop& stop : stops) {
    auto it = by_thread.find({stop.tid, stop.kind});
    if (it == by_thread.end()) continue;
    const std::vector<const IndexEntry*>& list = it->second;
    auto next = std::lower_bound(list.begin(), list.end(), stop.when,
                                 [](const IndexEntry* e, uint64_t w) { return e->event < w; });
    if (next == list.end()) continue;
    DeepEntry entry;
    entry.event = (*next)->event;
    entry.tid = stop.tid;
    entry.stop_event = stop.when;
    entry.stack = stop.stack;
    entry.sockaddr = stop.sockaddr;
    if (!stop.child_name.empty()) child_names[entry.event] = stop.child_name;
    found[entry.event] = std::move(entry);  // a later stop for the same entry wins
  }
  std::map<int32_t, std::string> known(thread_names.begin(), thread_names.end());
  for (const IndexEntry& e : index.entries) {
    auto child = child_names.find(e.event);
    if (e.kind == EventKind::kThreadStart && child != child_names.end() && !known.count(e.tid)) {
      thread_names.emplace_back(e.tid, child->second);
    }
  }
  for (auto& [event, entry] : found) deep.entries.push_back(std::move(entry));
  std::sort(thread_names.begin(), thread_names.end());
  thread_names.erase(std::unique(thread_names.begin(), thread_names.end(),
                                 [](const auto& a, const auto& b) { return a.first == b.first; }),
                     thread_names.end());
  deep.thread_names = std::move(thread_names);
  return deep;
}

void ApplyDeepAddresses(const DeepIndex& deep, EventIndex* index) {
  // The call's own argument beats an inference, never rr's record of the call.
  auto take = [](SocketAddress& address, const SocketAddress& found) {
    if (!found.known()) return;
    if (address.known() && !address.inferred()) return;
    address = found;
  };
  // opened_at -> the socket's bind: its event and address. A socket is bound at most once.
  std::map<uint64_t, std::pair<uint64_t, SocketAddress>> bound;
  for (IndexEntry& e : index->entries) {
    if (e.kind != EventKind::kBind && e.kind != EventKind::kConnect) continue;
    const DeepEntry* d = deep.Find(e.event);
    if (d == nullptr || d->sockaddr.empty()) continue;
    SocketAddress found = DecodeSockaddr(d->sockaddr, d->sockaddr.size(), AddressSource::kDeep);
    take(e.kind == EventKind::kBind ? e.local : e.remote, found);
  }
  for (const IndexEntry& e : index->entries) {
    if (e.kind == EventKind::kBind && e.ok() && e.opened_at != 0 && e.local.known()) {
      bound[e.opened_at] = {e.event, e.local};
    }
  }
  for (IndexEntry& e : index->entries) {
    if (e.opened_at == 0 || e.local.known()) continue;
    if (e.kind != EventKind::kListen && e.kind != EventKind::kAccept &&
        e.kind != EventKind::kConnect) {
      continue;
    }
    auto it = bound.find(e.opened_at);
    if (it == bound.end() || it->second.first > e.event) continue;  // bound only later
    e.local = it->second.second;
    e.local.source = AddressSource::kInferred;
  }
  index->deep_addresses = true;
  PairConnections(index);
}

}  // namespace pyreplay
