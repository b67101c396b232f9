// CompileExpression: an expression's text to its checked, compiled form, the
// one entry point the rule loader uses (lexer, parser, type check).
//
// Usage:
//   ExprSyntaxError error;
//   auto expr = CompileExpression("$total - $body", names, ExprUse::kNumber, error);
//   if (!expr) report(error.offset, error.message);  // offset: a byte in the text
#pragma once

#include <memory>
#include <string_view>

#include "rules/expression/expression.h"
#include "rules/expression/lexer.h"
#include "rules/expression/parser.h"
#include "rules/expression/type_check.h"

namespace metrics_adapter {

std::shared_ptr<const Expression> CompileExpression(std::string_view text, ExpressionNames& names,
                                                    ExprUse use, ExprSyntaxError& error);

}  // namespace metrics_adapter
