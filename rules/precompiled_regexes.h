// PrecompiledRegexes: the regexes of many rules compiled (and their bounds
// found, literal_bounds.h) on helper threads while the loading thread reads
// the rule files and compiles the rules themselves, in order.
//
// Compiling a rule's RE2 is most of what loading it costs (a thousand
// access-log rules: about 250k instructions each, twice what the rest of a
// rule costs); the rules are independent, so their regexes can be compiled
// side by side with everything else, which stays on the loading thread (the
// YAML parse, a rule's emits and errors, in file order). The loading thread
// adds each pattern as soon as it knows it, while the file is still being
// parsed; the helpers compile the patterns in the order added. The loading
// thread then takes each regex by its pattern, waiting if a helper is
// compiling it, or compiling it itself if no helper has come to it yet. A
// pattern not added (or taken already) gives a null regex, and the caller
// compiles it: the result never depends on this step.
//
// Not thread-safe: one loading thread constructs, adds, takes and destroys
// an instance (the helpers are its own).
//
// Usage:
//   PrecompiledRegexes regexes(RuleRegexOptions(), 2);
//   regexes.Add(pattern);                     // as each is parsed
//   PrecompiledRegexes::Compiled compiled = regexes.Take(pattern);
//   if (!compiled.regex) ...                  // compile it yourself
#pragma once

#include <re2/re2.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rules/literal_bounds.h"

namespace metrics_adapter {

class PrecompiledRegexes {
 public:
  // Below this many patterns per thread, a helper costs more than it saves.
  static constexpr std::size_t kMinPatternsPerThread = 32;

  // Compiles with `options` on up to `threads` - 1 helper threads: the
  // loading thread is the last of `threads`. Helper k starts once k *
  // kMinPatternsPerThread patterns are added; with 0 or 1 thread none does,
  // and Take compiles each pattern when asked.
  PrecompiledRegexes(const RE2::Options& options, std::size_t threads);
  // Stops the helpers after the regex each is compiling.
  ~PrecompiledRegexes();
  PrecompiledRegexes(const PrecompiledRegexes&) = delete;
  PrecompiledRegexes& operator=(const PrecompiledRegexes&) = delete;

  // Queues `pattern` for the helpers, after those added before.
  void Add(std::string pattern);

  struct Compiled {
    std::unique_ptr<RE2> regex;
    RegexBounds bounds;  // BoundsOf(*regex) when regex->ok()
  };
  // The regex for `pattern` (the next one, if it was added several times),
  // handed over; a null regex if it was not added or is taken already.
  Compiled Take(const std::string& pattern);

 private:
  enum State : int { kWaiting, kCompiling, kDone };
  struct Slot {
    std::string pattern;
    Compiled compiled;
    std::atomic<int> state{kWaiting};
  };

  // Compiles the slot if nobody has claimed it; true if this call did.
  bool Claim(Slot& slot);
  void Help();

  RE2::Options options_;
  std::size_t threads_;
  // Added patterns; a deque, so that a slot stays where it is as more are
  // added. Appended under mu_, which the helpers hold to find their next.
  std::deque<Slot> slots_;
  std::mutex mu_;
  std::condition_variable added_;  // a slot was added, or stop_ was set
  std::size_t next_ = 0;           // the next slot a helper looks at (under mu_)
  bool stop_ = false;              // under mu_
  // Per pattern, its slots in order, and how many of them are taken (the
  // loading thread's alone).
  std::unordered_map<std::string, std::pair<std::vector<Slot*>, std::size_t>> by_pattern_;
  std::vector<std::thread> helpers_;
};

}  // namespace metrics_adapter
