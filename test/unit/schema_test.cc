// Schema and LoadFamilies: family declarations, every check with its exact
// message and file:line:col, and the merging of repeated declarations.
#include "rules/schema.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

// Loads the `metrics:` list of `yaml` as if it came from `file`.
void Load(const std::string& yaml, const std::string& file, Schema& schema, Diagnostics& diags) {
  LoadFamilies(YAML::Load(yaml)["metrics"], file, schema, diags);
}

// Loads one file into a fresh schema and returns the diagnostics text.
std::string Errors(const std::string& yaml) {
  Schema schema;
  Diagnostics diags;
  Load(yaml, "f.yaml", schema, diags);
  return diags.Format();
}

const std::vector<double> kOtelSecondsBuckets = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                                 0.5,   0.75, 1,     2.5,  5,     7.5, 10};

TEST_CASE("LoadFamilies reads counters, gauges and histograms with all their fields") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - name: app_requests_total
    type: counter
    help: Requests.
    labels: [method, code]
  - name: app_queue_length
    type: gauge
    help: Queue length.
  - name: app_duration_seconds
    type: histogram
    help: Durations.
    labels: [route]
    buckets: [0.1, 1, 10]
)",
       "f.yaml", schema, diags);
  CHECK(diags.Format() == "");
  REQUIRE(schema.size() == 3);

  const FamilySpec& counter = schema.at(schema.IndexOf("app_requests_total"));
  CHECK(counter.type == MetricType::kCounter);
  CHECK(counter.help == "Requests.");
  CHECK(counter.unit == "");
  CHECK(counter.labels == std::vector<std::string>{"method", "code"});
  CHECK(counter.buckets.empty());
  CHECK(counter.position.ToString() == "f.yaml:2:11");

  const FamilySpec& gauge = schema.at(schema.IndexOf("app_queue_length"));
  CHECK(gauge.type == MetricType::kGauge);
  CHECK(gauge.labels.empty());

  const FamilySpec& histogram = schema.at(schema.IndexOf("app_duration_seconds"));
  CHECK(histogram.type == MetricType::kHistogram);
  CHECK(histogram.unit == "seconds");
  CHECK(histogram.labels == std::vector<std::string>{"route"});
  CHECK(histogram.buckets == std::vector<double>{0.1, 1, 10});
  CHECK(histogram.position.ToString() == "f.yaml:9:11");
}

TEST_CASE("LoadFamilies takes the unit from the name, before \"_total\" on counters") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - {name: a_seconds_total, type: counter, help: A.}
  - {name: b_bytes, type: gauge, help: B.}
  - {name: c_ratio, type: gauge, help: C.}
  - {name: d_bytes_total, type: counter, help: D., unit: bytes}
  - {name: e_seconds, type: gauge, help: E., unit: s}
)",
       "f.yaml", schema, diags);
  CHECK(diags.Format() == "");
  CHECK(schema.at(schema.IndexOf("a_seconds_total")).unit == "seconds");
  CHECK(schema.at(schema.IndexOf("b_bytes")).unit == "bytes");
  CHECK(schema.at(schema.IndexOf("c_ratio")).unit == "ratio");
  CHECK(schema.at(schema.IndexOf("d_bytes_total")).unit == "bytes");
  // "s" is a spelling of the base unit, stored as the base unit's name.
  CHECK(schema.at(schema.IndexOf("e_seconds")).unit == "seconds");
}

TEST_CASE("LoadFamilies gives histograms without buckets the default buckets of their unit") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - {name: a_seconds, type: histogram, help: A.}
  - {name: b_bytes, type: histogram, help: B.}
)",
       "f.yaml", schema, diags);
  CHECK(diags.Format() == "");
  CHECK(schema.at(schema.IndexOf("a_seconds")).buckets == kOtelSecondsBuckets);
  CHECK(schema.at(schema.IndexOf("b_bytes")).buckets ==
        std::vector<double>{1, 10, 100, 1000, 10000, 100000, 1000000});
}

