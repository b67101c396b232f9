// SeriesStore: counter, gauge and histogram semantics, the order Collect
// returns series in, the series limit and ttl, and concurrent use.
#include "adapter/store/series_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "test/unit/test_families.h"

namespace metrics_adapter {
namespace {

// Family indices in the schema every test uses.
constexpr int kCounter = 0;    // requests_total{method,code}
constexpr int kGauge = 1;      // queue_length
constexpr int kHistogram = 2;  // duration_seconds{route}, buckets 1, 2, 5
constexpr int kUser = 3;       // users_total{user}

Schema TestSchema() {
  Schema schema;
  Diagnostics diags;
  schema.Add(TestFamily("requests_total", MetricType::kCounter, {"method", "code"}), diags);
  schema.Add(TestFamily("queue_length", MetricType::kGauge, {}), diags);
  schema.Add(TestFamily("duration_seconds", MetricType::kHistogram, {"route"}, {1, 2, 5}), diags);
  schema.Add(TestFamily("users_total", MetricType::kCounter, {"user"}), diags);
  REQUIRE(diags.Format() == "");
  return schema;
}

void Apply(SeriesStore& store, int family, UpdateOp op, double value,
           std::vector<std::string_view> labels) {
  SeriesStore::Writer writer = store.Write();
  writer.Apply(Update{family, op, value, labels});
}

// The family called `name` in `families`, or nullptr.
const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families,
                                     const std::string& name) {
  for (const prometheus::MetricFamily& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

std::vector<std::string> Names(const std::vector<prometheus::MetricFamily>& families) {
  std::vector<std::string> names;
  names.reserve(families.size());
  for (const prometheus::MetricFamily& family : families) names.push_back(family.name);
  return names;
}

// "name=value,..." of one metric's labels.
std::string LabelText(const prometheus::ClientMetric& metric) {
  std::string out;
  for (const prometheus::ClientMetric::Label& label : metric.label) {
    out += (out.empty() ? "" : ",") + label.name + "=" + label.value;
  }
  return out;
}

TEST_CASE("a counter starts at its first update and adds inc and add values") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kCounter, UpdateOp::kInc, 1, {"GET", "200"});
  Apply(store, kCounter, UpdateOp::kInc, 1, {"GET", "200"});
  Apply(store, kCounter, UpdateOp::kAdd, 2.5, {"GET", "200"});
  Apply(store, kCounter, UpdateOp::kInc, 1, {"GET", "404"});
  const auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "requests_total");
  REQUIRE(family != nullptr);
  CHECK(family->type == prometheus::MetricType::Counter);
  CHECK(family->help == "Help for requests_total.");
  REQUIRE(family->metric.size() == 2);
  CHECK(LabelText(family->metric[0]) == "method=GET,code=200");
  CHECK(family->metric[0].counter.value == 4.5);
  CHECK(LabelText(family->metric[1]) == "method=GET,code=404");
  CHECK(family->metric[1].counter.value == 1);
  CHECK(store.SeriesCount() == 2);
}

TEST_CASE("a gauge is set, and add moves it either way") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kGauge, UpdateOp::kSet, 10, {});
  Apply(store, kGauge, UpdateOp::kAdd, -3, {});
  Apply(store, kGauge, UpdateOp::kInc, 1, {});
  auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "queue_length");
  REQUIRE(family != nullptr);
  CHECK(family->type == prometheus::MetricType::Gauge);
  REQUIRE(family->metric.size() == 1);
  CHECK(family->metric[0].label.empty());
  CHECK(family->metric[0].gauge.value == 8);

  Apply(store, kGauge, UpdateOp::kSet, -2, {});
  families = store.Collect();
  CHECK(Find(families, "queue_length")->metric[0].gauge.value == -2);
}

TEST_CASE("a histogram puts a value equal to an upper bound in that bucket") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  // Buckets 1, 2, 5 and +Inf.
  for (double value :
       {0.0, -1.0, 1.0, 1.0000001, 2.0, 5.0, 5.5, std::numeric_limits<double>::infinity()}) {
    Apply(store, kHistogram, UpdateOp::kObserve, value, {"/a"});
  }
  const auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "duration_seconds");
  REQUIRE(family != nullptr);
  CHECK(family->type == prometheus::MetricType::Histogram);
  REQUIRE(family->metric.size() == 1);
  const prometheus::ClientMetric::Histogram& h = family->metric[0].histogram;
  REQUIRE(h.bucket.size() == 4);
  // Cumulative counts: <=1: 0, -1, 1; <=2: + 1.0000001, 2; <=5: + 5; +Inf: + 5.5, inf.
  CHECK(h.bucket[0].upper_bound == 1);
  CHECK(h.bucket[0].cumulative_count == 3);
  CHECK(h.bucket[1].upper_bound == 2);
  CHECK(h.bucket[1].cumulative_count == 5);
  CHECK(h.bucket[2].upper_bound == 5);
  CHECK(h.bucket[2].cumulative_count == 6);
  CHECK(std::isinf(h.bucket[3].upper_bound));
  CHECK(h.bucket[3].cumulative_count == 8);
  CHECK(h.sample_count == 8);
  CHECK(std::isinf(h.sample_sum));
}

