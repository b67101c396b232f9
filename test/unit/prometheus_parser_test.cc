// PrometheusParser: samples with and without labels, histogram and summary
// series, special values, escapes, comments, timestamps, and bad samples.
#include "parsers/prometheus_parser.h"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

Collector Parse(std::string_view body) { return ParseWithDefault<PrometheusParser>(body); }

TEST_CASE("prometheus: a page of samples, comments skipped") {
  Collector out = Parse(R"(# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A comment that is neither HELP nor TYPE.
process_open_fds 17
# TYPE rpc_duration_seconds histogram
rpc_duration_seconds_bucket{le="0.05"} 24054
rpc_duration_seconds_bucket{le="+Inf"} 144320
rpc_duration_seconds_sum 53423
rpc_duration_seconds_count 144320
)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 7);
  CHECK(out.records[0].text == "http_requests_total");
  CHECK(out.records[0].value == 1027);
  CHECK(out.records[0].labels == Labels{{"method", "post"}, {"code", "200"}});
  CHECK(out.records[1].value == 3);
  CHECK(out.records[1].labels == Labels{{"method", "post"}, {"code", "400"}});
  CHECK(out.records[2].text == "process_open_fds");
  CHECK(out.records[2].value == 17);
  CHECK(out.records[2].labels.empty());
  CHECK(out.records[3].text == "rpc_duration_seconds_bucket");
  CHECK(out.records[3].labels == Labels{{"le", "0.05"}});
  CHECK(out.records[4].labels == Labels{{"le", "+Inf"}});
  CHECK(out.records[5].text == "rpc_duration_seconds_sum");
  CHECK(out.records[6].text == "rpc_duration_seconds_count");
  CHECK(out.records[6].value == 144320);
}

TEST_CASE("prometheus: NaN, +Inf and -Inf are values") {
  Collector out = Parse("a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf 1.5e-3\ng -0\n");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 7);
  CHECK(std::isnan(*out.records[0].value));
  CHECK(*out.records[1].value == INFINITY);
  CHECK(*out.records[2].value == -INFINITY);
  CHECK(*out.records[3].value == INFINITY);
  CHECK(std::isnan(*out.records[4].value));
  CHECK(*out.records[5].value == 0.0015);
  CHECK(*out.records[6].value == 0);
}

TEST_CASE("prometheus: label values are unescaped") {
  Collector out = Parse(
      R"(msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels ==
        Labels{{"path", R"(C:\DIR\FILE.TXT)"}, {"error", "Cannot find file:\n\"FILE.TXT\""}});
  CHECK(out.records[0].value == 1.458255915e9);
}

TEST_CASE("prometheus: label values may hold the format's delimiters") {
  Collector out = Parse(R"(m{a="x} 1,y=\"2\"",b="{ }"} 5)");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels == Labels{{"a", "x} 1,y=\"2\""}, {"b", "{ }"}});
  CHECK(out.records[0].value == 5);
}

TEST_CASE("prometheus: blanks, empty braces, a trailing comma, CRLF line ends") {
  Collector out = Parse(
      "  m1 { a = \"1\" , b=\"2\", } 1\r\nm2{} 2\r\n\tm3{a=\"\"}3 \r\n"
      "   # indented comment\r\n");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 3);
  CHECK(out.records[0].text == "m1");
  CHECK(out.records[0].labels == Labels{{"a", "1"}, {"b", "2"}});
  CHECK(out.records[1].text == "m2");
  CHECK(out.records[1].labels.empty());
  CHECK(out.records[2].labels == Labels{{"a", ""}});
  CHECK(out.records[2].value == 3);
}

TEST_CASE("prometheus: non-standard names are read as written") {
  Collector out = Parse("app.cache-hits{region=\"eu\"} 12\n");
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].text == "app.cache-hits");
}

TEST_CASE("prometheus: a body without a final newline, and an empty body") {
  Collector out = Parse("a 1\nb 2");
  CHECK(out.records.size() == 2);
  Collector empty = Parse("");
  CHECK(empty.records.empty());
  CHECK(empty.errors.empty());
}

TEST_CASE("prometheus: malformed samples are skipped and the rest of the page is read") {
  const char* bad_lines[] = {
      "novalue",
      "m{a=\"1\"}",
      "m abc",
      "m 1,5",
      "m 1e999",
      "m Infinity",
      "m 1 notatime",
      "m 1 1.5",
      "m 1 123 456",
      "m{a=\"1\" 1",
      "m{a=1} 1",
      "m{a} 1",
      "m{=\"1\"} 1",
      "m{a=\"1\"b=\"2\"} 1",
      "m{a=\"unterminated} 1",
      "m{a=\"bad \\t escape\"} 1",
      "m{a=\"ends with \\",
      "{a=\"1\"} 1",
      "m{a=\"1\",,} 1",
      "<html><body>502 Bad Gateway</body></html>",
  };
  for (const char* line : bad_lines) {
    CAPTURE(line);
    Collector out = Parse(std::string("before 1\n") + line + "\nafter 2\n");
    CHECK(out.errors == std::vector<std::string>{"bad_sample"});
    REQUIRE(out.records.size() == 2);
    CHECK(out.records[0].text == "before");
    CHECK(out.records[1].text == "after");
  }
}

TEST_CASE("prometheus: many escaped labels all stay valid while the record goes out") {
  std::string line = "m{";
  Labels expected;
  for (int i = 0; i < 40; ++i) {
    line += "l" + std::to_string(i) + "=\"a\\\\b\\\"" + std::to_string(i) + "\",";
    expected.emplace("l" + std::to_string(i), "a\\b\"" + std::to_string(i));
  }
  line += "} 1";
  Collector out = Parse(line);
  CHECK(out.errors.empty());
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].labels == expected);
}

TEST_CASE("prometheus: a parser reused for many bodies keeps nothing from earlier ones") {
  PrometheusParser parser;
  Collector out;
  parser.Parse("a{x=\"1\",y=\"\\\"\"} 1\n", out);
  parser.Parse("b 2\n", out);
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[1].labels.empty());
}

TEST_CASE("prometheus: the registry lists it for bodies, with no options") {
  CheckRegisteredWithoutOptions("prometheus", ParserUnit::kBody, "a 1\n");
}

}  // namespace
}  // namespace metrics_adapter
