// The type check of a parsed expression: sets every node's ExprType and
// refuses, with the offending node's position, what can never work on any
// line: a string or condition where a number is needed, a float in a bit
// operation, a number where a condition is needed, division by a constant
// zero. What only a line can tell (a capture that is not a number) is left
// to the evaluator.
#pragma once

#include "rules/expression/expression.h"
#include "rules/expression/lexer.h"

namespace metrics_adapter {

// What the expression's result is for.
enum class ExprUse {
  kNumber,     // an emit's value, a state table's value
  kText,       // a label value, a state key part: any number or text
  kCondition,  // `when:`
};

bool TypeCheckExpression(Expression& expr, ExprUse use, ExprSyntaxError& error);

}  // namespace metrics_adapter
