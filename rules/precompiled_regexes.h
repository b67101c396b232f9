// PrecompiledRegexes: the regexes of many rules compiled on helper threads
// while the loading thread compiles the rules themselves, in order.
//
// Compiling a rule's RE2 is most of what loading it costs (a thousand
// access-log rules: about 250k instructions each, twice what the rest of a
// rule costs); the rules are independent, so their regexes can be compiled
// side by side while everything else about a rule (its emits, its errors, in
// file order) stays on the loading thread. The helpers compile the patterns
// in the order given; the loading thread takes each regex by its pattern,
// waiting if a helper is compiling it, or compiling it itself if no helper
// has come to it yet. A pattern not given here (or taken already) gives
// null, and the caller compiles it: the result never depends on this step.
//
// Not thread-safe: one loading thread constructs, takes and destroys an
// instance (the helpers are its own).
//
// Usage:
//   PrecompiledRegexes regexes(patterns, RuleRegexOptions(), 2);
//   std::unique_ptr<RE2> regex = regexes.Take(pattern);  // null: compile it yourself
#pragma once

#include <re2/re2.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace metrics_adapter {

class PrecompiledRegexes {
 public:
  // Below this many patterns per thread, a helper costs more than it saves.
  static constexpr std::size_t kMinPatternsPerThread = 32;

  // Starts compiling `patterns` (in this order) with `options` on up to
  // `threads` - 1 helper threads: the loading thread is the last of
  // `threads`. With 0 or 1, or few patterns, nothing starts and Take
  // compiles each pattern when asked.
  PrecompiledRegexes(std::vector<std::string> patterns, const RE2::Options& options,
                     std::size_t threads);
  // Stops the helpers after the regex each is compiling.
  ~PrecompiledRegexes();
  PrecompiledRegexes(const PrecompiledRegexes&) = delete;
  PrecompiledRegexes& operator=(const PrecompiledRegexes&) = delete;

  // The regex for `pattern` (the next one, if it was given several times),
  // handed over; null if it was not given or is taken already.
  std::unique_ptr<RE2> Take(const std::string& pattern);

 private:
  enum State : int { kWaiting, kCompiling, kDone };
  struct Slot {
    std::string pattern;
    std::unique_ptr<RE2> regex;
    std::atomic<int> state{kWaiting};
  };

  // Compiles the slot if nobody has claimed it; true if this call did.
  bool Claim(Slot& slot);
  void Help();

  RE2::Options options_;
  std::vector<Slot> slots_;
  // Per pattern, its slots in order, and how many of them are taken.
  std::unordered_map<std::string, std::pair<std::vector<std::size_t>, std::size_t>> by_pattern_;
  std::atomic<std::size_t> next_{0};  // the next slot a helper looks at
  std::atomic<bool> stop_{false};
  std::vector<std::thread> helpers_;
};

}  // namespace metrics_adapter
