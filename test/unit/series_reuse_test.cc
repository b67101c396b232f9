// The series a family resolved last, which the next update with the same
// label values reaches without a hash: it must never outlive its series
// (ttl expiry, a reload that replaces the family) nor stand for another one
// (the overflow series, label values that read alike in the label block).
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/store/series_store.h"
#include "adapter/store/series_table.h"
#include "test/unit/test_families.h"

namespace metrics_adapter {
namespace {

FamilySpec Users(std::size_t max_series = 0, std::chrono::seconds ttl = {}) {
  FamilySpec spec = TestFamily("users_total", MetricType::kCounter, {"user", "code"});
  spec.max_series = max_series;
  spec.ttl = ttl;
  return spec;
}

void Inc(SeriesStore& store, std::string_view user, std::string_view code) {
  const std::vector<std::string_view> values = {user, code};
  SeriesStore::Writer writer = store.Write();
  writer.Apply(Update{0, UpdateOp::kInc, 1, values});
}

// "user,code=value" of every series of users_total, in order, then the
// overflow and expiry counts.
std::string Dump(const SeriesStore& store) {
  std::string out;
  for (const prometheus::MetricFamily& family : store.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (family.name == "users_total") {
        out += metric.label[0].value + "," + metric.label[1].value + "=" +
               std::to_string(static_cast<int>(metric.counter.value)) + " ";
      } else if (family.name == "metrics_adapter_series_overflow_total") {
        out += "overflowed=" + std::to_string(static_cast<int>(metric.counter.value)) + " ";
      } else if (family.name == "metrics_adapter_series_expired_total") {
        out += "expired=" + std::to_string(static_cast<int>(metric.counter.value)) + " ";
      }
    }
  }
  return out;
}

TEST_CASE("a series expired by its ttl starts again when the same labels come back") {
  SeriesStore store(OneFamily(Users(0, std::chrono::seconds(60))));
  SeriesStore::Clock::time_point now{};
  store.SetClockForTesting([&now] { return now; });
  Inc(store, "ann", "200");
  Inc(store, "ann", "200");  // the series resolved last
  now += std::chrono::seconds(61);
  CHECK(Dump(store) == "overflowed=0 expired=1 ");  // the scrape frees it
  Inc(store, "ann", "200");  // a stale reference would count into freed memory
  Inc(store, "ann", "200");
  CHECK(Dump(store) == "ann,200=2 overflowed=0 expired=1 ");
}

TEST_CASE("a reload that replaces the family starts its series again; one that keeps it, not") {
  SeriesStore store(OneFamily(Users()));
  Inc(store, "ann", "200");
  Inc(store, "ann", "200");
  FamilySpec changed = Users();
  changed.help = "Logins, by user.";
  changed.type = MetricType::kGauge;  // not the same shape: a new, empty family
  store.Reconfigure(OneFamily(changed), kDefaultMaxSeriesPerFamily, [] {});
  {
    const std::vector<std::string_view> values = {"ann", "200"};
    SeriesStore::Writer writer = store.Write();
    writer.Apply(Update{0, UpdateOp::kAdd, 5, values});
  }
  std::vector<prometheus::MetricFamily> families = store.Collect();
  REQUIRE(families.front().name == "users_total");
  REQUIRE(families.front().metric.size() == 1);
  CHECK(families.front().metric[0].gauge.value == 5);

  store.Reconfigure(OneFamily(Users()), kDefaultMaxSeriesPerFamily, [] {});
  Inc(store, "ann", "200");
  store.Reconfigure(OneFamily(Users()), kDefaultMaxSeriesPerFamily, [] {});  // unchanged: kept
  Inc(store, "ann", "200");
  CHECK(Dump(store) == "ann,200=2 overflowed=0 ");
}

TEST_CASE("an update folded into the overflow series is counted even right after another") {
  SeriesStore store(OneFamily(Users(/*max_series=*/1)));
  Inc(store, "ann", "200");
  Inc(store, "bob", "200");  // past the limit: folded
  Inc(store, "bob", "200");  // the same values again: folded and counted again
  Inc(store, "ann", "200");
  Inc(store, "__overflow__", "__overflow__");  // the overflow series' own values: no fold
  CHECK(Dump(store) == "__overflow__,__overflow__=3 ann,200=2 overflowed=2 ");
}

TEST_CASE("values that spell another series' label block across its labels are not that series") {
  SeriesTable table({"a", "b"});
  SeriesTable::Series& series = table.Add(std::vector<std::string_view>{"x", "12345"});
  CHECK(series.labels() == R"(a="x",b="12345")");
  // Byte for byte, `x",b=` and `` walk the same block, but label b's
  // opening quote is not where it would have to be.
  CHECK(table.Find(std::vector<std::string_view>{"x\",b=", ""}) == nullptr);
  CHECK(table.Find(std::vector<std::string_view>{"x\",b=\"1234", "5"}) == nullptr);
  CHECK(table.Find(std::vector<std::string_view>{"x", "1234"}) == nullptr);
  CHECK(table.Find(std::vector<std::string_view>{"x", "123456"}) == nullptr);
  CHECK(table.Find(std::vector<std::string_view>{"x", "12345"}) == &series);

  // Escaped values: the bytes stored differ from the value's.
  SeriesTable::Series& quoted = table.Add(std::vector<std::string_view>{"say \"hi\"\n", "a\\b"});
  CHECK(quoted.labels() == R"(a="say \"hi\"\n",b="a\\b")");
  CHECK(table.Find(std::vector<std::string_view>{"x", "12345"}) == &series);
  CHECK(table.Find(std::vector<std::string_view>{"say \"hi\"\n", "a\\b"}) == &quoted);
  CHECK(table.Find(std::vector<std::string_view>{"say \\\"hi\\\"\\n", "a\\\\b"}) == nullptr);
  CHECK(table.Find(std::vector<std::string_view>{"say \"hi\"\n", "a\\"}) == nullptr);
  CHECK(table.size() == 2);
}

TEST_CASE("a table forgets the series it resolved last when the series goes") {
  SeriesTable table({"a"});
  const std::vector<std::string_view> x = {"x"};
  table.Add(x);
  REQUIRE(table.Find(x) != nullptr);
  CHECK(table.EraseIf([](const SeriesTable::Series&) { return true; }) == 1);
  CHECK(table.Find(x) == nullptr);
  SeriesTable::Series& again = table.Add(x);
  CHECK(table.Find(x) == &again);
  SeriesTable moved = std::move(table);
  CHECK(moved.Find(x) == &again);
  CHECK(table.Find(x) == nullptr);  // NOLINT(bugprone-use-after-move): a moved-from table is empty
}

}  // namespace
}  // namespace metrics_adapter
