// The values an expression computes, and why an evaluation can fail.
//
// A Value is a small tagged union that never owns memory: text views a
// capture, a record label, the expression's constants or the evaluator's
// per-thread arena (see evaluator.h), so evaluating allocates nothing.
#pragma once

#include <cstdint>
#include <string_view>

namespace metrics_adapter {

// What a value is at run time.
enum class ValueKind : std::uint8_t {
  kInt,    // int64
  kFloat,  // double
  kText,   // bytes: a capture, a record label, a string constant, a concatenation
  kBool,   // a comparison's or a condition's result
};

struct Value {
  ValueKind kind = ValueKind::kInt;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string_view text;

  static Value Int(std::int64_t v) { return Value{ValueKind::kInt, false, v, 0, {}}; }
  static Value Float(double v) { return Value{ValueKind::kFloat, false, 0, v, {}}; }
  static Value Text(std::string_view v) { return Value{ValueKind::kText, false, 0, 0, v}; }
  static Value Bool(bool v) { return Value{ValueKind::kBool, v, 0, 0, {}}; }
  bool IsNumber() const { return kind == ValueKind::kInt || kind == ValueKind::kFloat; }
  double AsDouble() const { return kind == ValueKind::kInt ? static_cast<double>(integer) : real; }
};

// Why an evaluation gave no value. kAbsent is not an error: a capture of an
// optional group that did not take part skips the update, as the plain
// `$capture` form always has. Every other reason skips the update and is
// counted in metrics_adapter_update_errors_total{reason=EvalErrorName(...)}.
enum class EvalError : std::uint8_t {
  kNone,
  kAbsent,
  kInvalidValue,    // text where a number is needed that is not one; a bad counter increment
  kDivisionByZero,  // `/`, `//` or `%` by zero
  kInvalidInt,      // int(text, base) of text that is no integer in that base
  kOutOfRange,      // a shift by less than 0 or more than 63; a non-integral bit operand
  kNoValue,         // a state table has no (live) entry for the key
  kInvalidTime,     // the rule's time capture does not fit its layout
  kTooLong,         // text built by `..` or a label expression passed the arena's size
  kStateFull,       // a state table at its max_keys refused a new key
};
inline constexpr int kEvalErrorCount = static_cast<int>(EvalError::kStateFull) + 1;

// The `reason` label of an error ("" for kNone and kAbsent).
std::string_view EvalErrorName(EvalError error);

}  // namespace metrics_adapter
