// LogfmtParser: pairs, quoting and escapes, bare keys, numbers, labels from
// the whole line, and every error reason.
#include "parsers/logfmt_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

Collector Parse(std::string_view line) { return ParseWithDefault<LogfmtParser>(line); }

TEST_CASE("logfmt: one record per pair, every pair a label") {
  Collector out = Parse(
      R"(ts=2024-05-01T10:00:00Z level=info route=/api/v1/items status=200 duration=0.042 msg="request done")");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 6);
  const Labels all{{"ts", "2024-05-01T10:00:00Z"}, {"level", "info"},
                   {"route", "/api/v1/items"},     {"status", "200"},
                   {"duration", "0.042"},          {"msg", "request done"}};
  const char* keys[] = {"ts", "level", "route", "status", "duration", "msg"};
  for (std::size_t i = 0; i < out.records.size(); ++i) {
    CAPTURE(i);
    CHECK(out.records[i].text == keys[i]);
    CHECK(out.records[i].labels == all);
  }
  CHECK_FALSE(out.records[0].value.has_value());
  CHECK_FALSE(out.records[1].value.has_value());
  CHECK(out.records[3].value == 200);
  CHECK(out.records[4].value == 0.042);
  CHECK_FALSE(out.records[5].value.has_value());
}

TEST_CASE("logfmt: quoted values are unescaped, and may be numbers") {
  Collector out = Parse(R"(msg="say \"hi\"\\n\nnext\tend" n="12" raw="a\qb")");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[0].labels ==
        Labels{{"msg", "say \"hi\"\\n\nnext\tend"}, {"n", "12"}, {"raw", "a\\qb"}});
  CHECK_FALSE(out.records[0].value.has_value());
  CHECK(out.records[1].value == 12);
}

TEST_CASE("logfmt: a bare key is a flag with value \"\"; so is key=") {
  Collector out = Parse("debug cached= hits=3");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[0].text == "debug");
  CHECK_FALSE(out.records[0].value.has_value());
  CHECK(out.records[1].text == "cached");
  CHECK(out.records[2].labels == Labels{{"debug", ""}, {"cached", ""}, {"hits", "3"}});
  CHECK(out.records[2].value == 3);
}

TEST_CASE("logfmt: an empty quoted value and a value with '=' in it") {
  Collector out = Parse(R"(a="" q=x=y)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].labels == Labels{{"a", ""}, {"q", "x=y"}});
}

TEST_CASE("logfmt: blanks between and around pairs are skipped") {
  Collector out = Parse(" \ta=1   b=2\t\r");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[1].labels == Labels{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("logfmt: blank lines make nothing, not even an error") {
  for (const char* line : {"", "   ", "\r"}) {
    Collector out = Parse(line);
    CHECK(out.records.empty());
    CHECK(out.errors.empty());
  }
}

TEST_CASE("logfmt: an unterminated quote skips the rest of the line, keeping earlier pairs") {
  Collector out = Parse(R"(level=warn msg="no end here=1 other=2)");
  CHECK(out.errors == std::vector<std::string>{"bad_quote"});
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "level");
  CHECK(out.records[0].labels == Labels{{"level", "warn"}});
}

TEST_CASE("logfmt: a closing quote glued to more text is a bad quote") {
  Collector out = Parse(R"(a=1 b="x"y c=2)");
  CHECK(out.errors == std::vector<std::string>{"bad_quote"});
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels == Labels{{"a", "1"}});
}

TEST_CASE("logfmt: a pair without a key is skipped; the others remain") {
  Collector out = Parse(R"(a=1 =2 b"c=3 d=4)");
  CHECK(out.errors == std::vector<std::string>{"bad_key", "bad_key"});
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].text == "a");
  CHECK(out.records[1].text == "d");
  CHECK(out.records[1].labels == Labels{{"a", "1"}, {"d", "4"}});
}

TEST_CASE("logfmt: many escaped values all stay valid while the records go out") {
  std::string line;
  Labels expected;
  for (int i = 0; i < 50; ++i) {
    line += "k" + std::to_string(i) + "=\"v \\\"" + std::to_string(i) + "\\\"\" ";
    expected.emplace("k" + std::to_string(i), "v \"" + std::to_string(i) + "\"");
  }
  Collector out = Parse(line);
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 50);
  CHECK(out.records[49].labels == expected);
}

TEST_CASE("logfmt: a parser reused for many lines keeps nothing from earlier lines") {
  LogfmtParser parser;
  Collector out;
  parser.Parse(R"(a=1 b="two")", out);
  parser.Parse("c=3", out);
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[2].labels == Labels{{"c", "3"}});
}

TEST_CASE("logfmt: the registry lists it for lines, with no options") {
  CheckRegisteredWithoutOptions("logfmt", ParserUnit::kLine, "a=1");
}

}  // namespace
}  // namespace metrics_adapter
