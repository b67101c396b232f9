// The tokens of an expression: numbers, strings, `$capture` references,
// names, operators; each with where it starts in the text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

struct ExprToken {
  enum class Kind { kInt, kFloat, kString, kReference, kName, kOperator, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // kString: unescaped; kReference: the name without `$`, `{` or `}`
  int begin = 0;     // byte offsets into the expression
  int end = 0;
};

struct ExprSyntaxError {
  int offset = 0;
  std::string message;
};

// Splits `text` into tokens ending with one kEnd. Operators are the longest
// of: `..` `//` `<<` `>>` `<=` `>=` `==` `!=` `&&` `||` and single characters
// `+ - * / % & | ^ ~ ! < > ( ) [ ] , .`. Strings are in '' or "" with
// backslash escapes \\ \' \" \n \t. A `$` starts a reference: `$name`,
// `${name}` or `${label.NAME}`. False with `error` set on anything else.
bool LexExpression(std::string_view text, std::vector<ExprToken>& tokens, ExprSyntaxError& error);

}  // namespace metrics_adapter
