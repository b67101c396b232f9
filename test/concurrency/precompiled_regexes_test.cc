// Tests for PrecompiledRegexes: each pattern handed over as often as it was
// given, on any number of threads (helpers and the loading thread racing for
// the same patterns). In concurrency_tests, so ThreadSanitizer runs it too.

#include "rules/precompiled_regexes.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "rules/rule_set.h"

namespace metrics_adapter {
namespace {

TEST_CASE("PrecompiledRegexes hands over each pattern's regex once, on any thread count") {
  std::vector<std::string> patterns;
  patterns.reserve(202);
  for (int i = 0; i < 200; ++i) patterns.push_back("^/svc" + std::to_string(i) + "/(\\d+)$");
  patterns.push_back(patterns.front());  // given twice: handed over twice
  patterns.push_back("(unclosed");
  for (std::size_t threads : {0, 1, 2, 4}) {
    CAPTURE(threads);
    PrecompiledRegexes regexes(RuleRegexOptions(), threads);
    for (const std::string& pattern : patterns) regexes.Add(pattern);
    for (int i = 0; i < 200; ++i) {
      const std::string& pattern = patterns[static_cast<std::size_t>(i)];
      PrecompiledRegexes::Compiled compiled = regexes.Take(pattern);
      REQUIRE(compiled.regex != nullptr);
      CHECK(compiled.regex->ok());
      CHECK(compiled.regex->pattern() == pattern);
      CHECK(RE2::FullMatch("/svc" + std::to_string(i) + "/42", *compiled.regex));
      // Its bounds come with it, as BoundsOf finds them on this thread.
      const RegexBounds expected = BoundsOf(*compiled.regex);
      CHECK(compiled.bounds.literal_prefix == "/svc" + std::to_string(i) + "/");
      CHECK(compiled.bounds.range_min == expected.range_min);
      CHECK(compiled.bounds.range_max == expected.range_max);
      CHECK(compiled.bounds.literal_prefix == expected.literal_prefix);
      CHECK(compiled.bounds.literal_suffix == expected.literal_suffix);
      CHECK(compiled.bounds.exact_literal == expected.exact_literal);
    }
    REQUIRE(regexes.Take(patterns.front()).regex != nullptr);  // its second time
    CHECK(regexes.Take(patterns.front()).regex == nullptr);    // taken already
    CHECK(regexes.Take("^never given$").regex == nullptr);
    // A pattern RE2 rejects is handed over too, with RE2's error.
    std::unique_ptr<RE2> broken = regexes.Take("(unclosed").regex;
    REQUIRE(broken != nullptr);
    CHECK_FALSE(broken->ok());
  }
}

TEST_CASE("PrecompiledRegexes: patterns added while others are taken") {
  // As the rule loader does: patterns are added as a file is parsed, and
  // helpers start and compile while more come; then all are taken in order.
  for (std::size_t threads : {1, 2, 3}) {
    CAPTURE(threads);
    PrecompiledRegexes regexes(RuleRegexOptions(), threads);
    std::vector<std::string> added;
    for (int i = 0; i < 150; ++i) {
      added.push_back("^/added" + std::to_string(i) + "/(\\d+)$");
      regexes.Add(added.back());
      if (i % 50 == 49) {
        // A take in the middle: the first pattern not yet taken.
        const std::string& first = added[static_cast<std::size_t>(i - 49)];
        PrecompiledRegexes::Compiled compiled = regexes.Take(first);
        REQUIRE(compiled.regex != nullptr);
        CHECK(compiled.regex->pattern() == first);
      }
    }
    for (std::size_t i = 0; i < added.size(); ++i) {
      CAPTURE(i);
      PrecompiledRegexes::Compiled compiled = regexes.Take(added[i]);
      if (i % 50 == 0) {
        CHECK(compiled.regex == nullptr);  // taken in the middle
        continue;
      }
      REQUIRE(compiled.regex != nullptr);
      CHECK(compiled.regex->ok());
      CHECK(compiled.bounds.literal_prefix == "/added" + std::to_string(i) + "/");
    }
  }
}

}  // namespace
}  // namespace metrics_adapter
