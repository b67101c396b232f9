#include "rules/expression/evaluator.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "parsers/number.h"

namespace metrics_adapter {
namespace {

constexpr double kTwoTo63 = 9223372036854775808.0;

// A double with no fraction within int64, as an int64.
bool ExactInt(double d, std::int64_t& out) {
  if (!(d >= -kTwoTo63 && d < kTwoTo63) || d != std::trunc(d)) return false;
  out = static_cast<std::int64_t>(d);
  return true;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::int64_t FloorMod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// Text of an integer in `base` (a 0x/0o/0b prefix that fits the base is
// allowed, as is a sign), within int64.
bool ParseIntText(std::string_view text, int base, std::int64_t& out) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.size() > 2 && text[0] == '0') {
    const char p = static_cast<char>(text[1] | 0x20);
    if ((p == 'x' && base == 16) || (p == 'o' && base == 8) || (p == 'b' && base == 2)) {
      text.remove_prefix(2);
    }
  }
  if (text.empty()) return false;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  // Hex and binary words are often bit patterns: up to 64 bits read as such.
  if (base != 10 && !negative) {
    out = static_cast<std::int64_t>(magnitude);
    return true;
  }
  constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > kLimit + (negative ? 1 : 0)) return false;
  out = negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

// `a op b` for + - * // % on int64 into `r`; `overflow` when it does not
// fit. False for a division by zero.
bool IntArithmetic(ExprOp op, std::int64_t a, std::int64_t b, std::int64_t& r, bool& overflow) {
  switch (op) {
    case ExprOp::kAdd:
      overflow = __builtin_add_overflow(a, b, &r);
      return true;
    case ExprOp::kSub:
      overflow = __builtin_sub_overflow(a, b, &r);
      return true;
    case ExprOp::kMul:
      overflow = __builtin_mul_overflow(a, b, &r);
      return true;
    case ExprOp::kIntDiv:
    case ExprOp::kMod:
      if (b == 0) return false;
      if (b == -1) {  // INT64_MIN // -1 overflows; x % -1 is 0
        r = 0;
        if (op == ExprOp::kIntDiv) overflow = __builtin_sub_overflow(std::int64_t{0}, a, &r);
        return true;
      }
      r = op == ExprOp::kIntDiv ? FloorDiv(a, b) : FloorMod(a, b);
      return true;
    default:
      return true;
  }
}

class Evaluator {
 public:
  Evaluator(const Expression& expr, const EvalInput& input, EvalScratch& scratch, ExprTrace* trace)
      : expr_(expr), input_(input), scratch_(scratch), trace_(trace) {}

  EvalError Eval(int index, Value& out) {
    const ExprNode& node = expr_.at(index);
    switch (node.op) {
      case ExprOp::kStateRead:
        return StateRead(index, node, out);
      case ExprOp::kNeg:
      case ExprOp::kAbs:
      case ExprOp::kToInt:
      case ExprOp::kBitNot:
        return UnaryNumber(node, out);
      case ExprOp::kNot: {
        const EvalError error = Eval(node.kids[0], out);
        out.boolean = !out.boolean;
        return error;
      }
      case ExprOp::kParseInt: {
        Value text;
        if (EvalError error = Eval(node.kids[0], text); error != EvalError::kNone) return error;
        std::int64_t parsed = 0;
        if (!ParseIntText(text.text, static_cast<int>(node.integer), parsed)) {
          return EvalError::kInvalidInt;
        }
        out = Value::Int(parsed);
        return EvalError::kNone;
      }
      case ExprOp::kAnd:
      case ExprOp::kOr: {
        if (EvalError error = Eval(node.kids[0], out); error != EvalError::kNone) return error;
        if (out.boolean == (node.op == ExprOp::kOr)) return EvalError::kNone;  // short-circuit
        return Eval(node.kids[1], out);
      }
      case ExprOp::kConcat:
        return Concat(node, out);
      case ExprOp::kEq:
      case ExprOp::kNe:
      case ExprOp::kLt:
      case ExprOp::kLe:
      case ExprOp::kGt:
      case ExprOp::kGe:
        return Compare(node, out);
      case ExprOp::kMin:
      case ExprOp::kMax:
        return MinMax(node, out);
      default:
        return Leaf(index, node, out);
    }
  }