TEST_CASE("a histogram's sum and count add up every observation") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kHistogram, UpdateOp::kObserve, 0.5, {"/a"});
  Apply(store, kHistogram, UpdateOp::kObserve, 3, {"/a"});
  Apply(store, kHistogram, UpdateOp::kObserve, 10, {"/b"});
  const auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "duration_seconds");
  REQUIRE(family != nullptr);
  REQUIRE(family->metric.size() == 2);
  CHECK(LabelText(family->metric[0]) == "route=/a");
  CHECK(family->metric[0].histogram.sample_sum == 3.5);
  CHECK(family->metric[0].histogram.sample_count == 2);
  CHECK(family->metric[0].histogram.bucket[0].cumulative_count == 1);
  CHECK(family->metric[0].histogram.bucket[2].cumulative_count == 2);
  CHECK(LabelText(family->metric[1]) == "route=/b");
  CHECK(family->metric[1].histogram.bucket[2].cumulative_count == 0);
  CHECK(family->metric[1].histogram.bucket[3].cumulative_count == 1);
}

TEST_CASE("Collect returns only families with series, in schema order, then the store's own") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  CHECK(
      Names(store.Collect()) ==
      std::vector<std::string>{"metrics_adapter_series", "metrics_adapter_series_overflow_total"});
  Apply(store, kUser, UpdateOp::kInc, 1, {"bob"});
  Apply(store, kCounter, UpdateOp::kInc, 1, {"GET", "200"});
  CHECK(Names(store.Collect()) ==
        std::vector<std::string>{"requests_total", "users_total", "metrics_adapter_series",
                                 "metrics_adapter_series_overflow_total"});
}

TEST_CASE("Collect sorts series by their label values") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  for (auto [method, code] : std::vector<std::pair<const char*, const char*>>{
           {"POST", "500"}, {"GET", "404"}, {"POST", "200"}, {"GET", "200"}, {"DELETE", "204"}}) {
    Apply(store, kCounter, UpdateOp::kInc, 1, {method, code});
  }
  const auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "requests_total");
  REQUIRE(family != nullptr);
  std::vector<std::string> order;
  for (const prometheus::ClientMetric& metric : family->metric) order.push_back(LabelText(metric));
  CHECK(order == std::vector<std::string>{"method=DELETE,code=204", "method=GET,code=200",
                                          "method=GET,code=404", "method=POST,code=200",
                                          "method=POST,code=500"});
}

// Series keys end each label value with the separator byte 0xFF, which
// would sort after every byte of a value: the order must still be by value.
TEST_CASE("Collect sorts a label value before the longer values it is a prefix of") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kUser, UpdateOp::kInc, 1, {"ab"});
  Apply(store, kUser, UpdateOp::kInc, 1, {"a"});
  Apply(store, kUser, UpdateOp::kInc, 1, {"b"});
  const auto families = store.Collect();
  const prometheus::MetricFamily* family = Find(families, "users_total");
  REQUIRE(family != nullptr);
  std::vector<std::string> order;
  for (const prometheus::ClientMetric& metric : family->metric) order.push_back(LabelText(metric));
  CHECK(order == std::vector<std::string>{"user=a", "user=ab", "user=b"});
}

TEST_CASE("label values that concatenate alike are still different series") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kCounter, UpdateOp::kInc, 1, {"ab", "c"});
  Apply(store, kCounter, UpdateOp::kInc, 1, {"a", "bc"});
  Apply(store, kCounter, UpdateOp::kInc, 1, {"", "abc"});
  CHECK(store.SeriesCount() == 3);
}

