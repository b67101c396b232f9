// InfluxParser: measurements, tags, every field type, escapes, comments,
// timestamps, the separator option, and every error reason.
#include "parsers/influx_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

Collector Parse(std::string_view line) { return ParseWithDefault<InfluxParser>(line); }

// The one error `line` yields, with no record.
std::string ErrorOf(std::string_view line) { return OnlyErrorOf<InfluxParser>(line); }

TEST_CASE("influx: one record per field, named measurement.field, labelled by the tags") {
  Collector out =
      Parse("cpu,host=web01,region=eu usage_user=12.5,usage_system=3,cores=8i 1700000000000000000");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[0].text == "cpu.usage_user");
  CHECK(out.records[0].value == 12.5);
  CHECK(out.records[1].text == "cpu.usage_system");
  CHECK(out.records[1].value == 3);
  CHECK(out.records[2].text == "cpu.cores");
  CHECK(out.records[2].value == 8);
  for (const Copied& record : out.records) {
    CHECK(record.labels == Labels{{"host", "web01"}, {"region", "eu"}});
  }
}

TEST_CASE("influx: tags and timestamp are optional") {
  Collector out = Parse("mem free=1024i");
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "mem.free");
  CHECK(out.records[0].value == 1024);
  CHECK(out.records[0].labels.empty());
}

TEST_CASE("influx: integers, unsigned integers, floats and booleans") {
  struct Case {
    const char* field;
    double value;
  };
  for (Case c : {Case{"-42i", -42}, Case{"42u", 42}, Case{"1.5e3", 1500}, Case{"-0.25", -0.25},
                 Case{"7", 7}, Case{"9223372036854775807i", 9223372036854775807.0},
                 Case{"18446744073709551615u", 18446744073709551615.0}, Case{"t", 1}, Case{"T", 1},
                 Case{"true", 1}, Case{"True", 1}, Case{"TRUE", 1}, Case{"f", 0}, Case{"F", 0},
                 Case{"false", 0}, Case{"False", 0}, Case{"FALSE", 0}}) {
    CAPTURE(c.field);
    Collector out = Parse(std::string("m v=") + c.field);
    REQUIRE(out.records.size() == 1);
    CHECK(out.records[0].value == c.value);
  }
}

TEST_CASE("influx: a string field has no value; its string is the label value") {
  Collector out =
      Parse(R"(events,host=a,value=dropped message="disk \"sda\" full \\ now",code=3i)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].text == "events.message");
  CHECK_FALSE(out.records[0].value.has_value());
  // The tag named `value` is left out where the string takes that name.
  CHECK(out.records[0].labels == Labels{{"value", R"(disk "sda" full \ now)"}, {"host", "a"}});
  CHECK(out.records[1].text == "events.code");
  CHECK(out.records[1].value == 3);
  CHECK(out.records[1].labels == Labels{{"host", "a"}, {"value", "dropped"}});
}

TEST_CASE("influx: a string field may hold the protocol's delimiters") {
  Collector out = Parse(R"(m s="a, b=c d",n=1 123)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].labels == Labels{{"value", "a, b=c d"}});
  CHECK(out.records[1].value == 1);
}

TEST_CASE("influx: escaped commas, spaces and equals signs in names and tags") {
  Collector out =
      Parse(R"(disk\ io\,total,mount\ point=/var\ lib,k\=ey=a\,b read\ bytes=5i,a\=b=1)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].text == "disk io,total.read bytes");
  CHECK(out.records[1].text == "disk io,total.a=b");
  CHECK(out.records[0].labels == Labels{{"mount point", "/var lib"}, {"k=ey", "a,b"}});
}

TEST_CASE("influx: a backslash before anything else is literal; two are one") {
  Collector out = Parse(R"(C:\temp,path=C:\\dir\x v=1)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == R"(C:\temp.v)");
  CHECK(out.records[0].labels == Labels{{"path", R"(C:\dir\x)"}});
}

TEST_CASE("influx: many escaped tags all stay valid while the records go out") {
  std::string line = "m";
  Labels expected;
  for (int i = 0; i < 40; ++i) {
    line += ",t" + std::to_string(i) + "\\ x=v\\," + std::to_string(i);
    expected.emplace("t" + std::to_string(i) + " x", "v," + std::to_string(i));
  }
  line += R"( a="s\"1",b="s\"2",c=3)";
  Collector out = Parse(line);
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[2].labels == expected);
  Labels with_value = expected;
  with_value.emplace("value", "s\"2");
  CHECK(out.records[1].labels == with_value);
}

TEST_CASE("influx: comments and blank lines are skipped") {
  for (const char* line : {"", "   ", "\r", "# a comment", "  # indented comment"}) {
    CAPTURE(line);
    Collector out = Parse(line);
    CHECK(out.records.empty());
    CHECK(out.errors.empty());
  }
}

TEST_CASE("influx: blanks around the line and between its parts are tolerated") {
  Collector out = Parse("  m,a=b   v=1   1700000000  \r");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "m.v");
}