  // A constant, a capture, a record's label or value, the time or clock.
  EvalError Leaf(int index, const ExprNode& node, Value& out) {
    switch (node.op) {
      case ExprOp::kIntConst:
        out = Value::Int(node.integer);
        return EvalError::kNone;
      case ExprOp::kFloatConst:
        out = Value::Float(node.real);
        return EvalError::kNone;
      case ExprOp::kStringConst:
        out = Value::Text(node.text);
        return EvalError::kNone;
      case ExprOp::kCapture: {
        const re2::StringPiece group = input_.captures[node.index];
        if (group.data() == nullptr) return Traced(index, EvalError::kAbsent);
        out = Value::Text(std::string_view(group.data(), group.size()));
        return Traced(index, out);
      }
      case ExprOp::kRecordLabel:
        out = Value::Text({});
        for (const RecordLabel& label : input_.record->labels) {
          if (label.name == node.text) {
            out = Value::Text(label.value);
            break;
          }
        }
        return Traced(index, out);
      case ExprOp::kRecordValue: {
        const std::optional<double> number = input_.record->Number();
        if (!number) return Traced(index, EvalError::kAbsent);
        if (!std::isfinite(*number)) return Traced(index, EvalError::kInvalidValue);
        out = Value::Float(*number);
        return Traced(index, out);
      }
      case ExprOp::kTime: {
        if (!input_.environment) return EvalError::kInvalidTime;
        double seconds = 0;
        const EvalError error = input_.environment->Time(seconds);
        if (error != EvalError::kNone) return Traced(index, error);
        out = Value::Float(seconds);
        return Traced(index, out);
      }
      case ExprOp::kNow:
        out = Value::Float(input_.environment ? input_.environment->Now() : 0);
        return Traced(index, out);
      case ExprOp::kHas:
        out = Value::Bool(input_.captures[node.index].data() != nullptr);
        return EvalError::kNone;
      default:
        return BinaryNumber(node, out);
    }
  }

  EvalError Traced(int index, EvalError error) {
    if (trace_) {
      trace_->emplace_back(std::string(expr_.TextOf(index)),
                           error == EvalError::kAbsent
                               ? "(did not take part)"
                               : "(" + std::string(EvalErrorName(error)) + ")");
    }
    return error;
  }

  EvalError Traced(int index, const Value& value) {
    if (trace_) trace_->emplace_back(std::string(expr_.TextOf(index)), Describe(value));
    return EvalError::kNone;
  }

  std::string Describe(const Value& value) {
    std::string_view text;
    if (ValueText(value, scratch_, text) != EvalError::kNone) return "(too long)";
    return value.kind == ValueKind::kText ? "\"" + std::string(text) + "\"" : std::string(text);
  }

 private:
  EvalError Number(int index, Value& out) {
    if (EvalError error = Eval(index, out); error != EvalError::kNone) return error;
    if (out.kind == ValueKind::kText && !TextToNumber(out.text, out)) {
      return EvalError::kInvalidValue;
    }
    return EvalError::kNone;
  }

  EvalError Integer(int index, std::int64_t& out) {
    Value v;
    if (EvalError error = Number(index, v); error != EvalError::kNone) return error;
    if (v.kind == ValueKind::kInt) {
      out = v.integer;
      return EvalError::kNone;
    }
    return ExactInt(v.real, out) ? EvalError::kNone : EvalError::kOutOfRange;
  }

  EvalError UnaryNumber(const ExprNode& node, Value& out) {
    if (node.op == ExprOp::kBitNot) {
      std::int64_t v = 0;
      if (EvalError error = Integer(node.kids[0], v); error != EvalError::kNone) return error;
      out = Value::Int(~v);
      return EvalError::kNone;
    }
    if (EvalError error = Number(node.kids[0], out); error != EvalError::kNone) return error;
    if (out.kind == ValueKind::kFloat) {
      if (node.op == ExprOp::kToInt) {
        const double t = std::trunc(out.real);
        std::int64_t i = 0;
        if (!ExactInt(t, i)) return EvalError::kOutOfRange;
        out = Value::Int(i);
      } else {
        out.real = node.op == ExprOp::kNeg ? -out.real : std::fabs(out.real);
      }
      return EvalError::kNone;
    }
    const bool negate = node.op == ExprOp::kNeg || (node.op == ExprOp::kAbs && out.integer < 0);
    if (negate) {
      if (out.integer == std::numeric_limits<std::int64_t>::min()) {
        out = Value::Float(kTwoTo63);
      } else {
        out.integer = -out.integer;
      }
    }
    return EvalError::kNone;
  }