TEST_CASE("the store reports its series per family") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  Apply(store, kUser, UpdateOp::kInc, 1, {"a"});
  Apply(store, kUser, UpdateOp::kInc, 1, {"b"});
  Apply(store, kGauge, UpdateOp::kSet, 1, {});
  const auto families = store.Collect();
  const prometheus::MetricFamily* series = Find(families, "metrics_adapter_series");
  REQUIRE(series != nullptr);
  CHECK(series->type == prometheus::MetricType::Gauge);
  std::vector<std::string> rows;
  for (const prometheus::ClientMetric& metric : series->metric) {
    rows.push_back(LabelText(metric) + " " + std::to_string(static_cast<int>(metric.gauge.value)));
  }
  CHECK(rows == std::vector<std::string>{"family=requests_total 0", "family=queue_length 1",
                                         "family=duration_seconds 0", "family=users_total 2"});
}

TEST_CASE("metrics_adapter_series adds the pulled sources' series when a snapshot is given them") {
  Schema schema = TestSchema();
  SeriesStore streamed(schema);
  Apply(streamed, kUser, UpdateOp::kInc, 1, {"a"});
  // Two pulled sources' stores of one scrape: no own metrics of their own.
  SeriesStore pulled_a(schema, kDefaultMaxSeriesPerFamily, false);
  Apply(pulled_a, kUser, UpdateOp::kInc, 1, {"b"});
  Apply(pulled_a, kGauge, UpdateOp::kSet, 3, {});
  SeriesStore pulled_b(schema, kDefaultMaxSeriesPerFamily, false);
  Apply(pulled_b, kCounter, UpdateOp::kInc, 1, {"GET", "200"});
  Apply(pulled_b, kCounter, UpdateOp::kInc, 1, {"GET", "404"});
  SeriesStore::SeriesByFamily pulled;
  pulled_a.AddSeriesByFamily(pulled);
  pulled_b.AddSeriesByFamily(pulled);
  CHECK(pulled == SeriesStore::SeriesByFamily{
                      {"queue_length", 1}, {"requests_total", 2}, {"users_total", 1}});
  CHECK(Find(pulled_a.Collect(), "metrics_adapter_series") == nullptr);

  const auto rows_of = [](const std::vector<prometheus::MetricFamily>& families) {
    std::vector<std::string> rows;
    const prometheus::MetricFamily* series = Find(families, "metrics_adapter_series");
    REQUIRE(series != nullptr);
    for (const prometheus::ClientMetric& metric : series->metric) {
      rows.push_back(LabelText(metric) + " " +
                     std::to_string(static_cast<int>(metric.gauge.value)));
    }
    return rows;
  };
  CHECK(rows_of(streamed.OpenSnapshot(pulled)->CollectedFamilies()) ==
        std::vector<std::string>{"family=requests_total 2", "family=queue_length 1",
                                 "family=duration_seconds 0", "family=users_total 2"});
  // Without them (once, or no pulled source): the streamed series only.
  CHECK(rows_of(streamed.OpenSnapshot()->CollectedFamilies()) ==
        std::vector<std::string>{"family=requests_total 0", "family=queue_length 0",
                                 "family=duration_seconds 0", "family=users_total 1"});
}

TEST_CASE("past max_series, new label sets fold into one overflow series and are counted") {
  Schema schema = TestSchema();
  SeriesStore store(schema, /*default_max_series=*/2);
  for (const char* user : {"a", "b", "c", "d", "a", "c"}) {
    Apply(store, kUser, UpdateOp::kInc, 1, {user});
  }
  const auto families = store.Collect();
  const prometheus::MetricFamily* users = Find(families, "users_total");
  REQUIRE(users != nullptr);
  std::vector<std::string> rows;
  for (const prometheus::ClientMetric& metric : users->metric) {
    rows.push_back(LabelText(metric) + " " +
                   std::to_string(static_cast<int>(metric.counter.value)));
  }
  CHECK(rows == std::vector<std::string>{"user=__overflow__ 3", "user=a 2", "user=b 1"});
  const prometheus::MetricFamily* overflow =
      Find(families, "metrics_adapter_series_overflow_total");
  REQUIRE(overflow != nullptr);
  REQUIRE(overflow->metric.size() == 4);
  CHECK(LabelText(overflow->metric[3]) == "family=users_total");
  CHECK(overflow->metric[3].counter.value == 3);
  CHECK(overflow->metric[0].counter.value == 0);
}