TEST_CASE("influx: a line with one bad field yields no record at all") {
  Collector out = Parse("m good=1,bad=oops,also=2");
  CHECK(out.records.empty());
  CHECK(out.errors == std::vector<std::string>{"bad_value"});
}

TEST_CASE("influx: malformed lines are reported with their reason") {
  CHECK(ErrorOf(",a=b v=1") == "missing_measurement");
  CHECK(ErrorOf(" ,a=b v=1") == "missing_measurement");
  CHECK(ErrorOf("m,a v=1") == "bad_tag");
  CHECK(ErrorOf("m,=b v=1") == "bad_tag");
  CHECK(ErrorOf("m,a= v=1") == "bad_tag");
  CHECK(ErrorOf("m,a=b,") == "bad_tag");
  CHECK(ErrorOf("m") == "missing_field");
  CHECK(ErrorOf("m,a=b") == "missing_field");
  CHECK(ErrorOf("m,a=b  ") == "missing_field");
  CHECK(ErrorOf("m v") == "bad_field");
  CHECK(ErrorOf("m =1") == "bad_field");
  CHECK(ErrorOf("m v=1,") == "bad_field");
  CHECK(ErrorOf("m v=1,,w=2") == "bad_field");
  CHECK(ErrorOf("m v=") == "missing_value");
  CHECK(ErrorOf("m v=,w=1") == "missing_value");
  CHECK(ErrorOf("m v=abc") == "bad_value");
  CHECK(ErrorOf("m v=1.5i") == "bad_value");
  CHECK(ErrorOf("m v=-1u") == "bad_value");
  CHECK(ErrorOf("m v=i") == "bad_value");
  CHECK(ErrorOf("m v=9223372036854775808i") == "bad_value");
  CHECK(ErrorOf("m v=yes") == "bad_value");
  CHECK(ErrorOf("m v=NaN") == "bad_value");
  CHECK(ErrorOf(R"(m v="open)") == "bad_quote");
  CHECK(ErrorOf(R"(m v="a\")") == "bad_quote");
  CHECK(ErrorOf(R"(m v="a"b)") == "bad_quote");
  CHECK(ErrorOf("m v=1 12:00") == "bad_timestamp");
  CHECK(ErrorOf("m v=1 1700000000 extra") == "bad_timestamp");
  CHECK(ErrorOf("m v=1 1.5") == "bad_timestamp");
}

TEST_CASE("influx: a parser reused for many lines keeps nothing from earlier lines") {
  InfluxParser parser;
  Collector out;
  parser.Parse("a,x=1,y=2 v=1,w=\"s\"", out);
  parser.Parse("a,x=1 v=bad", out);
  parser.Parse("b u=2", out);
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[2].text == "b.u");
  CHECK(out.records[2].labels.empty());
  CHECK(out.errors == std::vector<std::string>{"bad_value"});
}

TEST_CASE("influx: the separator option joins measurement and field") {
  const ParserInfo* info = FindParser("influx");
  REQUIRE(info != nullptr);
  CHECK(info->unit == ParserUnit::kLine);
  CHECK(info->HasOption("separator"));
  CHECK(info->Defaults().Get("separator") == ".");

  ParserOptions options = info->Defaults();
  options.Set("separator", "_");
  std::string error;
  std::unique_ptr<Parser> parser = info->create(options, &error);
  REQUIRE(parser != nullptr);
  Collector out;
  parser->Parse("http requests=3i", out);
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "http_requests");

  std::unique_ptr<Parser> by_default = info->create(info->Defaults(), &error);
  REQUIRE(by_default != nullptr);
  Collector dotted;
  by_default->Parse("http requests=3i", dotted);
  REQUIRE(dotted.records.size() == 1);
  CHECK(dotted.records[0].text == "http.requests");
}

TEST_CASE("influx: an empty separator is refused") {
  const ParserInfo* info = FindParser("influx");
  REQUIRE(info != nullptr);
  ParserOptions options = info->Defaults();
  options.Set("separator", "");
  std::string error;
  CHECK(info->create(options, &error) == nullptr);
  CHECK(error == "influx: separator must not be empty");
}

}  // namespace
}  // namespace metrics_adapter
