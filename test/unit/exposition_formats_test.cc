// RenderExposition in OpenMetrics and protobuf: every type in OpenMetrics
// text, and the protobuf body read back with the generated classes,
// native histograms included.
#include <doctest/doctest.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>
#include <string>
#include <vector>

#include "adapter/exposition/exposition.h"
#include "adapter/exposition/metrics.pb.h"
#include "adapter/store/series_store.h"
#include "test/unit/fixed_families.h"

namespace metrics_adapter {
namespace {

namespace pb = io::prometheus::client;

FamilySpec Spec(std::string name, MetricType type, std::string unit = "",
                std::vector<std::string> labels = {}) {
  FamilySpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.help = "Help \"quoted\" \\ for " + spec.name + ".";
  spec.unit = std::move(unit);
  spec.labels = std::move(labels);
  spec.label_bounds.resize(spec.labels.size());
  return spec;
}

// bytes_total (counter, unit bytes), temp (gauge), d_seconds (histogram,
// buckets 0.5 and 1, label route), n_seconds (native, declared buckets 1),
// m_seconds (native, no declared buckets: the defaults for text only).
Schema TestSchema() {
  Schema schema;
  Diagnostics diags;
  schema.Add(Spec("bytes_total", MetricType::kCounter, "bytes"), diags);
  schema.Add(Spec("temp", MetricType::kGauge), diags);
  FamilySpec d = Spec("d_seconds", MetricType::kHistogram, "seconds", {"route"});
  d.buckets = {0.5, 1};
  d.buckets_declared = true;
  schema.Add(d, diags);
  FamilySpec n = Spec("n_seconds", MetricType::kHistogram, "seconds");
  n.buckets = {1};
  n.buckets_declared = true;
  n.native = NativeSpec{};
  n.native->bucket_factor = 2;  // schema 0
  n.native->zero_threshold = 0.001;
  schema.Add(n, diags);
  FamilySpec m = Spec("m_seconds", MetricType::kHistogram, "seconds");
  m.buckets = {1, 10};
  m.native = NativeSpec{};
  schema.Add(m, diags);
  REQUIRE(diags.error_count() == 0);
  return schema;
}

void Fill(SeriesStore& store) {
  SeriesStore::Writer writer = store.Write();
  std::string_view route[] = {"/a\"b"};
  writer.Apply(Update{0, UpdateOp::kAdd, 1024, {}});
  writer.Apply(Update{1, UpdateOp::kSet, -3.5, {}});
  writer.Apply(Update{2, UpdateOp::kObserve, 0.25, route});
  writer.Apply(Update{2, UpdateOp::kObserve, 3, route});
  for (double v : {0.0, 0.75, 1.0, 3.0, 3.5, 16.0, -2.0}) {
    writer.Apply(Update{3, UpdateOp::kObserve, v, {}});
  }
  writer.Apply(Update{4, UpdateOp::kObserve, 2, {}});
}

// Each message preceded by its size as a varint (read with the lite runtime,
// which the generated classes use).
std::vector<pb::MetricFamily> ReadDelimited(const std::string& body) {
  google::protobuf::io::ArrayInputStream input(body.data(), static_cast<int>(body.size()));
  google::protobuf::io::CodedInputStream coded(&input);
  std::vector<pb::MetricFamily> families;
  std::uint32_t size = 0;
  while (coded.ReadVarint32(&size)) {
    const auto limit = coded.PushLimit(static_cast<int>(size));
    pb::MetricFamily family;
    REQUIRE(family.ParseFromCodedStream(&coded));
    REQUIRE(coded.BytesUntilLimit() == 0);  // the whole message was there
    coded.PopLimit(limit);
    families.push_back(std::move(family));
  }
  // The body ends between messages, never inside one (or inside a size).
  REQUIRE(coded.CurrentPosition() == static_cast<int>(body.size()));
  return families;
}

TEST_CASE("OpenMetrics: counters named without _total, UNIT, escaped HELP, # EOF") {
  SeriesStore store(TestSchema(), kDefaultMaxSeriesPerFamily, false);
  Fill(store);
  const std::string text = RenderExposition({&store}, ExpositionFormat::kOpenMetrics);
  CHECK(
      text.starts_with("# HELP bytes Help \\\"quoted\\\" \\\\ for bytes_total.\n"
                       "# TYPE bytes counter\n"
                       "# UNIT bytes bytes\n"
                       "bytes_total 1024\n"
                       "# HELP temp Help \\\"quoted\\\" \\\\ for temp.\n"
                       "# TYPE temp gauge\n"
                       "temp -3.5\n"
                       "# HELP d_seconds Help \\\"quoted\\\" \\\\ for d_seconds.\n"
                       "# TYPE d_seconds histogram\n"
                       "# UNIT d_seconds seconds\n"
                       "d_seconds_count{route=\"/a\\\"b\"} 2\n"
                       "d_seconds_sum{route=\"/a\\\"b\"} 3.25\n"
                       "d_seconds_bucket{route=\"/a\\\"b\",le=\"0.5\"} 1\n"
                       "d_seconds_bucket{route=\"/a\\\"b\",le=\"1\"} 1\n"
                       "d_seconds_bucket{route=\"/a\\\"b\",le=\"+Inf\"} 2\n"));
  // Native histograms are their classic buckets in text, declared or default.
  CHECK(text.find("n_seconds_bucket{le=\"1\"} 4\n") != std::string::npos);
  CHECK(text.find("m_seconds_bucket{le=\"10\"} 1\n") != std::string::npos);
  CHECK(text.ends_with("m_seconds_bucket{le=\"+Inf\"} 1\n# EOF\n"));
  // The Prometheus text format of the same store: _total in TYPE, no UNIT,
  // quotes in HELP as they are, no EOF.
  const std::string plain = RenderExposition({&store});
  CHECK(
      plain.starts_with("# HELP bytes_total Help \"quoted\" \\\\ for bytes_total.\n"
                        "# TYPE bytes_total counter\n"
                        "bytes_total 1024\n"));
  CHECK(plain.find("# UNIT") == std::string::npos);
  CHECK(plain.find("# EOF") == std::string::npos);
}

TEST_CASE("OpenMetrics from collected families: _total added, unknown type, summary, seconds") {
  prometheus::MetricFamily counter{"events", "Events.", prometheus::MetricType::Counter, {}};
  prometheus::ClientMetric c;
  c.counter.value = 5;
  c.timestamp_ms = 1500;
  counter.metric.push_back(c);
  prometheus::MetricFamily untyped{"thing", "", prometheus::MetricType::Untyped, {}};
  prometheus::ClientMetric u;
  u.untyped.value = 1;
  untyped.metric.push_back(u);
  prometheus::MetricFamily summary{"lat", "Lat.", prometheus::MetricType::Summary, {}};
  prometheus::ClientMetric s;
  s.label = {{"k", "v\nw"}};
  s.summary.sample_count = 3;
  s.summary.sample_sum = 1.5;
  s.summary.quantile = {{0.5, 0.25}};
  summary.metric.push_back(s);
  FixedFamilies fixed({counter, untyped, summary});
  CHECK(RenderExposition({&fixed}, ExpositionFormat::kOpenMetrics) ==
        "# HELP events Events.\n"
        "# TYPE events counter\n"
        "events_total 5 1.5\n"
        "# TYPE thing unknown\n"
        "thing 1\n"
        "# HELP lat Lat.\n"
        "# TYPE lat summary\n"
        "lat_count{k=\"v\\nw\"} 3\n"
        "lat_sum{k=\"v\\nw\"} 1.5\n"
        "lat{k=\"v\\nw\",quantile=\"0.5\"} 0.25\n"
        "# EOF\n");
  CHECK(RenderExposition({}, ExpositionFormat::kOpenMetrics) == "# EOF\n");
}

TEST_CASE("protobuf: every family read back with the generated classes") {
  SeriesStore store(TestSchema(), kDefaultMaxSeriesPerFamily, false);
  Fill(store);
  prometheus::MetricFamily summary{"lat", "Lat.", prometheus::MetricType::Summary, {}};
  prometheus::ClientMetric s;
  s.label = {{"k", "v"}};
  s.summary.sample_count = 3;
  s.summary.sample_sum = 1.5;
  s.summary.quantile = {{0.5, 0.25}, {0.9, 1}};
  s.timestamp_ms = 42;
  summary.metric.push_back(s);
  FixedFamilies fixed({summary});
  const std::vector<pb::MetricFamily> families =
      ReadDelimited(RenderExposition({&store, &fixed}, ExpositionFormat::kProtobuf));
  REQUIRE(families.size() == 6);

  CHECK(families[0].name() == "bytes_total");
  CHECK(families[0].help() == "Help \"quoted\" \\ for bytes_total.");
  CHECK(families[0].type() == pb::COUNTER);
  REQUIRE(families[0].metric_size() == 1);
  CHECK(families[0].metric(0).counter().value() == 1024);

  CHECK(families[1].type() == pb::GAUGE);
  CHECK(families[1].metric(0).gauge().value() == -3.5);

  const pb::Metric& classic = families[2].metric(0);
  CHECK(families[2].type() == pb::HISTOGRAM);
  REQUIRE(classic.label_size() == 1);
  CHECK(classic.label(0).name() == "route");
  CHECK(classic.label(0).value() == "/a\"b");
  CHECK(classic.histogram().sample_count() == 2);
  CHECK(classic.histogram().sample_sum() == 3.25);
  REQUIRE(classic.histogram().bucket_size() == 3);
  CHECK(classic.histogram().bucket(0).upper_bound() == 0.5);
  CHECK(classic.histogram().bucket(1).cumulative_count() == 1);
  CHECK(classic.histogram().bucket(2).cumulative_count() == 2);
  CHECK_FALSE(classic.histogram().has_schema());  // not native
  CHECK(classic.histogram().positive_span_size() == 0);

  // n_seconds at schema 0, zero threshold 0.001: 0 -> zero bucket;
  // 0.75 and 1 -> bucket 0; 3, 3.5 -> 2; 16 -> 4; -2 -> negative 1.
  const pb::Histogram& native = families[3].metric(0).histogram();
  CHECK(native.sample_count() == 7);
  CHECK(native.sample_sum() == doctest::Approx(22.25));
  CHECK(native.schema() == 0);
  CHECK(native.zero_threshold() == 0.001);
  CHECK(native.zero_count() == 1);
  // Indices 0, 2, 4: three spans of one, offsets from the previous end.
  REQUIRE(native.positive_span_size() == 3);
  CHECK(native.positive_span(0).offset() == 0);
  CHECK(native.positive_span(0).length() == 1);
  CHECK(native.positive_span(1).offset() == 1);
  CHECK(native.positive_span(2).offset() == 1);
  REQUIRE(native.positive_delta_size() == 3);
  CHECK(native.positive_delta(0) == 2);   // 2
  CHECK(native.positive_delta(1) == 0);   // 2
  CHECK(native.positive_delta(2) == -1);  // 1
  REQUIRE(native.negative_span_size() == 1);
  CHECK(native.negative_span(0).offset() == 1);
  CHECK(native.negative_span(0).length() == 1);
  CHECK(native.negative_delta(0) == 1);
  // Declared classic buckets travel along: le 1 holds 0, 0.75, 1 and -2.
  REQUIRE(native.bucket_size() == 2);
  CHECK(native.bucket(0).cumulative_count() == 4);

  // m_seconds: the default schema 3, classic buckets not declared: none.
  const pb::Histogram& bare = families[4].metric(0).histogram();
  CHECK(bare.schema() == 3);
  CHECK(bare.bucket_size() == 0);
  REQUIRE(bare.positive_span_size() == 1);
  CHECK(bare.positive_span(0).offset() == 8);  // 2 is the upper bound of bucket 8
  CHECK(bare.positive_delta(0) == 1);

  CHECK(families[5].type() == pb::SUMMARY);
  const pb::Metric& lat = families[5].metric(0);
  CHECK(lat.timestamp_ms() == 42);
  CHECK(lat.summary().sample_count() == 3);
  REQUIRE(lat.summary().quantile_size() == 2);
  CHECK(lat.summary().quantile(1).quantile() == 0.9);
  CHECK(lat.summary().quantile(1).value() == 1);
}

TEST_CASE("protobuf: consecutive native buckets share a span; a family merged across stores") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec = Spec("x_seconds", MetricType::kHistogram, "seconds", {"src"});
  spec.buckets = DefaultBuckets("seconds");
  spec.native = NativeSpec{};
  spec.native->bucket_factor = 2;
  schema.Add(spec, diags);
  SeriesStore a(schema, kDefaultMaxSeriesPerFamily, false);
  SeriesStore b(schema, kDefaultMaxSeriesPerFamily, false);
  std::string_view one[] = {"one"};
  std::string_view two[] = {"two"};
  {
    SeriesStore::Writer writer = a.Write();
    for (double v : {0.5, 1.0, 2.0, 2.0, 4.0}) writer.Apply(Update{0, UpdateOp::kObserve, v, one});
  }
  {
    SeriesStore::Writer writer = b.Write();
    writer.Apply(Update{0, UpdateOp::kObserve, 1, one});  // the same series: a's wins
    writer.Apply(Update{0, UpdateOp::kObserve, 1, two});
  }
  const std::vector<pb::MetricFamily> families =
      ReadDelimited(RenderExposition({&a, &b}, ExpositionFormat::kProtobuf));
  REQUIRE(families.size() == 1);
  REQUIRE(families[0].metric_size() == 2);
  const pb::Histogram& h = families[0].metric(0).histogram();
  CHECK(h.sample_count() == 5);
  REQUIRE(h.positive_span_size() == 1);
  CHECK(h.positive_span(0).offset() == -1);
  CHECK(h.positive_span(0).length() == 4);
  REQUIRE(h.positive_delta_size() == 4);
  CHECK(h.positive_delta(0) == 1);   // bucket -1: 1
  CHECK(h.positive_delta(1) == 0);   // bucket 0: 1
  CHECK(h.positive_delta(2) == 1);   // bucket 1: 2
  CHECK(h.positive_delta(3) == -1);  // bucket 2: 1
  CHECK(families[0].metric(1).label(0).value() == "two");
  CHECK(families[0].metric(1).histogram().sample_count() == 1);
}

TEST_CASE("a reload keeps a native family's series only while its native settings stay") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec = Spec("r_seconds", MetricType::kHistogram, "seconds");
  spec.buckets = DefaultBuckets("seconds");
  spec.native = NativeSpec{};
  schema.Add(spec, diags);
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, false);
  {
    SeriesStore::Writer writer = store.Write();
    writer.Apply(Update{0, UpdateOp::kObserve, 2, {}});
  }
  const auto count = [&] {
    const std::vector<pb::MetricFamily> families =
        ReadDelimited(RenderExposition({&store}, ExpositionFormat::kProtobuf));
    return families.empty() ? 0 : families[0].metric(0).histogram().sample_count();
  };
  store.Reconfigure(schema, kDefaultMaxSeriesPerFamily, [] {});
  CHECK(count() == 1);  // unchanged: kept, native buckets and all
  Schema coarser;
  spec.native->bucket_factor = 2;
  coarser.Add(spec, diags);
  store.Reconfigure(coarser, kDefaultMaxSeriesPerFamily, [] {});
  CHECK(count() == 0);  // other buckets: the family starts empty
}

}  // namespace
}  // namespace metrics_adapter
