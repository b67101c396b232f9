// The order a store keeps between scrapes (new series sorted and merged in,
// expired ones taken out, the series it resolved last)
// against a render from scratch: a model of the series, sorted by label
// values at every scrape, written line by line.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "adapter/exposition/exposition.h"
#include "adapter/exposition/text_format.h"
#include "adapter/store/series_store.h"
#include "adapter/store/series_table.h"
#include "test/unit/test_families.h"

namespace metrics_adapter {
namespace {

using Values = std::vector<std::string>;

// Label values that sort in every tricky way: prefixes of each other, bytes
// below and above the closing quote, the three escaped characters, UTF-8.
const std::vector<std::string>& Pool() {
  static const std::vector<std::string> pool = {
      "",   "x", "x ", "x!", "x\"", "x\\", "x\ny",    "xa",           "x\"a", "x\\a",
      "xb", "y", "é",  "ü",  "\t",  "a,b", "a=\"b\"", "__overflow__", "x\\n", "x\n"};
  return pool;
}

FamilySpec Spec(std::size_t max_series, std::chrono::seconds ttl) {
  FamilySpec spec = TestFamily("requests_total", MetricType::kCounter, {"a", "b"});
  spec.max_series = max_series;
  spec.ttl = ttl;
  return spec;
}

// What the store should hold, kept the plain way.
struct Model {
  struct Entry {
    double value = 0;
    SeriesStore::Clock::time_point last_update;
  };
  std::map<Values, Entry> series;  // std::map: sorted by label values, as a scrape writes them
  std::size_t max_series = 0;
  std::chrono::seconds ttl{0};

  void Inc(const Values& values, SeriesStore::Clock::time_point now) {
    Values key = values;
    if (!series.contains(key) && series.size() >= max_series) {
      key.assign(values.size(), std::string(kOverflowLabelValue));
    }
    Entry& entry = series[key];
    entry.value += 1;
    entry.last_update = now;
  }
  void Expire(SeriesStore::Clock::time_point now) {
    if (ttl.count() == 0) return;
    std::erase_if(series, [&](const auto& kv) { return now - kv.second.last_update > ttl; });
  }
  // The family's sample lines, from scratch.
  std::string Render(const FamilySpec& spec) const {
    std::string out;
    for (const auto& [values, entry] : series) {
      std::string block;
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) block += ',';
        AppendLabelPair(block, spec.labels[i], values[i]);
      }
      AppendSample(out, spec.name, "", block, entry.value);
    }
    return out;
  }
};

// The lines of `family` in a text exposition.
std::string FamilyLines(const std::string& body, const std::string& family) {
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    const std::string_view line(body.data() + pos, end - pos);
    if (line.starts_with(family + "{") || line.starts_with(family + " ")) {
      out.append(line);
      out += '\n';
    }
    pos = end + 1;
  }
  return out;
}

// Collect's label values of each series, in its order.
std::vector<Values> CollectedValues(const SeriesStore& store) {
  std::vector<Values> out;
  for (const prometheus::MetricFamily& family : store.Collect()) {
    if (family.name != "requests_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      Values values;
      for (const auto& label : metric.label) values.push_back(label.value);
      out.push_back(values);
    }
  }
  return out;
}

void CheckAgainstModel(const SeriesStore& store, Model& model, const FamilySpec& spec,
                       SeriesStore::Clock::time_point now) {
  model.Expire(now);
  CHECK(FamilyLines(RenderExposition({&store}), spec.name) == model.Render(spec));
  CHECK(FamilyLines(RenderExposition({&store}, ExpositionFormat::kOpenMetrics), spec.name) ==
        model.Render(spec));
  std::vector<Values> want;
  for (const auto& kv : model.series) want.push_back(kv.first);
  CHECK(CollectedValues(store) == want);
  CHECK(store.SeriesCount() == model.series.size());
}

// Random updates over the pool, scrapes in between, the clock moving on.
void RunRandom(std::size_t max_series, std::chrono::seconds ttl, unsigned seed) {
  const FamilySpec spec = Spec(max_series, ttl);
  const Schema schema = OneFamily(spec);
  SeriesStore store(schema, 1000, /*own_metrics=*/false);
  SeriesStore::Clock::time_point now{};
  store.SetClockForTesting([&now] { return now; });
  Model model{{}, max_series, ttl};
  std::mt19937 rng(seed);
  const std::vector<std::string>& pool = Pool();
  std::uniform_int_distribution<std::size_t> pick(0, pool.size() - 1);
  for (int round = 0; round < 60; ++round) {
    const int updates = static_cast<int>(rng() % 12);
    for (int u = 0; u < updates; ++u) {
      // Repeats are common, as in a log: often the label set just written.
      const Values values = {pool[pick(rng) % 4], pool[pick(rng)]};
      const int repeat = 1 + static_cast<int>(rng() % 3);
      for (int r = 0; r < repeat; ++r) {
        const std::string_view view[] = {values[0], values[1]};
        store.Write().Apply(Update{0, UpdateOp::kInc, 1, view});
        model.Inc(values, now);
      }
      now += std::chrono::seconds(rng() % 3);
    }
    CheckAgainstModel(store, model, spec, now);
  }
}

