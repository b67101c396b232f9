// PrecompiledRegexes: the regexes of many rules compiled at once, on several
// threads, before the rules themselves are compiled in order.
//
// Compiling a rule's RE2 is most of what loading it costs (a thousand
// access-log rules: about 250k instructions each, a quarter of the load);
// the rules are independent, so their regexes can be compiled side by side
// while everything else about a rule (its emits, its errors, in file order)
// stays on the loading thread. The rule compiler takes each regex by its
// pattern; a pattern not compiled here (or taken already) it compiles
// itself, so the result never depends on this step.
//
// Not thread-safe: one loader builds and takes from one instance.
//
// Usage:
//   PrecompiledRegexes regexes =
//       PrecompiledRegexes::Compile(patterns, RuleRegexOptions(), 2);
//   std::unique_ptr<RE2> regex = regexes.Take(pattern);  // null: compile it yourself
#pragma once

#include <re2/re2.h>

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace metrics_adapter {

class PrecompiledRegexes {
 public:
  // Below this many patterns a second thread costs more than it saves.
  static constexpr std::size_t kMinPatternsPerThread = 32;

  // `patterns` compiled with `options` on up to `threads` threads (the
  // caller's included, so 1 compiles on the caller's alone). A pattern given
  // twice is compiled once.
  static PrecompiledRegexes Compile(std::vector<std::string> patterns, const RE2::Options& options,
                                    std::size_t threads);

  // The regex compiled for `pattern`, handed over; null if there is none.
  std::unique_ptr<RE2> Take(const std::string& pattern);

 private:
  std::unordered_map<std::string, std::unique_ptr<RE2>> regexes_;
};

}  // namespace metrics_adapter
