// RenderExposition and ParseSampleLine: the text format written, and sample
// lines read back in canonical form.
#include "adapter/exposition.h"

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "adapter/series_store.h"

namespace metrics_adapter {
namespace {

// A collectable returning fixed families.
class Fixed : public prometheus::Collectable {
 public:
  explicit Fixed(std::vector<prometheus::MetricFamily> families) : families_(std::move(families)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return families_; }

 private:
  std::vector<prometheus::MetricFamily> families_;
};

prometheus::MetricFamily Counter(const std::string& name, const std::string& help,
                                 std::vector<prometheus::ClientMetric::Label> labels,
                                 double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.counter.value = value;
  family.metric.push_back(metric);
  return family;
}

TEST_CASE("RenderExposition writes HELP, TYPE and samples of every collectable, in order") {
  Fixed a({Counter("a_total", "A things.", {{"code", "200"}}, 3)});
  Fixed b({Counter("b_total", "B things.", {}, 0.25)});
  CHECK(RenderExposition({&a, &b}) ==
        "# HELP a_total A things.\n"
        "# TYPE a_total counter\n"
        "a_total{code=\"200\"} 3\n"
        "# HELP b_total B things.\n"
        "# TYPE b_total counter\n"
        "b_total 0.25\n");
  CHECK(RenderExposition({}) == "");
}

TEST_CASE("RenderExposition escapes backslash, double quote and newline in label values") {
  Fixed fixed({Counter("x_total", "X.", {{"v", "a\"b\\c\nd"}}, 1)});
  CHECK(RenderExposition({&fixed}) ==
        "# HELP x_total X.\n"
        "# TYPE x_total counter\n"
        "x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("RenderExposition writes a store's histogram with cumulative buckets and +Inf") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec;
  spec.name = "d_seconds";
  spec.type = MetricType::kHistogram;
  spec.help = "D.";
  spec.labels = {"route"};
  spec.label_bounds.resize(1);
  spec.buckets = {0.5, 1};
  schema.Add(spec, diags);
  SeriesStore store(schema);
  {
    SeriesStore::Writer writer = store.Write();
    std::string_view labels[] = {"/a"};
    writer.Apply(Update{0, UpdateOp::kObserve, 0.25, labels});
    writer.Apply(Update{0, UpdateOp::kObserve, 1, labels});
    writer.Apply(Update{0, UpdateOp::kObserve, 3, labels});
  }
  const std::string text = RenderExposition({&store});
  CHECK(
      text.starts_with("# HELP d_seconds D.\n"
                       "# TYPE d_seconds histogram\n"
                       "d_seconds_count{route=\"/a\"} 3\n"
                       "d_seconds_sum{route=\"/a\"} 4.25\n"
                       "d_seconds_bucket{route=\"/a\",le=\"0.5\"} 1\n"
                       "d_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"
                       "d_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
}

TEST_CASE("ParseSampleLine reads a sample and sorts its labels by name") {
  std::optional<Sample> s =
      ParseSampleLine("http_requests_total{method=\"GET\",code=\"200\"} 12.5");
  REQUIRE(s.has_value());
  CHECK(s->series == "http_requests_total{code=\"200\",method=\"GET\"}");
  CHECK(s->value == 12.5);
}

TEST_CASE("ParseSampleLine reads a sample without labels, and empty braces") {
  std::optional<Sample> s = ParseSampleLine("up 1");
  REQUIRE(s.has_value());
  CHECK(s->series == "up");
  CHECK(s->value == 1);
  std::optional<Sample> braces = ParseSampleLine("up{} 0");
  REQUIRE(braces.has_value());
  CHECK(braces->series == "up");
  CHECK(braces->value == 0);
}

TEST_CASE("ParseSampleLine reads escapes and writes them back canonically") {
  std::optional<Sample> s = ParseSampleLine(R"(x{v="a\"b\\c\nd"} 1)");
  REQUIRE(s.has_value());
  CHECK(s->series == R"(x{v="a\"b\\c\nd"})");
}

TEST_CASE("ParseSampleLine reads +Inf, -Inf, NaN, exponents and negative values") {
  CHECK(std::isinf(ParseSampleLine("x +Inf")->value));
  CHECK(ParseSampleLine("x +Inf")->value > 0);
  CHECK(ParseSampleLine("x -Inf")->value < 0);
  CHECK(std::isinf(ParseSampleLine("x -Inf")->value));
  CHECK(std::isnan(ParseSampleLine("x NaN")->value));
  CHECK(ParseSampleLine("x 1e-3")->value == 0.001);
  CHECK(ParseSampleLine("x -2")->value == -2);
  CHECK(ParseSampleLine("x{le=\"+Inf\"} 3")->series == "x{le=\"+Inf\"}");
}

TEST_CASE("ParseSampleLine ignores a timestamp after the value") {
  std::optional<Sample> s = ParseSampleLine("x{a=\"1\"} 7 1700000000000");
  REQUIRE(s.has_value());
  CHECK(s->series == "x{a=\"1\"}");
  CHECK(s->value == 7);
}

TEST_CASE("ParseSampleLine skips leading blanks and extra spaces before the value") {
  std::optional<Sample> s = ParseSampleLine("  \tx   5");
  REQUIRE(s.has_value());
  CHECK(s->series == "x");
  CHECK(s->value == 5);
}

TEST_CASE("ParseSampleLine returns nullopt for comments and blank lines") {
  CHECK_FALSE(ParseSampleLine("").has_value());
  CHECK_FALSE(ParseSampleLine("   ").has_value());
  CHECK_FALSE(ParseSampleLine("# HELP x X.").has_value());
  CHECK_FALSE(ParseSampleLine("# TYPE x counter").has_value());
}

TEST_CASE("ParseSampleLine rejects malformed lines") {
  for (const char* line : {"x", "x ", "x abc", "x 1.5.5", "{a=\"1\"} 1", "x{a=\"1\" 1",
                           "x{a=\"1} 1", "x{a=1} 1", "x{a} 1", "x{a=\"1\"}", "x 12kB"}) {
    CAPTURE(line);
    CHECK_FALSE(ParseSampleLine(line).has_value());
  }
}

// BUG: adapter/exposition.cc ParseSampleLine reads the value up to the next
// space and ignores the rest, taking it for a timestamp without checking it:
// "x 1 2" (a typo for "x 12" in a rule test's expect) reads as x = 1 and
// "x 1 # note" is accepted. Suggested fix: accept after the value only an
// optional integer timestamp and trailing blanks.
TEST_CASE("ParseSampleLine rejects junk after the value") {
  CHECK_FALSE(ParseSampleLine("x 1 junk").has_value());
  CHECK_FALSE(ParseSampleLine("x 1 2.5").has_value());
  CHECK_FALSE(ParseSampleLine("x 1 1700000000000 more").has_value());
}

TEST_CASE("every sample line of a rendered store parses back to the same series") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec;
  spec.name = "r_total";
  spec.help = "R.";
  spec.labels = {"zeta", "alpha"};
  spec.label_bounds.resize(2);
  schema.Add(spec, diags);
  SeriesStore store(schema);
  {
    SeriesStore::Writer writer = store.Write();
    std::string_view first[] = {"z\"q", "a\\b"};
    std::string_view second[] = {"line\nbreak", "caf\xC3\xA9"};
    writer.Apply(Update{0, UpdateOp::kAdd, 2, first});
    writer.Apply(Update{0, UpdateOp::kAdd, 0.125, second});
  }
  std::istringstream rendered(RenderExposition({&store}));
  std::vector<std::string> parsed;
  for (std::string line; std::getline(rendered, line);) {
    if (!line.starts_with("r_total")) continue;
    std::optional<Sample> s = ParseSampleLine(line);
    REQUIRE(s.has_value());
    std::ostringstream value;
    value << s->value;
    parsed.push_back(s->series + " " + value.str());
  }
  CHECK(parsed ==
        std::vector<std::string>{"r_total{alpha=\"caf\xC3\xA9\",zeta=\"line\\nbreak\"} 0.125",
                                 "r_total{alpha=\"a\\\\b\",zeta=\"z\\\"q\"} 2"});
}

}  // namespace
}  // namespace metrics_adapter