TEST_CASE("series added between scrapes are written in label-value order") {
  for (unsigned seed = 1; seed <= 5; ++seed) RunRandom(1000, std::chrono::seconds(0), seed);
}

TEST_CASE("series expired between scrapes leave the order, and come back in place") {
  for (unsigned seed = 1; seed <= 5; ++seed) RunRandom(1000, std::chrono::seconds(8), seed);
}

TEST_CASE("the overflow series takes its place in the order, with expiry freeing room") {
  for (unsigned seed = 1; seed <= 5; ++seed) RunRandom(6, std::chrono::seconds(8), seed);
  for (unsigned seed = 1; seed <= 3; ++seed) RunRandom(3, std::chrono::seconds(0), seed);
}

TEST_CASE("an update folded into the overflow series is counted every time, even repeated") {
  const FamilySpec spec = Spec(1, std::chrono::seconds(0));
  const Schema schema = OneFamily(spec);
  SeriesStore store(schema);
  for (const char* b : {"1", "2", "2", "2", "1"}) {
    const std::string_view view[] = {"x", b};
    store.Write().Apply(Update{0, UpdateOp::kInc, 1, view});
  }
  const std::string body = RenderExposition({&store});
  CHECK(FamilyLines(body, "requests_total") ==
        "requests_total{a=\"__overflow__\",b=\"__overflow__\"} 3\n"
        "requests_total{a=\"x\",b=\"1\"} 2\n");
  CHECK(body.find("metrics_adapter_series_overflow_total{family=\"requests_total\"} 3\n") !=
        std::string::npos);
}

TEST_CASE("a reload keeps an unchanged family's order and restarts a changed one") {
  const FamilySpec spec = Spec(1000, std::chrono::seconds(0));
  const Schema schema = OneFamily(spec);
  SeriesStore store(schema);
  SeriesStore::Clock::time_point now{};
  Model model{{}, 1000, std::chrono::seconds(0)};
  const auto inc = [&](const Values& values) {
    const std::string_view view[] = {values[0], values[1]};
    store.Write().Apply(Update{0, UpdateOp::kInc, 1, view});
    model.Inc(values, now);
  };
  for (const char* b : {"y", "x\"", "x", "é"}) inc({"k", b});
  CheckAgainstModel(store, model, spec, now);
  inc({"k", "a"});  // added, not yet ordered, when the reload comes
  store.Reconfigure(schema, 1000, [] {});
  inc({"k", "b"});
  inc({"k", "y"});  // through the recent label sets kept across the reload
  CheckAgainstModel(store, model, spec, now);

  FamilySpec changed = spec;
  changed.labels = {"a", "c"};
  const Schema next = OneFamily(changed);
  store.Reconfigure(next, 1000, [] {});
  model.series.clear();
  const std::string_view view[] = {"k", "z"};
  store.Write().Apply(Update{0, UpdateOp::kInc, 1, view});
  CHECK(FamilyLines(RenderExposition({&store}), "requests_total") ==
        "requests_total{a=\"k\",c=\"z\"} 1\n");
}

TEST_CASE("SeriesTable orders label blocks as their values and reads the values back") {
  SeriesTable table({"a", "b"});
  const std::vector<std::string>& pool = Pool();
  std::vector<Values> all;
  for (const std::string& a : pool) {
    for (const std::string& b : {std::string("1"), std::string("x\"\\\n"), std::string()}) {
      all.push_back({a, b});
    }
  }
  for (const Values& values : all) {
    const std::string_view view[] = {values[0], values[1]};
    REQUIRE(table.Find(view) == nullptr);
    table.Add(view);
    CHECK(table.Find(view) != nullptr);
  }
  table.Order();
  std::sort(all.begin(), all.end());
  REQUIRE(table.ordered().size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(table.Values(table.ordered()[i]->labels()) == all[i]);
  }
  // Every series is found by its values, through the index, after the
  // recent sets were forgotten.
  table.EraseIf([](const SeriesTable::Series&) { return false; });
  CHECK(table.EraseIf(
            [](const SeriesTable::Series& s) { return s.labels().starts_with("a=\"x"); }) > 0);
  for (const Values& values : all) {
    const std::string_view view[] = {values[0], values[1]};
    CHECK((table.Find(view) == nullptr) == values[0].starts_with("x"));
  }
}

}  // namespace
}  // namespace metrics_adapter