TEST_CASE("DefaultBuckets: OpenTelemetry's HTTP durations for seconds, powers of ten otherwise") {
  CHECK(DefaultBuckets("seconds") == kOtelSecondsBuckets);
  CHECK(DefaultBuckets("bytes") == std::vector<double>{1, 10, 100, 1000, 10000, 100000, 1000000});
  CHECK(DefaultBuckets("") == DefaultBuckets("bytes"));
}

TEST_CASE("a counter whose name lacks \"_total\" is an error at its name") {
  CHECK(Errors(R"(metrics:
  - name: app_requests
    type: counter
    help: Requests.
)") == "f.yaml:2:11: error: counter \"app_requests\" must end in \"_total\"\n");
}

TEST_CASE("a gauge or histogram named \"..._total\" is an error") {
  CHECK(Errors(R"(metrics:
  - {name: app_things_total, type: gauge, help: X.}
  - {name: app_other_total, type: histogram, help: X.}
)") == "f.yaml:2:12: error: only counters may end in \"_total\"; \"app_things_total\" is a gauge\n"
       "f.yaml:3:12: error: only counters may end in \"_total\"; \"app_other_total\" is a "
       "histogram\n");
}

TEST_CASE("a unit that disagrees with the name is an error telling the name to use") {
  CHECK(Errors(R"(metrics:
  - name: app_latency_bytes
    type: histogram
    unit: seconds
    help: Latency.
  - name: app_sent_total
    type: counter
    unit: bytes
    help: Sent.
)") == "f.yaml:2:11: error: a family in seconds must be named \"..._seconds\" (Prometheus "
       "naming convention)\n"
       "f.yaml:6:11: error: a family in bytes must be named \"..._bytes_total\" (Prometheus "
       "naming convention)\n");
}

TEST_CASE("a family's unit must be a base unit, not a scaled or unknown one") {
  CHECK(Errors(R"(metrics:
  - name: app_latency_seconds
    type: gauge
    unit: ms
    help: Latency.
  - name: app_distance
    type: gauge
    unit: parsecs
    help: Distance.
)") == "f.yaml:4:11: error: a family's unit must be a base unit (seconds, bytes, ratio), not "
       "\"ms\"; rules convert their values into it\n"
       "f.yaml:8:11: error: a family's unit must be a base unit (seconds, bytes, ratio), not "
       "\"parsecs\"; rules convert their values into it\n");
}

TEST_CASE("buckets must be strictly increasing and finite") {
  CHECK(Errors(R"(metrics:
  - {name: a_seconds, type: histogram, help: A., buckets: [1, 0.5, 2]}
  - {name: b_seconds, type: histogram, help: B., buckets: [1, 1]}
  - {name: c_seconds, type: histogram, help: C., buckets: [1, .inf]}
)") == "f.yaml:2:59: error: buckets must be finite and strictly increasing (+Inf is implied)\n"
       "f.yaml:3:59: error: buckets must be finite and strictly increasing (+Inf is implied)\n"
       "f.yaml:4:59: error: buckets must be finite and strictly increasing (+Inf is implied)\n");
}

TEST_CASE("buckets must be numbers and belong to histograms only") {
  CHECK(Errors(R"(metrics:
  - {name: a_seconds, type: histogram, help: A., buckets: [1, fast]}
  - {name: b_seconds, type: gauge, help: B., buckets: [1, 2]}
)") == "f.yaml:2:59: error: \"buckets\" must be a list of numbers\n"
       "f.yaml:3:55: error: only histograms have buckets\n");
}

TEST_CASE("invalid metric and label names, reserved and repeated labels are errors") {
  CHECK(Errors(R"(metrics:
  - {name: 2xx_total, type: counter, help: A.}
  - {name: b_total, type: counter, help: B., labels: [ok, bad-name, __reserved, ok]}
  - {name: c_seconds, type: histogram, help: C., labels: [le]}
)") == "f.yaml:2:12: error: \"2xx_total\" is not a valid metric name\n"
       "f.yaml:3:54: error: \"bad-name\" is not a valid label name\n"
       "f.yaml:3:54: error: \"__reserved\" is not a valid label name\n"
       "f.yaml:3:54: error: label \"ok\" is listed twice\n"
       "f.yaml:4:58: error: \"le\" is reserved in histograms\n");
}

