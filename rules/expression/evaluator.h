// Evaluating a compiled Expression against one matched line.
//
// Numbers: integer constants, a capture whose text is an integer (optional
// sign, decimal digits, within int64) and the results of integer arithmetic
// are int64; anything else numeric is a double. `+ - *`, `//`, `%`, `min`,
// `max`, `abs` and unary `-` stay int64 when every operand is, and give a
// double when one is a double or when the int64 result would overflow. `/`
// always gives a double. `//` and `%` round toward negative infinity (7 // -2
// is -4, -7 % 3 is 2), for int64 and double alike. Bit operations and shifts
// take int64 (a double with no fraction is accepted); `>>` is arithmetic.
//
// Evaluate never throws and never allocates: text it builds (`..`, numbers
// in a label) goes into the caller's EvalScratch, whose fixed arena the
// caller resets once per update.
#pragma once

#include <re2/stringpiece.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parsers/parser.h"
#include "rules/expression/expression.h"
#include "rules/expression/value.h"

namespace metrics_adapter {

// What an expression reads besides the line's captures and record: the
// rule's time, the wall clock, state tables. Implemented by the rule engine.
class EvalEnvironment {
 public:
  virtual ~EvalEnvironment() = default;
  // The line's time (seconds since the epoch) from the rule's `time:`.
  virtual EvalError Time(double& seconds) = 0;
  virtual double Now() = 0;
  // The value of table `table` under `key` (its parts, in order).
  virtual EvalError StateRead(int table, std::span<const std::string_view> key, Value& out) = 0;
};

struct EvalInput {
  const Record* record = nullptr;
  const re2::StringPiece* captures = nullptr;  // group 0 is the whole match
  EvalEnvironment* environment = nullptr;      // null: $time, now() and state give no value
};

// Per-thread memory for evaluations.
class EvalScratch {
 public:
  static constexpr std::size_t kArenaBytes = 4096;
  static constexpr std::size_t kMaxKeyParts = 8;
  EvalScratch() : arena_(new char[kArenaBytes]) {}
  // Forgets the text built so far; views into it become invalid.
  void Reset() { used_ = 0; }
  // `size` bytes of arena, or null when it is full.
  char* Allocate(std::size_t size) {
    if (size > kArenaBytes - used_) return nullptr;
    char* at = arena_.get() + used_;
    used_ += size;
    return at;
  }

 private:
  std::unique_ptr<char[]> arena_;
  std::size_t used_ = 0;
};

// For `explain`: each input an evaluation read and the result, as
// ("$bytes_out", "500") pairs in the order read. Allocates; explain only.
using ExprTrace = std::vector<std::pair<std::string, std::string>>;

// Evaluates `expr` into `out`. Returns kNone on success; otherwise why not
// (out is then unspecified).
EvalError Evaluate(const Expression& expr, const EvalInput& input, EvalScratch& scratch, Value& out,
                   ExprTrace* trace = nullptr);

// `value` as label text: text as it is, an int64 in decimal, a double in
// the shortest form that reads back the same (3.0 is "3"), a condition as
// "true"/"false". May write into `scratch`; kTooLong when it is full.
EvalError ValueText(const Value& value, EvalScratch& scratch, std::string_view& out);

// Reads a line's text as a number: int64 if it is an integer, else a double
// (ParseNumber's syntax); false if it is not a number.
bool TextToNumber(std::string_view text, Value& out);

}  // namespace metrics_adapter
