// Expression: the compiled form of one expression of a rule file (an emit's
// value, a label's `$(...)`, a `when:` condition, a state table's key or
// value). Built once at load time by CompileExpression (compile.h), read by
// the evaluator (evaluator.h) for every matched line; immutable, so shared
// between threads.
//
// The form is a tree of nodes in one vector (children by index), root last
// but one addressed by `root`. Every node keeps where its text starts and
// ends in `source`, so errors and `explain` can point into the expression.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

// What the type check knows of a node's value before any line is read.
enum class ExprType : std::uint8_t {
  kInt,     // an int64: integer constants, bit operations, int(), integer arithmetic
  kFloat,   // a double: float constants, `/`, $time, now()
  kNumber,  // a number whose kind the line decides (a state value, $value, min of mixed kinds)
  kText,    // line text (a capture, a record label): a number where one is needed, else text
  kString,  // text only: a string constant, a concatenation
  kBool,    // a comparison or condition
};

std::string_view ExprTypeName(ExprType type);

enum class ExprOp : std::uint8_t {
  // Leaves.
  kIntConst,
  kFloatConst,
  kStringConst,
  kCapture,      // index: the capture group
  kRecordLabel,  // text: the label's name
  kRecordValue,  // $value
  kTime,         // $time
  kNow,          // now()
  kHas,          // has($capture); index: the capture group
  kStateRead,    // state.NAME[keys...]; index: the table, kids: the key parts
  // Unary.
  kNeg,
  kNot,
  kBitNot,
  kAbs,
  kToInt,     // int(x)
  kParseInt,  // int(text, base); integer: the base
  // Binary.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kIntDiv,
  kMod,
  kBitAnd,
  kBitOr,
  kBitXor,
  kShl,
  kShr,
  kConcat,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  // Any number of arguments.
  kMin,
  kMax,
};

struct ExprNode {
  ExprOp op = ExprOp::kIntConst;
  ExprType type = ExprType::kInt;
  int begin = 0;  // the node's text is source[begin, end)
  int end = 0;
  int index = -1;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<int> kids;
};

struct Expression {
  std::string source;
  std::vector<ExprNode> nodes;
  int root = -1;
  bool uses_time = false;  // reads $time
  bool uses_state = false;

  const ExprNode& at(int index) const { return nodes[static_cast<std::size_t>(index)]; }
  ExprType type() const { return at(root).type; }
  // The node's text, e.g. "$bytes - $body".
  std::string_view TextOf(int index) const {
    const ExprNode& node = at(index);
    return std::string_view(source).substr(static_cast<std::size_t>(node.begin),
                                           static_cast<std::size_t>(node.end - node.begin));
  }
  // Whether the expression is a single leaf of kind `op` (the plain forms).
  bool IsLeaf(ExprOp op) const { return at(root).op == op; }
};

}  // namespace metrics_adapter