TEST_CASE("Prometheus's target labels job and instance are refused") {
  CHECK(Errors(R"(metrics:
  - {name: a_total, type: counter, help: A., labels: [job, instance]}
)") == "f.yaml:2:54: error: \"job\" is a Prometheus target label; name the label after what it "
       "tells apart (e.g. \"service\")\n"
       "f.yaml:2:54: error: \"instance\" is a Prometheus target label; name the label after "
       "what it tells apart (e.g. \"service\")\n");
}

TEST_CASE("missing keys, unknown types and unknown keys are all reported") {
  CHECK(Errors(R"(metrics:
  - name: a_total
    type: summary
    help: A.
  - name: b_total
  - name: c_total
    type: counter
    help: C.
    lables: [x]
)") == "f.yaml:3:11: error: unknown metric type \"summary\" (known: counter, gauge, histogram)\n"
       "f.yaml:5:5: error: metric family is missing required key \"type\"\n"
       "f.yaml:5:5: error: metric family is missing required key \"help\"\n"
       "f.yaml:9:5: error: unknown key \"lables\" in metric family (did you mean \"labels\"?)\n");
}

TEST_CASE("\"metrics\" must be a list of mappings") {
  CHECK(Errors("metrics: {name: a_total}\n") ==
        "f.yaml:1:10: error: \"metrics\" must be a list of metric families\n");
  CHECK(Errors("metrics:\n  - a_total\n") ==
        "f.yaml:2:5: error: metric family must be a mapping of keys to values\n");
}

TEST_CASE("a family with an error is not added to the schema") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - {name: bad, type: counter, help: A.}
  - {name: good_total, type: counter, help: B.}
)",
       "f.yaml", schema, diags);
  CHECK(diags.error_count() == 1);
  CHECK(schema.size() == 1);
  CHECK(schema.IndexOf("bad") == -1);
  CHECK(schema.IndexOf("good_total") == 0);
}

TEST_CASE("an identical redeclaration in another file merges into the first") {
  const std::string yaml = R"(metrics:
  - name: http_requests_total
    type: counter
    help: Requests.
    labels: [code]
  - name: http_duration_seconds
    type: histogram
    help: Durations.
)";
  Schema schema;
  Diagnostics diags;
  Load(yaml, "a.yaml", schema, diags);
  Load(yaml, "b.yaml", schema, diags);
  CHECK(diags.Format() == "");
  CHECK(schema.size() == 2);
  CHECK(schema.IndexOf("http_requests_total") == 0);
  CHECK(schema.IndexOf("http_duration_seconds") == 1);
  // The first declaration is the one kept.
  CHECK(schema.at(0).position.ToString() == "a.yaml:2:11");
}

TEST_CASE("a conflicting redeclaration is an error naming both positions and the difference") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - {name: a_total, type: counter, help: A., labels: [x]}
  - {name: b_seconds, type: gauge, help: B.}
  - {name: c_seconds, type: histogram, help: C., buckets: [1, 2]}
  - {name: d_total, type: counter, help: D.}
)",
       "first.yaml", schema, diags);
  REQUIRE(diags.Format() == "");
  Load(R"(metrics:

  - {name: a_total, type: counter, help: A., labels: [y]}
  - {name: b_seconds, type: histogram, help: B.}
  - {name: c_seconds, type: histogram, help: C., buckets: [1, 3]}
  - {name: d_total, type: counter, help: Something else.}
)",
       "second.yaml", schema, diags);
  CHECK(diags.Format() ==
        "second.yaml:3:12: error: family \"a_total\" conflicts with its declaration at "
        "first.yaml:2:12 (label names differ)\n"
        "second.yaml:4:12: error: family \"b_seconds\" conflicts with its declaration at "
        "first.yaml:3:12 (type histogram vs gauge)\n"
        "second.yaml:5:12: error: family \"c_seconds\" conflicts with its declaration at "
        "first.yaml:4:12 (buckets differ)\n"
        "second.yaml:6:12: error: family \"d_total\" conflicts with its declaration at "
        "first.yaml:5:12 (help text differs)\n");
  CHECK(schema.size() == 4);
  CHECK(schema.at(schema.IndexOf("b_seconds")).type == MetricType::kGauge);
}

