#include "rules/expression/type_check.h"

#include <string>

namespace metrics_adapter {

std::string_view ExprTypeName(ExprType type) {
  switch (type) {
    case ExprType::kInt:
      return "an integer";
    case ExprType::kFloat:
      return "a float";
    case ExprType::kNumber:
      return "a number";
    case ExprType::kText:
      return "a capture's text";
    case ExprType::kString:
      return "a string";
    case ExprType::kBool:
      return "a condition";
  }
  return "?";
}

namespace {

bool IsNumeric(ExprType t) {
  return t == ExprType::kInt || t == ExprType::kFloat || t == ExprType::kNumber ||
         t == ExprType::kText;
}

// The kind of an arithmetic result: int64 when both sides are, float when
// either is, else known only per line.
ExprType Arithmetic(ExprType a, ExprType b) {
  if (a == ExprType::kFloat || b == ExprType::kFloat) return ExprType::kFloat;
  if (a == ExprType::kInt && b == ExprType::kInt) return ExprType::kInt;
  return ExprType::kNumber;
}

bool IsConstantZero(const ExprNode& node) {
  return (node.op == ExprOp::kIntConst && node.integer == 0) ||
         (node.op == ExprOp::kFloatConst && node.real == 0);
}

class Checker {
 public:
  Checker(Expression& expr, ExprSyntaxError& error) : expr_(expr), error_(error) {}

  // Types node `index` and its children (children come before parents in
  // `nodes`, but recursion keeps the order of errors the text's).
  bool Check(int index) {
    ExprNode& node = expr_.nodes[static_cast<std::size_t>(index)];
    for (int kid : node.kids) {
      if (!Check(kid)) return false;
    }
    auto kid = [&](std::size_t i) -> const ExprNode& { return expr_.at(node.kids[i]); };
    switch (node.op) {
      case ExprOp::kIntConst:
      case ExprOp::kParseInt:
        node.type = ExprType::kInt;
        if (node.op == ExprOp::kParseInt && !NeedText(kid(0))) return false;
        return true;
      case ExprOp::kFloatConst:
      case ExprOp::kTime:
      case ExprOp::kNow:
      case ExprOp::kDiv:
        node.type = ExprType::kFloat;
        if (node.op == ExprOp::kDiv) return Divisible(node);
        return true;
      case ExprOp::kStringConst:
      case ExprOp::kConcat:
        node.type = ExprType::kString;
        for (std::size_t i = 0; i < node.kids.size(); ++i) {
          if (!NeedValue(kid(i))) return false;
        }
        return true;
      case ExprOp::kCapture:
      case ExprOp::kRecordLabel:
        node.type = ExprType::kText;
        return true;
      case ExprOp::kRecordValue:
      case ExprOp::kStateRead:
        node.type = ExprType::kNumber;
        for (std::size_t i = 0; i < node.kids.size(); ++i) {
          if (!NeedValue(kid(i))) return false;
        }
        return true;
      case ExprOp::kHas:
        node.type = ExprType::kBool;
        return true;
      default:
        return CheckOperator(node);
    }
    return true;
  }

  // Types an operator or function node whose children are typed.
  bool CheckOperator(ExprNode& node) {
    auto kid = [&](std::size_t i) -> const ExprNode& { return expr_.at(node.kids[i]); };
    switch (node.op) {
      case ExprOp::kNeg:
      case ExprOp::kAbs:
        if (!NeedNumber(kid(0))) return false;
        node.type = kid(0).type == ExprType::kText ? ExprType::kNumber : kid(0).type;
        return true;
      case ExprOp::kToInt:
        node.type = ExprType::kInt;
        return NeedNumber(kid(0));
      case ExprOp::kBitNot:
        node.type = ExprType::kInt;
        return NeedInteger(kid(0));
      case ExprOp::kNot:
        node.type = ExprType::kBool;
        return NeedCondition(kid(0));
      case ExprOp::kAdd:
      case ExprOp::kSub:
      case ExprOp::kMul:
      case ExprOp::kIntDiv:
      case ExprOp::kMod:
        if (!NeedNumber(kid(0)) || !NeedNumber(kid(1))) return false;
        node.type = Arithmetic(kid(0).type, kid(1).type);
        if (node.op == ExprOp::kIntDiv || node.op == ExprOp::kMod) return Divisible(node);
        return true;
      case ExprOp::kBitAnd:
      case ExprOp::kBitOr:
      case ExprOp::kBitXor:
      case ExprOp::kShl:
      case ExprOp::kShr:
        node.type = ExprType::kInt;
        return NeedInteger(kid(0)) && NeedInteger(kid(1));
      case ExprOp::kMin:
      case ExprOp::kMax: {
        ExprType type = ExprType::kInt;
        for (std::size_t i = 0; i < node.kids.size(); ++i) {
          if (!NeedNumber(kid(i))) return false;
          type = i == 0 ? (kid(0).type == ExprType::kText ? ExprType::kNumber : kid(0).type)
                        : Arithmetic(type, kid(i).type);
        }
        node.type = type;
        return true;
      }
      case ExprOp::kEq:
      case ExprOp::kNe:
      case ExprOp::kLt:
      case ExprOp::kLe:
      case ExprOp::kGt:
      case ExprOp::kGe:
        node.type = ExprType::kBool;
        return Comparable(node, kid(0), kid(1));
      case ExprOp::kAnd:
      case ExprOp::kOr:
        node.type = ExprType::kBool;
        return NeedCondition(kid(0)) && NeedCondition(kid(1));
      default:
        break;
    }
    return true;
  }

