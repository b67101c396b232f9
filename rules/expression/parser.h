// Parsing an expression's tokens into its node tree, resolving the names it
// uses (captures, state tables, $time) against the rule it belongs to.
//
// Precedence, loosest first (every binary operator is left-associative;
// comparisons do not chain):
//   ||   &&   == != < <= > >=   ..   |   ^   &   << >>   + -   * / // %   unary - ! ~
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/expression/expression.h"
#include "rules/expression/lexer.h"

namespace metrics_adapter {

// What the names in an expression can refer to; the rule compiler answers.
class ExpressionNames {
 public:
  virtual ~ExpressionNames() = default;
  // The group index of capture `name`; -1 with `error` set ("no capture
  // named ... (its captures: ...)") when the rule has none.
  virtual int Capture(std::string_view name, std::string& error) = 0;
  // Whether the rule has a capture `name` (a capture named "value" wins
  // over $value, the record's number).
  virtual bool IsCapture(std::string_view name) const = 0;
  // Whether the rule says how to read its time (`time:`), so $time means something.
  virtual bool HasTime() const = 0;
  // The index of state table `name` and how many key parts it takes; -1
  // with `error` set when the file declares none of that name.
  virtual int StateTable(std::string_view name, int& key_parts, std::string& error) = 0;
};

// Builds `expr.nodes` and `expr.root` from `tokens` (of `expr.source`).
bool ParseExpression(const std::vector<ExprToken>& tokens, ExpressionNames& names, Expression& expr,
                     ExprSyntaxError& error);

}  // namespace metrics_adapter