TEST_CASE("a label may be bounded to listed values with a replacement for any other value") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - name: http_requests_total
    type: counter
    help: Requests.
    labels:
      - name: method
        values: [GET, POST]
        other: _OTHER
      - code
)",
       "f.yaml", schema, diags);
  CHECK(diags.Format() == "");
  REQUIRE(schema.size() == 1);
  const FamilySpec& family = schema.at(0);
  CHECK(family.labels == std::vector<std::string>{"method", "code"});
  REQUIRE(family.label_bounds.size() == 2);
  CHECK(family.label_bounds[0].values == std::vector<std::string>{"GET", "POST"});
  CHECK(family.label_bounds[0].other == "_OTHER");
  CHECK(family.label_bounds[1].values.empty());
}

TEST_CASE("a bounded label needs at least one value and the other value, and no unknown keys") {
  CHECK(Errors(R"(metrics:
  - name: a_total
    type: counter
    help: A.
    labels:
      - {name: x, values: [], other: o}
      - {name: y, values: [v]}
      - {name: z, values: [v], other: o, default: d}
  - {name: b_total, type: counter, help: B., labels: method}
)") == "f.yaml:6:27: error: \"values\" must list at least one value\n"
       "f.yaml:7:9: error: label is missing required key \"other\"\n"
       "f.yaml:8:42: error: unknown key \"default\" in label\n"
       "f.yaml:9:54: error: \"labels\" must be a list of label names\n");
}

TEST_CASE("a bounded label without a name is reported as such") {
  const std::string errors = Errors(R"(metrics:
  - name: a_total
    type: counter
    help: A.
    labels:
      - {values: [v], other: o}
)");
  CHECK(errors.find("f.yaml:6:9: error: label is missing required key \"name\"\n") !=
        std::string::npos);
}

TEST_CASE("redeclaring a family with other label bounds is a conflict") {
  Schema schema;
  Diagnostics diags;
  Load(
      "metrics:\n  - {name: a_total, type: counter, help: A., labels: [{name: m, values: [GET], "
      "other: X}]}\n",
      "first.yaml", schema, diags);
  Load(
      "metrics:\n  - {name: a_total, type: counter, help: A., labels: [{name: m, values: [PUT], "
      "other: X}]}\n",
      "second.yaml", schema, diags);
  CHECK(diags.Format() ==
        "second.yaml:2:12: error: family \"a_total\" conflicts with its declaration at "
        "first.yaml:2:12 (label values differ)\n");
}

TEST_CASE("Schema::Add returns the index, the same index for an equal family, -1 on conflict") {
  Schema schema;
  Diagnostics diags;
  FamilySpec a;
  a.name = "a_total";
  a.help = "A.";
  a.labels = {"x"};
  a.position = {"a.yaml", 1, 1};
  FamilySpec b;
  b.name = "b";
  b.type = MetricType::kGauge;
  b.help = "B.";
  b.position = {"a.yaml", 2, 1};
  CHECK(schema.Add(a, diags) == 0);
  CHECK(schema.Add(b, diags) == 1);
  a.position = {"b.yaml", 7, 3};
  CHECK(schema.Add(a, diags) == 0);
  CHECK(diags.error_count() == 0);
  b.help = "Other.";
  b.position = {"b.yaml", 9, 3};
  CHECK(schema.Add(b, diags) == -1);
  CHECK(diags.Format() ==
        "b.yaml:9:3: error: family \"b\" conflicts with its declaration at a.yaml:2:1 (help text "
        "differs)\n");
  CHECK(schema.size() == 2);
  CHECK(schema.IndexOf("missing") == -1);
}

