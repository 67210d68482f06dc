#include "replay/pyvalues/value_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "replay/pyvalues/repr_text.h"

namespace pyreplay {
namespace {

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

// Brackets are a container's repr delimiters, and what repr prints for one already being
// printed (Py_ReprEnter): "[...]", "{...}", "(...)", "set(...)".
struct Brackets {
  std::string open, close, recursive;
};

Brackets BracketsFor(ObjectKind kind, bool empty) {
  switch (kind) {
    case ObjectKind::kList: return {"[", "]", "[...]"};
    case ObjectKind::kTuple: return {"(", ")", "(...)"};
    case ObjectKind::kDict: return {"{", "}", "{...}"};
    case ObjectKind::kSet: return empty ? Brackets{"set(", ")", "set(...)"}
                                        : Brackets{"{", "}", "set(...)"};
    default: return empty ? Brackets{"frozenset(", ")", "frozenset(...)"}
                          : Brackets{"frozenset({", "})", "frozenset(...)"};
  }
}

}  // namespace

ValueReader::ValueReader(const CPythonLayout& layout, MemoryReader* reader)
    : objects_(layout, reader) {}

PyValue ValueReader::Unreadable(uint64_t object, const std::string& why) {
  PyValue v;
  v.address = object;
  v.readable = false;
  v.type_name = "?";
  v.repr = absl::StrCat("<unreadable object at ", Hex(object), ": ", why, ">");
  return v;
}

PyValue ValueReader::Read(uint64_t object, const ValueOptions& options) {
  Walk walk{.options = options};
  return Build(object, walk, 0, options.children);
}

std::string ValueReader::ClassName(const TypeInfo& type) {
  if (!type.heap) return type.name;  // static types: tp_name is "module.Name" or "Name"
  std::string qualname = type.name;
  uint64_t ht_qualname = 0;
  if (objects_.ReadU64(type.address + objects_.layout().heaptype_qualname, &ht_qualname)) {
    absl::StatusOr<std::string> q = objects_.ReadStrUtf8(ht_qualname, kMaxTypeNameChars);
    if (q.ok()) qualname = *q;
  }
  uint64_t dict = 0;
  if (objects_.ReadU64(type.address + objects_.layout().type_dict, &dict) && dict != 0) {
    absl::StatusOr<uint64_t> module = objects_.DictLookupStr(dict, "__module__");
    if (module.ok()) {
      absl::StatusOr<std::string> m = objects_.ReadStrUtf8(*module, kMaxTypeNameChars);
      if (m.ok() && *m != "builtins") return absl::StrCat(*m, ".", qualname);
    }
  }
  return qualname;
}

PyValue ValueReader::Build(uint64_t object, Walk& walk, int depth, bool keep_children) {
  if (object == 0) return Unreadable(object, "NULL");
  if (++walk.visited > walk.options.max_objects) {
    PyValue v;
    v.address = object;
    v.repr = "...";
    v.truncated = true;
    v.expandable = true;
    return v;
  }
  absl::StatusOr<const TypeInfo*> type = objects_.TypeOf(object);
  if (!type.ok()) return Unreadable(object, std::string(type.status().message()));
  PyValue v;
  v.address = object;
  v.type_name = (*type)->name;
  auto fail = [&](const absl::Status& s) { v = Unreadable(object, std::string(s.message())); };
  switch ((*type)->kind) {
    case ObjectKind::kNone:
      v.repr = "None";
      break;
    case ObjectKind::kBool:
    case ObjectKind::kInt: {
      absl::StatusOr<Int> i = objects_.ReadInt(object);
      if (absl::IsOutOfRange(i.status())) {
        v.repr = absl::StrCat("<", i.status().message(), ">");
        v.truncated = true;
      } else if (!i.ok()) {
        fail(i.status());
      } else if ((*type)->kind == ObjectKind::kBool) {
        v.repr = i->digits.empty() ? "False" : "True";
      } else {
        v.repr = LongToDecimal(i->digits, i->negative);
      }
      break;
    }
    case ObjectKind::kFloat: {
      absl::StatusOr<double> d = objects_.ReadFloat(object);
      if (d.ok()) v.repr = ReprFloat(*d); else fail(d.status());
      break;
    }
    case ObjectKind::kStr: {
      auto s = objects_.ReadStr(object, walk.options.max_string_chars);
      if (!s.ok()) { fail(s.status()); break; }
      v.repr = ReprStr(s->first);
      v.length = s->second;
      if (static_cast<int64_t>(s->first.size()) < s->second) {
        v.truncated = true;
        absl::StrAppend(&v.repr, "... (", s->second, " characters)");
      }
      break;
    }
    case ObjectKind::kBytes: {
      auto b = objects_.ReadBytes(object, walk.options.max_string_chars);
      if (!b.ok()) { fail(b.status()); break; }
      v.repr = ReprBytes(b->first);
      v.length = b->second;
      if (static_cast<int64_t>(b->first.size()) < b->second) {
        v.truncated = true;
        absl::StrAppend(&v.repr, "... (", b->second, " bytes)");
      }
      break;
    }
    case ObjectKind::kTuple:
    case ObjectKind::kList:
    case ObjectKind::kDict:
    case ObjectKind::kSet:
    case ObjectKind::kFrozenSet:
      BuildContainer(v, **type, walk, depth, keep_children);
      break;
    default:
      BuildOther(v, **type, walk, depth, keep_children);
      break;
  }
  return v;
}

void ValueReader::BuildContainer(PyValue& v, const TypeInfo& type, Walk& walk, int depth,
                                 bool keep_children) {
  const ValueOptions& options = walk.options;
  const uint64_t object = v.address;
  std::vector<std::pair<uint64_t, uint64_t>> pairs;  // (key or item, value or 0)
  int64_t total = 0;
  absl::Status status;
  if (type.kind == ObjectKind::kDict) {
    absl::StatusOr<DictItems> d = objects_.DictEntries(object, options.max_items);
    if (d.ok()) { total = d->total; pairs = std::move(d->entries); } else status = d.status();
  } else {
    absl::StatusOr<Items> items = type.kind == ObjectKind::kTuple || type.kind == ObjectKind::kList
        ? objects_.SequenceItems(object, type.kind, options.max_items)
        : objects_.SetItems(object, options.max_items);
    if (items.ok()) {
      total = items->total;
      for (uint64_t o : items->objects) pairs.emplace_back(o, 0);
    } else {
      status = items.status();
    }
  }
  if (!status.ok()) {
    v = Unreadable(object, std::string(status.message()));
    return;
  }
  v.length = total;
  v.expandable = total > 0;
  Brackets brackets = BracketsFor(type.kind, total == 0);
  bool recursive = std::find(walk.path.begin(), walk.path.end(), object) != walk.path.end();
  if (recursive || (depth >= options.max_depth && total > 0)) {
    v.repr = brackets.recursive;
    v.truncated = !recursive;
    return;
  }
  walk.path.push_back(object);
  std::vector<std::string> parts;
  size_t text_size = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (text_size > options.max_repr_chars) break;
    std::string part;
    PyValue child;
    if (type.kind == ObjectKind::kDict) {
      PyValue key = Build(pairs[i].first, walk, depth + 1, false);
      child = Build(pairs[i].second, walk, depth + 1, false);
      child.name = key.repr;
      part = absl::StrCat(key.repr, ": ", child.repr);
    } else {
      child = Build(pairs[i].first, walk, depth + 1, false);
      child.name = absl::StrCat("[", i, "]");
      part = child.repr;
    }
    text_size += part.size() + 2;
    parts.push_back(std::move(part));
    if (keep_children) v.children.push_back(std::move(child));
  }
  walk.path.pop_back();
  std::string body = absl::StrJoin(parts, ", ");
  if (static_cast<int64_t>(parts.size()) < total) {
    v.truncated = true;
    absl::StrAppend(&body, parts.empty() ? "" : ", ", "... ",
                    total - static_cast<int64_t>(parts.size()), " more");
  } else if (type.kind == ObjectKind::kTuple && total == 1) {
    body += ",";
  }
  v.repr = absl::StrCat(brackets.open, body, brackets.close);
}