  EvalError BinaryNumber(const ExprNode& node, Value& out) {
    const bool bits = node.op == ExprOp::kBitAnd || node.op == ExprOp::kBitOr ||
                      node.op == ExprOp::kBitXor || node.op == ExprOp::kShl ||
                      node.op == ExprOp::kShr;
    if (bits) return Bits(node, out);
    Value a, b;
    if (EvalError error = Number(node.kids[0], a); error != EvalError::kNone) return error;
    if (EvalError error = Number(node.kids[1], b); error != EvalError::kNone) return error;
    if (node.op == ExprOp::kDiv) {
      if (b.AsDouble() == 0) return EvalError::kDivisionByZero;
      out = Value::Float(a.AsDouble() / b.AsDouble());
      return EvalError::kNone;
    }
    if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
      std::int64_t r = 0;
      bool overflow = false;
      if (!IntArithmetic(node.op, a.integer, b.integer, r, overflow)) {
        return EvalError::kDivisionByZero;
      }
      if (!overflow) {
        out = Value::Int(r);
        return EvalError::kNone;
      }
    }
    const double x = a.AsDouble(), y = b.AsDouble();
    switch (node.op) {
      case ExprOp::kAdd:
        out = Value::Float(x + y);
        break;
      case ExprOp::kSub:
        out = Value::Float(x - y);
        break;
      case ExprOp::kMul:
        out = Value::Float(x * y);
        break;
      case ExprOp::kIntDiv:
        if (y == 0) return EvalError::kDivisionByZero;
        out = Value::Float(std::floor(x / y));
        break;
      case ExprOp::kMod:
        if (y == 0) return EvalError::kDivisionByZero;
        out = Value::Float(x - y * std::floor(x / y));
        break;
      default:
        break;
    }
    return EvalError::kNone;
  }

  EvalError Bits(const ExprNode& node, Value& out) {
    std::int64_t a = 0, b = 0;
    if (EvalError error = Integer(node.kids[0], a); error != EvalError::kNone) return error;
    if (EvalError error = Integer(node.kids[1], b); error != EvalError::kNone) return error;
    const auto ua = static_cast<std::uint64_t>(a);
    switch (node.op) {
      case ExprOp::kBitAnd:
        out = Value::Int(a & b);
        break;
      case ExprOp::kBitOr:
        out = Value::Int(a | b);
        break;
      case ExprOp::kBitXor:
        out = Value::Int(a ^ b);
        break;
      case ExprOp::kShl:
      case ExprOp::kShr:
        if (b < 0 || b > 63) return EvalError::kOutOfRange;
        out = Value::Int(node.op == ExprOp::kShl ? static_cast<std::int64_t>(ua << b) : a >> b);
        break;
      default:
        break;
    }
    return EvalError::kNone;
  }

  EvalError MinMax(const ExprNode& node, Value& out) {
    if (EvalError error = Number(node.kids[0], out); error != EvalError::kNone) return error;
    for (std::size_t i = 1; i < node.kids.size(); ++i) {
      Value v;
      if (EvalError error = Number(node.kids[i], v); error != EvalError::kNone) return error;
      bool take;
      if (out.kind == ValueKind::kInt && v.kind == ValueKind::kInt) {
        take = node.op == ExprOp::kMin ? v.integer < out.integer : v.integer > out.integer;
      } else {
        take =
            node.op == ExprOp::kMin ? v.AsDouble() < out.AsDouble() : v.AsDouble() > out.AsDouble();
        // Mixed kinds give a double, whichever wins.
        if (!take && out.kind == ValueKind::kInt) out = Value::Float(out.AsDouble());
      }
      if (take)
        out = v.kind == ValueKind::kInt && out.kind == ValueKind::kFloat
                  ? Value::Float(v.AsDouble())
                  : v;
    }
    return EvalError::kNone;
  }

  EvalError Concat(const ExprNode& node, Value& out) {
    Value a, b;
    std::string_view ta, tb;
    if (EvalError error = Eval(node.kids[0], a); error != EvalError::kNone) return error;
    if (EvalError error = ValueText(a, scratch_, ta); error != EvalError::kNone) return error;
    if (EvalError error = Eval(node.kids[1], b); error != EvalError::kNone) return error;
    if (EvalError error = ValueText(b, scratch_, tb); error != EvalError::kNone) return error;
    char* at = scratch_.Allocate(ta.size() + tb.size());
    if (!at) return EvalError::kTooLong;
    if (!ta.empty()) std::memcpy(at, ta.data(), ta.size());
    if (!tb.empty()) std::memcpy(at + ta.size(), tb.data(), tb.size());
    out = Value::Text(std::string_view(at, ta.size() + tb.size()));
    return EvalError::kNone;
  }