TEST_CASE("IsValidMetricName and IsValidLabelName follow the Prometheus name syntax") {
  for (const char* name : {"a", "_a", "A_b9", "http_server_requests_total"}) {
    CAPTURE(name);
    CHECK(IsValidMetricName(name));
    CHECK(IsValidLabelName(name));
  }
  for (const char* name : {"", "9a", "a-b", "a b", "a.b", "caf\xC3\xA9"}) {
    CAPTURE(name);
    CHECK_FALSE(IsValidMetricName(name));
    CHECK_FALSE(IsValidLabelName(name));
  }
}

TEST_CASE("MetricTypeName names every type") {
  CHECK(MetricTypeName(MetricType::kCounter) == "counter");
  CHECK(MetricTypeName(MetricType::kGauge) == "gauge");
  CHECK(MetricTypeName(MetricType::kHistogram) == "histogram");
}

}  // namespace
}  // namespace metrics_adapter

namespace metrics_adapter {
namespace {

TEST_CASE("a histogram may be native, with defaults or its own bucket factor, threshold, limit") {
  Schema schema;
  Diagnostics diags;
  Load(R"(metrics:
  - name: a_seconds
    type: histogram
    help: A.
    native: true
  - name: b_seconds
    type: histogram
    help: B.
    buckets: [1, 2]
    native: {bucket_factor: 2, zero_threshold: 0.001, max_buckets: 20}
  - name: c_seconds
    type: histogram
    help: C.
    native: false
)",
       "f.yaml", schema, diags);
  CHECK(diags.Format() == "");
  REQUIRE(schema.size() == 3);
  const FamilySpec& a = schema.at(0);
  REQUIRE(a.native);
  CHECK(a.native->bucket_factor == 1.1);
  CHECK(a.native->zero_threshold == 0x1p-128);
  CHECK(a.native->max_buckets == 160);
  CHECK_FALSE(a.buckets_declared);
  CHECK(a.buckets == DefaultBuckets("seconds"));  // still written in the text formats
  const FamilySpec& b = schema.at(1);
  REQUIRE(b.native);
  CHECK(b.native->bucket_factor == 2);
  CHECK(b.native->zero_threshold == 0.001);
  CHECK(b.native->max_buckets == 20);
  CHECK(b.buckets_declared);
  CHECK_FALSE(schema.at(2).native);
}

TEST_CASE("native settings are checked, belong to histograms, and must agree when redeclared") {
  CHECK(Errors(R"(metrics:
  - name: a_seconds
    type: histogram
    help: A.
    native: {bucket_factor: 1, zero_threshold: -1, max_buckets: -2, schema: 3}
)") == "f.yaml:5:29: error: \"bucket_factor\" must be a number above 1, such as 1.1\n"
       "f.yaml:5:48: error: \"zero_threshold\" must be a finite number >= 0\n"
       "f.yaml:5:65: error: \"max_buckets\" must be >= 0 (0: no limit)\n"
       "f.yaml:5:69: error: unknown key \"schema\" in native\n");
  CHECK(Errors(R"(metrics:
  - name: a
    type: gauge
    help: A.
    native: true
)") == "f.yaml:5:13: error: only histograms can be native\n");
  CHECK(Errors(R"(metrics:
  - name: a_seconds
    type: histogram
    help: A.
    native: yes please
)") == "f.yaml:5:13: error: \"native\" must be true, false or a mapping of bucket_factor, "
       "zero_threshold, max_buckets\n");
  Schema schema;
  Diagnostics diags;
  Load("metrics: [{name: a_seconds, type: histogram, help: A., native: true}]", "one.yaml", schema,
       diags);
  Load("metrics: [{name: a_seconds, type: histogram, help: A., native: {max_buckets: 10}}]",
       "two.yaml", schema, diags);
  CHECK(diags.Format().find("(native settings differ)") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
