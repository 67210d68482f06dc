#include "replay/pyvalues/value_expression.h"

#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "replay/common/status_macros.h"
#include "replay/pyvalues/repr_text.h"

namespace pyreplay {
namespace {

bool IsNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;  // a non-ASCII identifier's UTF-8 bytes
}
bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Expression> Parse() {
    Expression e;
    SkipBlanks();
    ASSIGN_OR_RETURN(e.root, Name());
    while (true) {
      SkipBlanks();
      if (AtEnd()) return e;
      ExpressionStep step;
      if (Peek() == '.') {
        ++pos_;
        SkipBlanks();
        step.kind = ExpressionStep::Kind::kAttribute;
        ASSIGN_OR_RETURN(step.attribute, Name());
      } else if (Peek() == '[') {
        ++pos_;
        SkipBlanks();
        step.kind = ExpressionStep::Kind::kSubscript;
        ASSIGN_OR_RETURN(step.key, ConstantValue());
        SkipBlanks();
        if (AtEnd() || Peek() != ']') return Error("a ']' after the subscript");
        ++pos_;
      } else {
        return Error("'.' or '['");
      }
      e.steps.push_back(std::move(step));
    }
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }

  absl::Status Error(absl::string_view wanted) const {
    std::string found = AtEnd() ? "the end" : absl::StrCat("'", text_.substr(pos_), "'");
    return absl::InvalidArgumentError(absl::StrCat(kExpressionHelp, "; expected ", wanted,
                                                   " at column ", pos_ + 1, ", found ", found));
  }

