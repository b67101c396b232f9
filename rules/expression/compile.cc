#include "rules/expression/compile.h"

#include <vector>

namespace metrics_adapter {

std::shared_ptr<const Expression> CompileExpression(std::string_view text, ExpressionNames& names,
                                                    ExprUse use, ExprSyntaxError& error) {
  error = {};
  std::vector<ExprToken> tokens;
  if (!LexExpression(text, tokens, error)) return nullptr;
  auto expr = std::make_shared<Expression>();
  expr->source = std::string(text);
  if (!ParseExpression(tokens, names, *expr, error)) return nullptr;
  if (!TypeCheckExpression(*expr, use, error)) return nullptr;
  return expr;
}

}  // namespace metrics_adapter
