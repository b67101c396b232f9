// The literal bounds rules are pre-checked with: what a pattern's matches
// must end with, and that the reader gives up (empty) rather than guess.
#include "rules/literal_bounds.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "rules/rule_set.h"

namespace metrics_adapter {
namespace {

TEST_CASE("literal suffix: the literal run before the final $") {
  CHECK(RequiredLiteralSuffix(R"(^upstreams\.(?P<u>[^.]+)\.peers\.(?P<p>\d+)\.requests$)") ==
        ".requests");
  CHECK(RequiredLiteralSuffix("^scur$") == "scur");
  CHECK(RequiredLiteralSuffix(R"(^connections\.(?P<state>active|idle)$)") == "");
  // A group without alternatives is a plain sequence: the run goes through it.
  CHECK(RequiredLiteralSuffix(R"(^zones\.(?P<zone>.+)\.(?P<class>[1-5]xx)$)") == "xx");
  CHECK(RequiredLiteralSuffix(R"(^a(?:bc)(?P<d>d)$)") == "abcd");
  CHECK(RequiredLiteralSuffix(R"(^(?<n>ab)c$)") == "abc");
  CHECK(RequiredLiteralSuffix(R"(^(abc)$)") == "abc");
  CHECK(RequiredLiteralSuffix(R"(^(a(b|c)d)$)") == "d");
  CHECK(RequiredLiteralSuffix(R"(^(?:ab)?c$)") == "c");
  CHECK(RequiredLiteralSuffix(R"(^(?:a|b)c\.d$)") == "c.d");
  CHECK(RequiredLiteralSuffix(R"(^\S+ "[^"]*" (?P<status>\d{3})$)") == "");
  CHECK(RequiredLiteralSuffix(R"re(ms="(?P<ms>\d+)"$)re") == "\"");
  CHECK(RequiredLiteralSuffix(R"(^a\tb\\$)") == "a\tb\\");
  CHECK(RequiredLiteralSuffix(R"(^x[]a]y$)") == "y");
  CHECK(RequiredLiteralSuffix(R"(^x[^]a]yz$)") == "yz");
  CHECK(RequiredLiteralSuffix(R"(^x[[:digit:]]kb$)") == "kb");
  CHECK(RequiredLiteralSuffix(R"(^a{b}$)") == "a{b}");    // not a repetition: literal braces
  CHECK(RequiredLiteralSuffix(R"(^a{,3}$)") == "a{,3}");  // RE2 reads this literally too
}

TEST_CASE("literal suffix: empty whenever the end is not a plain literal run") {
  for (const char* pattern : {
           "^abc",       // no $
           R"(^abc\$)",  // an escaped dollar is a literal, not the end
           "^abc*$",     // the last literal is repeated
           "^abc+$",        "^abc?$", "^abc{2}$", "^abc{2,}$", "^abc{2,5}$",
           "^(abc)+$",       // a repeated group
           "^(ab|cd)$",      // a group with alternatives
           "^x(a|b(c))$",    // an inner plain group, an outer alternative
           "^abc.$",         // any byte
           "^abc[de]$",      // a class
           R"(^abc\d$)",     // a class escape
           R"(^abc\b$)",     // a zero-width assertion
           "^a|bc$",         // top-level alternation
           "(?i)^abc$",      // case-insensitive literals
           "(?m)^abc$",      // $ before a newline too
           "^(?i:x)abc$",    // flags in a group: given up on as well
           R"(^abc\x41$)",   // hex escapes are not read here
           R"(^\Qa.b\E$)",   // quoted text is not read here
           "^caf\xc3\xa9$",  // non-ASCII bytes
           R"(^abc\)",       // a trailing lone backslash
           "^abc)$",         // unbalanced
           "^(abc$",
       }) {
    CAPTURE(pattern);
    CHECK(RequiredLiteralSuffix(pattern) == "");
  }
}

TEST_CASE("literal suffix: every match of the pattern ends with it") {
  struct Case {
    const char* pattern;
    std::vector<const char*> texts;  // texts the pattern matches
  };
  const std::vector<Case> cases = {
      {R"(^upstreams\.(?P<u>[^.]+)\.peers\.(?P<p>\d+)\.requests$)",
       {"upstreams.b.peers.3.requests", "upstreams.x1.peers.0.requests"}},
      {R"(^(?:a|b)c\.d$)", {"ac.d", "bc.d"}},
      {R"re(ms="(?P<ms>\d+)"$)re", {"GET / ms=\"5\""}},
      {R"(^x[]a]y$)", {"x]y", "xay"}},
      {R"(^a{b}$)", {"a{b}"}},
      {R"(^zones\.(?P<zone>.+)\.(?P<class>[1-5]xx)$)", {"zones.a.b.2xx", "zones.z.5xx"}},
      {R"(^(a(b|c)d)$)", {"abd", "acd"}},
      {R"(^a{,3}$)", {"a{,3}"}},
      {R"(^a\tb\\$)", {"a\tb\\"}},
  };
  for (const Case& c : cases) {
    RE2 regex(c.pattern, RuleRegexOptions());
    REQUIRE(regex.ok());
    const std::string suffix = RequiredLiteralSuffix(c.pattern);
    for (const char* text : c.texts) {
      CAPTURE(text);
      CHECK(RE2::PartialMatch(text, regex));
      CHECK(std::string_view(text).ends_with(suffix));
    }
  }
}

TEST_CASE("the longest literal text every match contains") {
  CHECK(RequiredLiteral(R"(^\S+ \S+ "[A-Z]+ /svc42/[^"]*" (?P<s>\d{3}))") == " /svc42/");
  CHECK(RequiredLiteral(R"(timeout=\d+ in \w+)") == "timeout=");
  CHECK(RequiredLiteral("^abc$") == "abc");
  CHECK(RequiredLiteral(R"(^a\.b\[c)") == "a.b[c");
  // A quantifier takes back the byte before it; a group's text does not count.
  CHECK(RequiredLiteral("abcd?e") == "abc");
  CHECK(RequiredLiteral("xy(?:abcdef)?z") == "xy");
  CHECK(RequiredLiteral("x(?P<m>GET|POST) /api/") == " /api/");
  CHECK(RequiredLiteral("(abcdef)") == "");
  // Given up on: alternatives, flags, escapes it does not read, non-ASCII.
  CHECK(RequiredLiteral("abcdef|xyz") == "");
  CHECK(RequiredLiteral("(?i)abcdef") == "");
  CHECK(RequiredLiteral(R"(abc\x41def)") == "");
  CHECK(RequiredLiteral("caf\xc3\xa9 menu") == "");
  CHECK(RequiredLiteral(R"(^\d+$)") == "");
}

TEST_CASE("every text a pattern matches contains its required literal") {
  struct Case {
    const char* pattern;
    std::vector<const char*> texts;
  };
  const std::vector<Case> cases = {
      {R"(^\S+ "[A-Z]+ /svc4/[^"]*" \d+$)", {R"(a "GET /svc4/" 200)", R"(b "PUT /svc4/x?y" 1)"}},
      {"ab+c", {"abc", "abbbbc"}},
      {"ab*c", {"ac", "abbc"}},
      {"ab{0,2}cd", {"acd", "abbcd"}},
      {"(?:x|y)zzz(w)?", {"xzzz", "yzzzw"}},
      {"abc??d", {"abd", "abcd"}},
  };
  for (const Case& c : cases) {
    RE2 regex(c.pattern, RuleRegexOptions());
    REQUIRE(regex.ok());
    const std::string literal = RequiredLiteral(c.pattern);
    CAPTURE(c.pattern);
    for (const char* text : c.texts) {
      CAPTURE(text);
      CHECK(RE2::PartialMatch(text, regex));
      CHECK(std::string_view(text).find(literal) != std::string_view::npos);
    }
  }
}

TEST_CASE("common prefix of a match range") {
  CHECK(CommonPrefix("upstreams.", "upstreams/") == "upstreams");
  CHECK(CommonPrefix("scur", "scur") == "scur");
  CHECK(CommonPrefix("a", "b") == "");
  CHECK(CommonPrefix("", "zzz") == "");
}

}  // namespace
}  // namespace metrics_adapter
