// GraphiteParser: plaintext and tagged lines, timestamps, blanks, and every
// error reason.
#include "parsers/graphite_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

Collector Parse(std::string_view line) { return ParseWithDefault<GraphiteParser>(line); }

// The one error `line` yields, with no record.
std::string ErrorOf(std::string_view line) { return OnlyErrorOf<GraphiteParser>(line); }

TEST_CASE("graphite: path, value and timestamp") {
  Collector out = Parse("servers.web01.cpu.load 0.75 1700000000");
  REQUIRE(out.records.size() == 1);
  CHECK(out.errors.empty());
  CHECK(out.records[0].text == "servers.web01.cpu.load");
  CHECK(out.records[0].value == 0.75);
  CHECK(out.records[0].labels.empty());
}

TEST_CASE("graphite: the timestamp may be absent or -1 (now)") {
  for (const char* line : {"a.b 42", "a.b 42 -1", "a.b 42 1700000000.5"}) {
    CAPTURE(line);
    Collector out = Parse(line);
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].value == 42);
  }
}

TEST_CASE("graphite: fields may be separated by runs of blanks") {
  Collector out = Parse("  a.b \t -3e2   1700000000 \r");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "a.b");
  CHECK(out.records[0].value == -300);
}

TEST_CASE("graphite: tags of the tagged form become labels") {
  Collector out = Parse("disk.used;datacenter=dc1;server=web01;rack=a=1 9.5 1700000000");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "disk.used");
  CHECK(out.records[0].value == 9.5);
  // Split at the first '=': a value may contain more.
  CHECK(out.records[0].labels ==
        Labels{{"datacenter", "dc1"}, {"server", "web01"}, {"rack", "a=1"}});
}

TEST_CASE("graphite: blank lines make nothing, not even an error") {
  for (const char* line : {"", "  ", "\r", "\t \r"}) {
    Collector out = Parse(line);
    CHECK(out.records.empty());
    CHECK(out.errors.empty());
  }
}

TEST_CASE("graphite: malformed lines are reported with their reason") {
  CHECK(ErrorOf("a.b") == "missing_value");
  CHECK(ErrorOf("a.b   ") == "missing_value");
  CHECK(ErrorOf("a.b x 1700000000") == "bad_value");
  CHECK(ErrorOf("a.b nan") == "bad_value");
  CHECK(ErrorOf("a.b 1,5") == "bad_value");
  CHECK(ErrorOf("a.b 1 yesterday") == "bad_timestamp");
  CHECK(ErrorOf("a.b 1 1700000000 extra") == "extra_field");
  CHECK(ErrorOf(";a=b 1") == "missing_path");
  CHECK(ErrorOf("a.b;dc 1") == "bad_tag");
  CHECK(ErrorOf("a.b;=dc1 1") == "bad_tag");
  CHECK(ErrorOf("a.b;dc= 1") == "bad_tag");
  CHECK(ErrorOf("a.b; 1") == "bad_tag");
  CHECK(ErrorOf("a.b;dc=1; 1") == "bad_tag");
}

TEST_CASE("graphite: a parser reused for many lines keeps no labels from earlier lines") {
  GraphiteParser parser;
  Collector out;
  parser.Parse("a;x=1;y=2 1", out);
  parser.Parse("a;x 1", out);
  parser.Parse("b 2", out);
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].labels == Labels{{"x", "1"}, {"y", "2"}});
  CHECK(out.records[1].labels.empty());
  CHECK(out.errors == std::vector<std::string>{"bad_tag"});
}

TEST_CASE("graphite: the registry lists it for lines, with no options") {
  CheckRegisteredWithoutOptions("graphite", ParserUnit::kLine, "a 1");
}

}  // namespace
}  // namespace metrics_adapter
