// The json parser: paths of objects and arrays, leaf types, the path
// separator option, parse errors (a damaged body gives no records) and the
// depth limit.
#include "parsers/json_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

using Collector = PrintingCollector;

std::unique_ptr<Parser> MakeParser(const std::map<std::string, std::string>& overrides = {}) {
  return MakeRegisteredParser("json", overrides);
}

using Lines = std::vector<std::string>;

Collector ParseWith(Parser& parser, std::string_view body) {
  Collector sink;
  parser.Parse(body, sink);
  return sink;
}

TEST_CASE("json: objects and arrays flatten into paths; leaves by type") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink = ParseWith(*parser, R"({
    "version": 8,
    "connections": {"active": 3, "idle": 1.5},
    "servers": [
      {"requests": 10, "up": true, "name": "a", "zone": null},
      {"requests": 20, "up": false, "name": "b", "tags": ["x", 7]}
    ],
    "empty_object": {},
    "empty_array": []
  })");
  CHECK(sink.records == Lines{
                            "version=8",
                            "connections.active=3",
                            "connections.idle=1.5",
                            "servers.0.requests=10",
                            "servers.0.up=1",
                            "servers.0.name {value=a}",
                            "servers.1.requests=20",
                            "servers.1.up=0",
                            "servers.1.name {value=b}",
                            "servers.1.tags.0 {value=x}",
                            "servers.1.tags.1=7",
                        });
  CHECK(sink.errors.empty());
}

TEST_CASE("json: the path_separator option") {
  std::unique_ptr<Parser> parser = MakeParser({{"path_separator", "/"}});
  CHECK(ParseWith(*parser, R"({"a": {"b": [1, {"c": 2}]}})").records ==
        Lines{"a/b/0=1", "a/b/1/c=2"});
  parser = MakeParser({{"path_separator", "::"}});
  CHECK(ParseWith(*parser, R"({"a": {"b": 1}})").records == Lines{"a::b=1"});
}

TEST_CASE("json: top-level arrays and scalars") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, "[1, [2, 3], {\"a\": 4}]").records ==
        Lines{"0=1", "1.0=2", "1.1=3", "2.a=4"});
  CHECK(ParseWith(*parser, " 42 ").records == Lines{"=42"});
  CHECK(ParseWith(*parser, "\"up\"").records == Lines{" {value=up}"});
  CHECK(ParseWith(*parser, "null").records.empty());
  CHECK(ParseWith(*parser, "{}").records.empty());
}

TEST_CASE("json: empty keys keep their separator") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, R"({"": {"a": 1, "": 2}})").records == Lines{".a=1", ".=2"});
}

TEST_CASE("json: numbers of every JSON kind") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink = ParseWith(
      *parser, R"({"neg": -5, "big": 18446744073709551615, "exp": 1e3, "frac": -0.25, "zero": 0})");
  CHECK(sink.records ==
        Lines{"neg=-5", "big=18446744073709551616", "exp=1000", "frac=-0.25", "zero=0"});
}

TEST_CASE("json: escapes in keys and strings are decoded") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, R"({"k\u00e9y": "say \"hi\"\n"})").records ==
        Lines{"k\xc3\xa9y {value=say \"hi\"\n}"});
}

TEST_CASE("json: invalid JSON gives no records at all, only the error") {
  std::unique_ptr<Parser> parser = MakeParser();
  // Damage anywhere, even after valid members, keeps the whole body out: a
  // scrape shows the page whole or not at all.
  for (std::string_view body : {R"({"a": 1, "b": {"c": 2, "d": )", R"({"a": 1} {"b": 2})", "[1,]",
                                R"({"a": 1, "b": 2,})", R"({"a": 1, "b": 18446744073709551616})"}) {
    CAPTURE(body);
    Collector sink = ParseWith(*parser, body);
    CHECK(sink.records.empty());
    CHECK(sink.errors == Lines{"invalid_json"});
  }

  for (std::string_view body : {"", "   ", "{", "{\"a\" 1}", "{'a': 1}", "nul", "{\"a\": \"\xff\"}",
                                "{\"a\": 1e999}", "<html>"}) {
    CAPTURE(body);
    Collector sink = ParseWith(*parser, body);
    CHECK(sink.records.empty());
    CHECK(sink.errors == Lines{"invalid_json"});
  }

  // The parser's state is reset: the next body parses normally.
  CHECK(ParseWith(*parser, R"({"x": {"y": 1}})").records == Lines{"x.y=1"});
}

TEST_CASE("json: nesting deeper than kMaxDepth is too_deep") {
  std::unique_ptr<Parser> parser = MakeParser();
  const std::size_t max = JsonParser::kMaxDepth;
  std::string path = "0";
  for (std::size_t i = 1; i < max; ++i) path += ".0";

  std::string ok = std::string(max, '[') + "1" + std::string(max, ']');
  Collector at_limit = ParseWith(*parser, ok);
  CHECK(at_limit.records == Lines{path + "=1"});
  CHECK(at_limit.errors.empty());

  std::string deep = "[2, " + std::string(max, '[') + "1" + std::string(max, ']') + "]";
  Collector too_deep = ParseWith(*parser, deep);
  CHECK(too_deep.records.empty());
  CHECK(too_deep.errors == Lines{"too_deep"});

  // Far deeper input is refused before any recursion: closed, it is too
  // deep; unclosed, it is not JSON at all.
  Collector very_deep = ParseWith(*parser, std::string(100000, '[') + std::string(100000, ']'));
  CHECK(very_deep.records.empty());
  CHECK(very_deep.errors == Lines{"too_deep"});
  for (char open : {'{', '['}) {
    Collector unclosed = ParseWith(*parser, std::string(100000, open));
    CHECK(unclosed.records.empty());
    CHECK(unclosed.errors == Lines{"invalid_json"});
  }

  CHECK(ParseWith(*parser, "[[1]]").records == Lines{"0.0=1"});
}

TEST_CASE("json: a body over a mebibyte parses, and the parser goes on after giving back memory") {
  std::unique_ptr<Parser> parser = MakeParser();
  std::string big = "[";
  for (int i = 0; i < 200000; ++i) big += (i ? "," : "") + std::to_string(i);
  big += "]";
  REQUIRE(big.size() > 1024 * 1024);
  Collector sink = ParseWith(*parser, big);
  REQUIRE(sink.records.size() == 200000);
  CHECK(sink.records.back() == "199999=199999");
  CHECK(ParseWith(*parser, big.substr(0, big.size() - 1)).errors == Lines{"invalid_json"});
  CHECK(ParseWith(*parser, R"({"after": [1, 2]})").records == Lines{"after.0=1", "after.1=2"});
}

TEST_CASE("json: registry entry and option validation") {
  const ParserInfo* info = FindParser("json");
  REQUIRE(info != nullptr);
  CHECK(info->unit == ParserUnit::kBody);
  CHECK(info->Defaults().Get("path_separator") == ".");
  ParserOptions options = info->Defaults();
  options.Set("path_separator", "");
  std::string error;
  CHECK(info->create(options, &error) == nullptr);
  CHECK(error == "json: path_separator must not be empty");
}

}  // namespace
}  // namespace metrics_adapter
