// value_expression.h: the expressions `pyr print` reads: a name, attribute chains and constant
// subscripts, parsed by hand here (never by Python's eval or gdb's parser) and evaluated
// against a frame's locals and globals by reading memory only.
//
//   ASSIGN_OR_RETURN(Expression e, ParseExpression("self.conn.addr[0]"));
//   ASSIGN_OR_RETURN(uint64_t object, Evaluate(e, scope, &objects));
//
// Grammar: NAME ( "." NAME | "[" CONSTANT "]" )*, CONSTANT: an int (optionally negative), a
// '...' or "..." string (escapes \\ \' \" \n \r \t \xhh), None, True, False.
#ifndef PYREPLAY_REPLAY_PYVALUES_VALUE_EXPRESSION_H_
#define PYREPLAY_REPLAY_PYVALUES_VALUE_EXPRESSION_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "replay/pyvalues/frame_values.h"
#include "replay/pyvalues/object_reader.h"

namespace pyreplay {

// Constant is a subscript's key.
struct Constant {
  enum class Kind { kInt, kStr, kNone, kTrue, kFalse };
  Kind kind = Kind::kInt;
  int64_t integer = 0;
  std::string text;  // kStr: UTF-8
  // Repr is the key as repr() prints it ("3", "'k'", "None").
  std::string Repr() const;
};

struct ExpressionStep {
  enum class Kind { kAttribute, kSubscript };
  Kind kind = Kind::kAttribute;
  std::string attribute;
  Constant key;
};

struct Expression {
  std::string root;  // the first name
  std::vector<ExpressionStep> steps;
};

// kExpressionHelp is the one error for anything outside the grammar.
inline constexpr char kExpressionHelp[] =
    "only names, attributes and constant subscripts (e.g. x, self.conn.addr, items[0], "
    "items[-1], d[\"k\"], d[3])";

// ParseExpression parses `text`. InvalidArgument (kExpressionHelp and what was found) otherwise.
absl::StatusOr<Expression> ParseExpression(absl::string_view text);

// FrameScope is what names resolve against.
struct FrameScope {
  std::vector<LocalSlot> locals;
  uint64_t globals = 0;      // f_globals; 0 when unknown
  std::string frame_label;   // "frame #2", for errors
  std::string function;      // "Client.send", for errors
};

// Evaluate is the object `expression` names. NotFound for a name that is unbound, undefined,
// a missing attribute, index or key; InvalidArgument for a subscript of the wrong type.
absl::StatusOr<uint64_t> Evaluate(const Expression& expression, const FrameScope& scope,
                                  ObjectReader* objects);

}  // namespace pyreplay

#endif  // PYREPLAY_REPLAY_PYVALUES_VALUE_EXPRESSION_H_