  bool Fail(const ExprNode& at, std::string message) {
    error_ = {at.begin, std::move(message)};
    return false;
  }

  bool NeedNumber(const ExprNode& node) {
    if (IsNumeric(node.type)) return true;
    return Fail(
        node, std::string(ExprTypeName(node.type)) + " where a number is needed: " + Quoted(node));
  }

  bool NeedInteger(const ExprNode& node) {
    if (!NeedNumber(node)) return false;
    if (node.type != ExprType::kFloat) return true;
    return Fail(node, "bit operations take integers, and " + Quoted(node) +
                          " is a float (int(x) truncates one)");
  }

  bool NeedText(const ExprNode& node) {
    if (node.type == ExprType::kText || node.type == ExprType::kString) return true;
    return Fail(node, "int(x, base) reads text, and " + Quoted(node) + " is " +
                          std::string(ExprTypeName(node.type)));
  }

  bool NeedValue(const ExprNode& node) {
    if (node.type != ExprType::kBool) return true;
    return Fail(node, "a condition where a value is needed: " + Quoted(node));
  }

  bool NeedCondition(const ExprNode& node) {
    if (node.type == ExprType::kBool) return true;
    return Fail(node,
                std::string(ExprTypeName(node.type)) +
                    " where a condition is needed (compare it: == != < <= > >=): " + Quoted(node));
  }

  bool Divisible(const ExprNode& node) {
    const ExprNode& divisor = expr_.at(node.kids[1]);
    if (!IsConstantZero(divisor)) return true;
    return Fail(divisor, "division by a constant zero");
  }

  // Numbers compare with numbers (a capture's text is read as one), strings
  // with strings or captures, conditions with conditions.
  bool Comparable(const ExprNode& node, const ExprNode& a, const ExprNode& b) {
    const bool a_number = a.type != ExprType::kString && a.type != ExprType::kBool;
    const bool b_number = b.type != ExprType::kString && b.type != ExprType::kBool;
    const bool a_text = a.type == ExprType::kText || a.type == ExprType::kString;
    const bool b_text = b.type == ExprType::kText || b.type == ExprType::kString;
    if ((a_number && b_number) || (a_text && b_text)) return true;
    if (a.type == ExprType::kBool && b.type == ExprType::kBool) {
      if (node.op == ExprOp::kEq || node.op == ExprOp::kNe) return true;
      return Fail(node, "conditions are only compared with == and !=");
    }
    return Fail(node, "cannot compare " + std::string(ExprTypeName(a.type)) + " with " +
                          std::string(ExprTypeName(b.type)) + ": " + Quoted(node));
  }

  std::string Quoted(const ExprNode& node) const {
    return "\"" +
           expr_.source.substr(static_cast<std::size_t>(node.begin),
                               static_cast<std::size_t>(node.end - node.begin)) +
           "\"";
  }

 private:
  Expression& expr_;
  ExprSyntaxError& error_;
};

}  // namespace

bool TypeCheckExpression(Expression& expr, ExprUse use, ExprSyntaxError& error) {
  Checker checker(expr, error);
  if (!checker.Check(expr.root)) return false;
  const ExprNode& root = expr.at(expr.root);
  switch (use) {
    case ExprUse::kNumber:
      return checker.NeedNumber(root);
    case ExprUse::kText:
      return checker.NeedValue(root);
    case ExprUse::kCondition:
      return checker.NeedCondition(root);
  }
  return true;
}

}  // namespace metrics_adapter