TEST_CASE("a family's own max_series overrides the store's default") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec = TestFamily("users_total", MetricType::kCounter, {"user"});
  spec.max_series = 1;
  schema.Add(spec, diags);
  SeriesStore store(schema, /*default_max_series=*/100);
  Apply(store, 0, UpdateOp::kInc, 1, {"a"});
  Apply(store, 0, UpdateOp::kInc, 1, {"b"});
  CHECK(store.SeriesCount() == 2);  // "a" and the overflow series
  const auto families = store.Collect();
  CHECK(LabelText(Find(families, "users_total")->metric[0]) == "user=__overflow__");
}

TEST_CASE("a family with a ttl drops series not updated for that long, at the next scrape") {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec = TestFamily("users_total", MetricType::kCounter, {"user"});
  spec.ttl = std::chrono::seconds(60);
  schema.Add(spec, diags);
  SeriesStore store(schema);
  SeriesStore::Clock::time_point now{};
  store.SetClockForTesting([&now] { return now; });

  Apply(store, 0, UpdateOp::kInc, 1, {"old"});
  now += std::chrono::seconds(30);
  Apply(store, 0, UpdateOp::kInc, 1, {"new"});
  now += std::chrono::seconds(29);  // "old" is 59s old: kept
  auto families = store.Collect();
  REQUIRE(Find(families, "users_total") != nullptr);
  CHECK(Find(families, "users_total")->metric.size() == 2);
  now += std::chrono::seconds(2);  // "old" is 61s old, "new" 31s
  families = store.Collect();
  REQUIRE(Find(families, "users_total") != nullptr);
  REQUIRE(Find(families, "users_total")->metric.size() == 1);
  CHECK(LabelText(Find(families, "users_total")->metric[0]) == "user=new");
  const prometheus::MetricFamily* expired = Find(families, "metrics_adapter_series_expired_total");
  REQUIRE(expired != nullptr);
  REQUIRE(expired->metric.size() == 1);
  CHECK(expired->metric[0].counter.value == 1);

  // An expired series starts again from zero.
  Apply(store, 0, UpdateOp::kAdd, 5, {"old"});
  families = store.Collect();
  REQUIRE(Find(families, "users_total")->metric.size() == 2);
  CHECK(LabelText(Find(families, "users_total")->metric[1]) == "user=old");
  CHECK(Find(families, "users_total")->metric[1].counter.value == 5);
}

TEST_CASE("concurrent writers and collectors lose no update and see consistent histograms") {
  Schema schema = TestSchema();
  SeriesStore store(schema);
  constexpr int kWriters = 4;
  constexpr int kBatches = 200;
  constexpr int kPerBatch = 10;
  constexpr int kCollectors = 2;
  constexpr int kCollects = 100;
  std::atomic<int> inconsistencies{0};
  std::vector<std::thread> threads;
  threads.reserve(kWriters + kCollectors);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&store, w] {
      const std::string route = "/r" + std::to_string(w % 2);
      for (int b = 0; b < kBatches; ++b) {
        SeriesStore::Writer writer = store.Write();
        for (int i = 0; i < kPerBatch; ++i) {
          std::string_view counter_labels[] = {"GET", "200"};
          writer.Apply(Update{kCounter, UpdateOp::kInc, 1, counter_labels});
          std::string_view histogram_labels[] = {route};
          writer.Apply(
              Update{kHistogram, UpdateOp::kObserve, static_cast<double>(i % 7), histogram_labels});
        }
      }
    });
  }
  for (int c = 0; c < kCollectors; ++c) {
    threads.emplace_back([&store, &inconsistencies] {
      double last_count = 0;
      for (int i = 0; i < kCollects; ++i) {
        const auto families = store.Collect();
        if (const prometheus::MetricFamily* requests = Find(families, "requests_total")) {
          const double count = requests->metric.at(0).counter.value;
          if (count < last_count) ++inconsistencies;  // a counter went down
          last_count = count;
        }
        if (const prometheus::MetricFamily* durations = Find(families, "duration_seconds")) {
          for (const prometheus::ClientMetric& metric : durations->metric) {
            const auto& h = metric.histogram;
            if (h.bucket.back().cumulative_count != h.sample_count) ++inconsistencies;
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(inconsistencies == 0);
  const auto families = store.Collect();
  CHECK(Find(families, "requests_total")->metric.at(0).counter.value ==
        kWriters * kBatches * kPerBatch);
  std::uint64_t observations = 0;
  for (const prometheus::ClientMetric& metric : Find(families, "duration_seconds")->metric) {
    observations += metric.histogram.sample_count;
  }
  CHECK(observations == kWriters * kBatches * kPerBatch);
  CHECK(store.SeriesCount() == 3);
}

}  // namespace
}  // namespace metrics_adapter
