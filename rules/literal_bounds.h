// Literal text every match of a rule's regex must start and end with, found
// once when rules are compiled. Comparing a record with them costs a few
// nanoseconds; running the regex costs a hundred or more. On a status page
// most records (`upstreams.b7.peers.3.header_time`) fail a rule's bounds
// (`upstreams.` ... `.requests`), so most regexes never run.
//
// Both are conservative: when the pattern holds anything this reader does
// not fully understand, the bound is empty (no filtering), never wrong.
//
// Usage:
//   std::string suffix = RequiredLiteralSuffix(R"(^upstreams\.(\w+)\.requests$)");
//   // suffix == ".requests"
#pragma once

#include <re2/re2.h>

#include <string>
#include <string_view>

namespace metrics_adapter {

// The literal text every match of `pattern` ends with, if the pattern ends
// in an unescaped `$` (end of text, as RE2 reads it without (?m)). Empty when
// nothing can be said: no `$` at the end, a top-level `|`, a quantifier,
// class or group right before the `$`, flags such as (?i) or (?m), escapes
// such as \x41 or \Q...\E, or non-ASCII bytes.
std::string RequiredLiteralSuffix(std::string_view pattern);

// The longest literal text every match of `pattern` contains: a run of
// literal bytes outside any group and not under a quantifier, such as
// " /svc42/" in `^\S+ "[A-Z]+ /svc42/[^"]*"`. Empty when there is none or
// the pattern holds what RequiredLiteralSuffix gives up on (a top-level
// `|`, flags, unusual escapes, non-ASCII bytes). Its bytes match exactly:
// a pattern that could fold case is given up on.
std::string RequiredLiteral(std::string_view pattern);

// The text both bounds of a match range share: every string between them
// (inclusive, byte order) starts with it.
std::string_view CommonPrefix(std::string_view low, std::string_view high);

// Everything a rule's cheap checks know of its regex (CompiledRule in
// rule_set.h says how they are used). Empty strings mean no bound.
struct RegexBounds {
  // Every text the regex matches whole lies in [range_min, range_max]
  // (RE2::PossibleMatchRange, for patterns anchored at both ends).
  std::string range_min, range_max;
  // What the range's ends share; RequiredLiteralSuffix of the pattern.
  std::string literal_prefix, literal_suffix;
  // The regex matches range_min and nothing else, and captures nothing.
  bool exact_literal = false;
};

// The bounds of `regex`, which must be ok(). Costs about as much as a tenth
// of compiling it (PossibleMatchRange builds and walks its DFA), so it is
// found where the regex is compiled (precompiled_regexes.h).
RegexBounds BoundsOf(const RE2& regex);

}  // namespace metrics_adapter
