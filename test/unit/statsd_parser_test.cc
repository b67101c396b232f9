// StatsdParser: names, values, types, sample rates, gauge deltas, sets,
// DogStatsD tags and extensions, and every error reason.
#include "parsers/statsd_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

Collector Parse(std::string_view line) { return ParseWithDefault<StatsdParser>(line); }

// The one error `line` yields, with no record.
std::string ErrorOf(std::string_view line) { return OnlyErrorOf<StatsdParser>(line); }

TEST_CASE("statsd: a counter is its name, value and type") {
  Collector out = Parse("api.requests:1|c");
  REQUIRE(out.records.size() == 1);
  CHECK(out.errors.empty());
  CHECK(out.records[0].text == "api.requests");
  CHECK(out.records[0].value == 1);
  CHECK(out.records[0].labels == Labels{{"type", "c"}});
}

TEST_CASE("statsd: every type is labelled as sent") {
  for (const char* type : {"c", "g", "ms", "h", "d"}) {
    CAPTURE(type);
    Collector out = Parse(std::string("m:2.5|") + type);
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].value == 2.5);
    CHECK(out.records[0].labels == Labels{{"type", type}});
  }
}

TEST_CASE("statsd: a sampled counter is divided by its rate to estimate the total") {
  Collector out = Parse("hits:3|c|@0.1");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].value == doctest::Approx(30));
}

TEST_CASE("statsd: a sampled timer, histogram or distribution keeps its value") {
  for (const char* type : {"ms", "h", "d"}) {
    CAPTURE(type);
    Collector out = Parse(std::string("latency:320|") + type + "|@0.25");
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].value == 320);
  }
}

TEST_CASE("statsd: a gauge's rate is ignored") {
  Collector out = Parse("queue:7|g|@0.5");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].value == 7);
}

TEST_CASE("statsd: a signed gauge is a delta and keeps its sign") {
  Collector plus = Parse("queue:+4|g");
  REQUIRE(plus.records.size() == 1);
  CHECK(plus.records[0].value == 4);
  CHECK(plus.records[0].labels == Labels{{"type", "g"}, {"delta", "true"}});

  Collector minus = Parse("queue:-3|g");
  REQUIRE(minus.records.size() == 1);
  CHECK(minus.records[0].value == -3);
  CHECK(minus.records[0].labels == Labels{{"type", "g"}, {"delta", "true"}});

  Collector plain = Parse("queue:3|g");
  REQUIRE(plain.records.size() == 1);
  CHECK(plain.records[0].labels == Labels{{"type", "g"}});
}

TEST_CASE("statsd: only gauges are deltas") {
  Collector out = Parse("balance:-3|c");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].value == -3);
  CHECK(out.records[0].labels == Labels{{"type", "c"}});
}

TEST_CASE("statsd: a set member is the label value and the record has no value") {
  Collector out = Parse("users.unique:alice@example.com|s");
  REQUIRE(out.records.size() == 1);
  CHECK_FALSE(out.records[0].value.has_value());
  CHECK(out.records[0].labels == Labels{{"type", "s"}, {"value", "alice@example.com"}});
}

TEST_CASE("statsd: DogStatsD tags become labels; a tag without ':' has value \"\"") {
  Collector out = Parse("page.views:1|c|@0.5|#env:prod,route:/api/v1,canary");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].value == 2);
  CHECK(out.records[0].labels ==
        Labels{{"type", "c"}, {"env", "prod"}, {"route", "/api/v1"}, {"canary", ""}});
}

TEST_CASE("statsd: a tag value may contain ':' and the rate may follow the tags") {
  Collector out = Parse("m:1|c|#url:http://x:80/a|@0.5");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].value == 2);
  CHECK(out.records[0].labels == Labels{{"type", "c"}, {"url", "http://x:80/a"}});
}

TEST_CASE("statsd: empty tags are skipped") {
  Collector out = Parse("m:1|c|#a:1,,b:2,");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels == Labels{{"type", "c"}, {"a", "1"}, {"b", "2"}});
}

TEST_CASE("statsd: a tag named like a label the parser sets is left out") {
  Collector out = Parse("m:+1|g|#type:x,delta:no,value:v,env:prod");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels == Labels{{"type", "g"}, {"delta", "true"}, {"env", "prod"}});
}

TEST_CASE("statsd: DogStatsD extension sections are skipped") {
  Collector out = Parse("m:5|c|#env:prod|c:83c0a99c0a54c0c187f461c7980e9b57f3f6a8b0c|T1656581400");
  REQUIRE(out.records.size() == 1);
  CHECK(out.errors.empty());
  CHECK(out.records[0].value == 5);
  CHECK(out.records[0].labels == Labels{{"type", "c"}, {"env", "prod"}});
}

TEST_CASE("statsd: surrounding blanks and a carriage return are ignored") {
  Collector out = Parse("  m:1|c\r");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "m");
  CHECK(out.records[0].labels == Labels{{"type", "c"}});
}

TEST_CASE("statsd: blank lines make nothing, not even an error") {
  for (const char* line : {"", "   ", "\r"}) {
    Collector out = Parse(line);
    CHECK(out.records.empty());
    CHECK(out.errors.empty());
  }
}

TEST_CASE("statsd: malformed lines are reported with their reason") {
  CHECK(ErrorOf("no_value") == "missing_value");
  CHECK(ErrorOf("m:|c") == "missing_value");
  CHECK(ErrorOf("m|c") == "missing_value");
  CHECK(ErrorOf(":1|c") == "missing_name");
  CHECK(ErrorOf("m:1") == "bad_type");
  CHECK(ErrorOf("m:1|") == "bad_type");
  CHECK(ErrorOf("m:1|x") == "bad_type");
  CHECK(ErrorOf("m:1|C") == "bad_type");
  CHECK(ErrorOf("m:1|c:2|c") == "bad_type");  // several values in one line
  CHECK(ErrorOf("m:abc|c") == "bad_value");
  CHECK(ErrorOf("m:1.5.2|ms") == "bad_value");
  CHECK(ErrorOf("m:inf|g") == "bad_value");
  CHECK(ErrorOf("m:+-1|g") == "bad_value");
  CHECK(ErrorOf("m:1|c|@0") == "bad_sample_rate");
  CHECK(ErrorOf("m:1|c|@1.5") == "bad_sample_rate");
  CHECK(ErrorOf("m:1|c|@-0.5") == "bad_sample_rate");
  CHECK(ErrorOf("m:1|c|@") == "bad_sample_rate");
  CHECK(ErrorOf("m:1|c|@x") == "bad_sample_rate");
  CHECK(ErrorOf("m:1|c|#:v") == "bad_tag");
  CHECK(ErrorOf("m:1|c|#a:1,:2") == "bad_tag");
  CHECK(ErrorOf("_e{5,4}:title|text|#a:b") == "unsupported_event");
  CHECK(ErrorOf("_sc|db.up|0|#a:b") == "unsupported_event");
}

TEST_CASE("statsd: a parser reused for many lines keeps no labels from earlier lines") {
  StatsdParser parser;
  Collector out;
  parser.Parse("a:1|c|#x:1,y:2", out);
  parser.Parse("bad", out);
  parser.Parse("b:2|g", out);
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[1].text == "b");
  CHECK(out.records[1].labels == Labels{{"type", "g"}});
  CHECK(out.errors == std::vector<std::string>{"missing_value"});
}

TEST_CASE("statsd: the registry lists it for lines, with no options") {
  CheckRegisteredWithoutOptions("statsd", ParserUnit::kLine, "m:1|c");
}

}  // namespace
}  // namespace metrics_adapter