  EvalError Compare(const ExprNode& node, Value& out) {
    Value a, b;
    if (EvalError error = Eval(node.kids[0], a); error != EvalError::kNone) return error;
    if (EvalError error = Eval(node.kids[1], b); error != EvalError::kNone) return error;
    int order = 0;  // <0, 0, >0
    if (a.kind == ValueKind::kBool) {
      order = static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
    } else {
      const ExprType ta = expr_.at(node.kids[0]).type, tb = expr_.at(node.kids[1]).type;
      bool as_text = ta == ExprType::kString || tb == ExprType::kString;
      if (!as_text && a.kind == ValueKind::kText && b.kind == ValueKind::kText) {
        // Two captures: as numbers when both are, else as text.
        Value na, nb;
        as_text = !TextToNumber(a.text, na) || !TextToNumber(b.text, nb);
        if (!as_text) a = na, b = nb;
      }
      if (as_text) {
        const int c = a.text.compare(b.text);
        order = c < 0 ? -1 : c > 0 ? 1 : 0;
      } else {
        if (a.kind == ValueKind::kText && !TextToNumber(a.text, a)) return EvalError::kInvalidValue;
        if (b.kind == ValueKind::kText && !TextToNumber(b.text, b)) return EvalError::kInvalidValue;
        if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
          order = a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
        } else {
          const double x = a.AsDouble(), y = b.AsDouble();
          order = x < y ? -1 : x > y ? 1 : 0;
        }
      }
    }
    bool result = false;
    switch (node.op) {
      case ExprOp::kEq:
        result = order == 0;
        break;
      case ExprOp::kNe:
        result = order != 0;
        break;
      case ExprOp::kLt:
        result = order < 0;
        break;
      case ExprOp::kLe:
        result = order <= 0;
        break;
      case ExprOp::kGt:
        result = order > 0;
        break;
      case ExprOp::kGe:
        result = order >= 0;
        break;
      default:
        break;
    }
    out = Value::Bool(result);
    return EvalError::kNone;
  }

  EvalError StateRead(int index, const ExprNode& node, Value& out) {
    if (!input_.environment || node.kids.size() > EvalScratch::kMaxKeyParts) {
      return Traced(index, EvalError::kNoValue);
    }
    std::string_view key[EvalScratch::kMaxKeyParts];
    for (std::size_t i = 0; i < node.kids.size(); ++i) {
      Value part;
      if (EvalError error = Eval(node.kids[i], part); error != EvalError::kNone) return error;
      if (EvalError error = ValueText(part, scratch_, key[i]); error != EvalError::kNone) {
        return error;
      }
    }
    const EvalError error = input_.environment->StateRead(
        node.index, std::span<const std::string_view>(key, node.kids.size()), out);
    if (error != EvalError::kNone) return Traced(index, error);
    return Traced(index, out);
  }

  const Expression& expr_;
  const EvalInput& input_;
  EvalScratch& scratch_;
  ExprTrace* trace_;
};

}  // namespace

std::string_view EvalErrorName(EvalError error) {
  switch (error) {
    case EvalError::kNone:
    case EvalError::kAbsent:
      return "";
    case EvalError::kInvalidValue:
      return "invalid_value";
    case EvalError::kDivisionByZero:
      return "division_by_zero";
    case EvalError::kInvalidInt:
      return "invalid_int";
    case EvalError::kOutOfRange:
      return "out_of_range";
    case EvalError::kNoValue:
      return "no_value";
    case EvalError::kInvalidTime:
      return "invalid_time";
    case EvalError::kTooLong:
      return "too_long";
    case EvalError::kStateFull:
      return "state_full";
  }
  return "";
}

bool TextToNumber(std::string_view text, Value& out) {
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  if (!digits.empty() && digits.size() <= 19 &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t value = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc()) {
      out = Value::Int(text.front() == '-' ? -value : value);
      return true;
    }
  }
  const std::optional<double> number = ParseNumber(text);
  if (!number) return false;
  out = Value::Float(*number);
  return true;
}

EvalError ValueText(const Value& value, EvalScratch& scratch, std::string_view& out) {
  if (value.kind == ValueKind::kText) {
    out = value.text;
    return EvalError::kNone;
  }
  if (value.kind == ValueKind::kBool) {
    out = value.boolean ? "true" : "false";
    return EvalError::kNone;
  }
  char buffer[32];
  std::to_chars_result result;
  std::int64_t whole = 0;
  if (value.kind == ValueKind::kInt) {
    result = std::to_chars(buffer, buffer + sizeof buffer, value.integer);
  } else if (std::fabs(value.real) < 1e15 && ExactInt(value.real, whole)) {
    result = std::to_chars(buffer, buffer + sizeof buffer, whole);
  } else {
    result = std::to_chars(buffer, buffer + sizeof buffer, value.real);
  }
  const auto size = static_cast<std::size_t>(result.ptr - buffer);
  char* at = scratch.Allocate(size);
  if (!at) return EvalError::kTooLong;
  std::memcpy(at, buffer, size);
  out = std::string_view(at, size);
  return EvalError::kNone;
}

EvalError Evaluate(const Expression& expr, const EvalInput& input, EvalScratch& scratch, Value& out,
                   ExprTrace* trace) {
  Evaluator evaluator(expr, input, scratch, trace);
  const EvalError error = evaluator.Eval(expr.root, out);
  if (trace && error == EvalError::kNone && !expr.at(expr.root).kids.empty()) {
    evaluator.Traced(expr.root, out);
  }
  return error;
}

}  // namespace metrics_adapter
