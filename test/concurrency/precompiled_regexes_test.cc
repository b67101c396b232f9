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
    PrecompiledRegexes regexes(patterns, RuleRegexOptions(), threads);
    for (int i = 0; i < 200; ++i) {
      std::unique_ptr<RE2> regex = regexes.Take(patterns[static_cast<std::size_t>(i)]);
      REQUIRE(regex != nullptr);
      CHECK(regex->ok());
      CHECK(regex->pattern() == patterns[static_cast<std::size_t>(i)]);
      CHECK(RE2::FullMatch("/svc" + std::to_string(i) + "/42", *regex));
    }
    REQUIRE(regexes.Take(patterns.front()) != nullptr);  // its second time
    CHECK(regexes.Take(patterns.front()) == nullptr);    // taken already
    CHECK(regexes.Take("^never given$") == nullptr);
    // A pattern RE2 rejects is handed over too, with RE2's error.
    std::unique_ptr<RE2> broken = regexes.Take("(unclosed");
    REQUIRE(broken != nullptr);
    CHECK_FALSE(broken->ok());
  }
}

}  // namespace
}  // namespace metrics_adapter