void ValueReader::BuildOther(PyValue& v, const TypeInfo& type, Walk& walk, int depth,
                             bool keep_children) {
  const uint64_t object = v.address;
  switch (type.kind) {
    case ObjectKind::kType: {
      absl::StatusOr<const TypeInfo*> self = objects_.TypeAt(object);
      v.repr = self.ok() ? absl::StrCat("<class '", ClassName(**self), "'>")
                         : absl::StrCat("<class at ", Hex(object), ">");
      return;
    }
    case ObjectKind::kModule: {
      absl::StatusOr<uint64_t> name = objects_.Attribute(object, "__name__");
      absl::StatusOr<std::string> text =
          name.ok() ? objects_.ReadStrUtf8(*name) : absl::StatusOr<std::string>(name.status());
      absl::StatusOr<uint64_t> file = objects_.Attribute(object, "__file__");
      absl::StatusOr<std::string> path =
          file.ok() ? objects_.ReadStrUtf8(*file) : absl::StatusOr<std::string>(file.status());
      std::string shown = text.ok() ? absl::StrCat("'", *text, "'") : "?";
      v.repr = path.ok() ? absl::StrCat("<module ", shown, " from '", *path, "'>")
                         : absl::StrCat("<module ", shown, " (built-in)>");
      return;
    }
    case ObjectKind::kFunction: {  // func_repr: <function QUALNAME at 0x...>
      uint64_t qualname = 0;
      absl::StatusOr<std::string> text =
          objects_.ReadU64(object + objects_.layout().function_qualname, &qualname)
              ? objects_.ReadStrUtf8(qualname, kMaxTypeNameChars)
              : absl::StatusOr<std::string>(absl::DataLossError("unreadable"));
      v.repr = absl::StrCat("<function ", text.ok() ? *text : "?", " at ", Hex(object), ">");
      return;
    }
    case ObjectKind::kCell: {
      absl::StatusOr<uint64_t> ref = objects_.CellContents(object);
      if (!ref.ok()) {
        v = Unreadable(object, std::string(ref.status().message()));
        return;
      }
      if (*ref == 0) {
        v.repr = absl::StrCat("<cell at ", Hex(object), ": empty>");
        return;
      }
      absl::StatusOr<const TypeInfo*> inner = objects_.TypeOf(*ref);
      v.repr = absl::StrCat("<cell at ", Hex(object), ": ", inner.ok() ? (*inner)->name : "?",
                            " object at ", Hex(*ref), ">");
      return;
    }
    default:
      break;
  }
  v.repr = absl::StrCat("<", ClassName(type), " object at ", Hex(object), ">");
  if (!walk.options.instance_dict || !keep_children) {
    v.expandable = true;  // its __dict__ may be read on request
    return;
  }
  auto attrs = objects_.InstanceAttributes(object, walk.options.max_items);
  if (!attrs.ok()) {
    v.expandable = false;
    if (!absl::IsNotFound(attrs.status())) {
      PyValue why = Unreadable(object, std::string(attrs.status().message()));
      why.name = "__dict__";
      v.children.push_back(std::move(why));
    }
    return;
  }
  v.expandable = !attrs->empty();
  for (const auto& [name, value] : *attrs) {
    PyValue child = Build(value, walk, depth + 1, false);
    child.name = name;
    v.children.push_back(std::move(child));
  }
}

}  // namespace pyreplay