  absl::StatusOr<std::string> Name() {
    if (AtEnd() || !IsNameStart(Peek())) return Error("a name");
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  absl::StatusOr<Constant> ConstantValue() {
    Constant c;
    if (AtEnd()) return Error("a constant");
    char first = Peek();
    if (first == '\'' || first == '"') return StringConstant(first);
    if (first == '-' || std::isdigit(static_cast<unsigned char>(first))) {
      size_t start = pos_++;
      while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek()))) ++pos_;
      if (!absl::SimpleAtoi(text_.substr(start, pos_ - start), &c.integer)) {
        return Error("an int that fits in 64 bits");
      }
      c.kind = Constant::Kind::kInt;
      return c;
    }
    absl::StatusOr<std::string> word = Name();
    if (!word.ok()) return Error("a constant (an int, a string, None, True or False)");
    if (*word == "None") c.kind = Constant::Kind::kNone;
    else if (*word == "True") c.kind = Constant::Kind::kTrue;
    else if (*word == "False") c.kind = Constant::Kind::kFalse;
    else return absl::InvalidArgumentError(absl::StrCat(kExpressionHelp, "; '", *word,
                                                        "' in a subscript is not a constant"));
    return c;
  }

  absl::StatusOr<Constant> StringConstant(char quote) {
    Constant c;
    c.kind = Constant::Kind::kStr;
    ++pos_;
    while (!AtEnd() && Peek() != quote) {
      char ch = text_[pos_++];
      if (ch != '\\') {
        c.text.push_back(ch);
        continue;
      }
      if (AtEnd()) return Error("an escape after '\\'");
      char e = text_[pos_++];
      switch (e) {
        case 'n': c.text.push_back('\n'); break;
        case 't': c.text.push_back('\t'); break;
        case 'r': c.text.push_back('\r'); break;
        case '\\': case '\'': case '"': c.text.push_back(e); break;
        case 'x': {
          int value = 0;
          if (pos_ + 2 > text_.size() || !absl::SimpleHexAtoi(text_.substr(pos_, 2), &value)) {
            return Error("two hex digits after \\x");
          }
          pos_ += 2;
          AppendUtf8(&c.text, static_cast<char32_t>(value));
          break;
        }
        default: return Error("one of \\\\ \\' \\\" \\n \\r \\t \\xhh");
      }
    }
    if (AtEnd()) return Error(absl::StrCat("a closing ", std::string(1, quote)));
    ++pos_;
    return c;
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

std::string Hex(uint64_t v) { return absl::StrCat("0x", absl::Hex(v)); }

// KeyMatches says whether dict key `key` equals constant `c` (by value, as == would for these
// types: an int key matches an int constant, a str key a str constant, ...).
bool KeyMatches(ObjectReader* objects, uint64_t key, const Constant& c) {
  absl::StatusOr<const TypeInfo*> type = objects->TypeOf(key);
  if (!type.ok()) return false;
  switch (c.kind) {
    case Constant::Kind::kStr: {
      if ((*type)->kind != ObjectKind::kStr) return false;
      absl::StatusOr<std::string> text = objects->ReadStrUtf8(key, c.text.size() + 1);
      return text.ok() && *text == c.text;
    }
    case Constant::Kind::kInt: {
      if ((*type)->kind != ObjectKind::kInt && (*type)->kind != ObjectKind::kBool) return false;
      absl::StatusOr<Int> i = objects->ReadInt(key);
      return i.ok() && LongToDecimal(i->digits, i->negative) == c.Repr();
    }
    case Constant::Kind::kNone:
      return (*type)->kind == ObjectKind::kNone;
    case Constant::Kind::kTrue:
    case Constant::Kind::kFalse: {
      if ((*type)->kind != ObjectKind::kBool && (*type)->kind != ObjectKind::kInt) return false;
      absl::StatusOr<Int> i = objects->ReadInt(key);
      return i.ok() && i->digits.empty() == (c.kind == Constant::Kind::kFalse);
    }
  }
  return false;
}

absl::StatusOr<uint64_t> Subscript(ObjectReader* objects, uint64_t object, const Constant& key) {
  ASSIGN_OR_RETURN(const TypeInfo* type, objects->TypeOf(object));
  if (type->kind == ObjectKind::kList || type->kind == ObjectKind::kTuple) {
    if (key.kind != Constant::Kind::kInt) {
      return absl::InvalidArgumentError(absl::StrCat(type->name, " indices must be integers, not ",
                                                     key.Repr()));
    }
    ASSIGN_OR_RETURN(Items size, objects->SequenceItems(object, type->kind, 0));
    int64_t index = key.integer < 0 ? key.integer + size.total : key.integer;
    if (index < 0 || index >= size.total) {
      return absl::NotFoundError(absl::StrCat(type->name, " index ", key.integer,
                                              " out of range (it has ", size.total, " items)"));
    }
    ASSIGN_OR_RETURN(Items items,
                     objects->SequenceItems(object, type->kind, static_cast<size_t>(index) + 1));
    return items.objects[static_cast<size_t>(index)];
  }
  if (type->kind == ObjectKind::kDict) {
    ASSIGN_OR_RETURN(DictItems items, objects->DictEntries(object, size_t{1} << 24));
    for (const auto& [k, v] : items.entries) {
      if (KeyMatches(objects, k, key)) return v;
    }
    return absl::NotFoundError(absl::StrCat("key ", key.Repr(), " is not in the dict (of ",
                                            items.total, " items)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "a '", type->name, "' object at ", Hex(object),
      " cannot be subscripted here (only list, tuple and dict are read from memory)"));
}

}  // namespace

std::string Constant::Repr() const {
  switch (kind) {
    case Kind::kInt: return absl::StrCat(integer);
    case Kind::kNone: return "None";
    case Kind::kTrue: return "True";
    case Kind::kFalse: return "False";
    case Kind::kStr: {
      std::u32string points;
      for (size_t i = 0; i < text.size();) {  // UTF-8 to code points (our own parser's output)
        auto b = static_cast<unsigned char>(text[i]);
        int n = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        char32_t cp = n == 1 ? b : b & (0x3f >> (n - 1));
        for (int k = 1; k < n && i + k < text.size(); ++k) {
          cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
        }
        points.push_back(cp);
        i += n;
      }
      return ReprStr(points);
    }
  }
  return "?";
}

absl::StatusOr<Expression> ParseExpression(absl::string_view text) {
  return Parser(text).Parse();
}

absl::StatusOr<uint64_t> Evaluate(const Expression& expression, const FrameScope& scope,
                                  ObjectReader* objects) {
  uint64_t object = 0;
  bool found = false;
  for (const LocalSlot& slot : scope.locals) {
    if (slot.name != expression.root) continue;
    if (!slot.bound()) {
      return absl::NotFoundError(absl::StrCat("name '", expression.root, "' is not bound in ",
                                              scope.frame_label, " (a local of ", scope.function,
                                              " with no value at this point)"));
    }
    object = slot.object;
    found = true;
    break;
  }
  if (!found && scope.globals != 0) {
    absl::StatusOr<uint64_t> global = objects->DictLookupStr(scope.globals, expression.root);
    if (global.ok()) {
      object = *global;
      found = true;
    } else if (!absl::IsNotFound(global.status())) {
      return global.status();
    }
  }
  if (!found) {
    return absl::NotFoundError(absl::StrCat("name '", expression.root, "' is not defined in ",
                                            scope.frame_label, " (not a local of ",
                                            scope.function, ", nor a global of its module)"));
  }
  for (const ExpressionStep& step : expression.steps) {
    if (step.kind == ExpressionStep::Kind::kAttribute) {
      ASSIGN_OR_RETURN(object, objects->Attribute(object, step.attribute));
    } else {
      ASSIGN_OR_RETURN(object, Subscript(objects, object, step.key));
    }
  }
  return object;
}

}  // namespace pyreplay
