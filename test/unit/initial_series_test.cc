// AddSeriesFromTheStart: which series a rule set's streamed source starts
// with at 0, read back from the store's exposition.
#include "adapter/store/initial_series.h"

#include <doctest/doctest.h>

#include <string>

#include "adapter/exposition/exposition.h"
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

constexpr const char* kRuleFile = R"(metrics:
  - {name: app_requests_total, type: counter, help: Requests.}
  - {name: app_errors_total, type: counter, help: Errors., labels: [kind]}
  - {name: app_methods_total, type: counter, help: Methods.,
     labels: [{name: method, values: [GET, POST], other: _OTHER, fold: upper}]}
  - {name: app_sessions_total, type: counter, help: Sessions., ttl: 1m}
  - {name: app_queue_length, type: gauge, help: Queue.}
  - {name: app_duration_seconds, type: histogram, help: Durations., buckets: [0.1, 1]}
  - {name: app_unwritten_total, type: counter, help: No rule writes it.}
rules:
  - name: request
    match: '^req (?P<kind>\w+) (?P<ms>\d+)$'
    emit:
      - metric: app_requests_total
      - metric: app_errors_total
        labels: {kind: $kind}
      - metric: app_errors_total
        labels: {kind: timeout}
      - metric: app_methods_total
        labels: {method: get}
      - metric: app_methods_total
        labels: {method: PATCH}
      - metric: app_sessions_total
      - metric: app_queue_length
        set: 1
      - metric: app_duration_seconds
        observe: $ms
        unit: ms
)";

TEST_CASE("counters and histograms written with constant labels start at 0, nothing else") {
  TempDir dir;
  const std::string path = dir.Write("r.yaml", kRuleFile);
  Schema schema;
  Diagnostics diags;
  RuleFiles files = LoadRuleFiles({path}, schema, diags);
  REQUIRE_MESSAGE(files.rule_set != nullptr, diags.Format());
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  AddSeriesFromTheStart(*files.rule_set, schema, store);
  const std::string text = RenderExposition({&store});
  CHECK(text.find("app_requests_total 0\n") != std::string::npos);
  CHECK(text.find("app_errors_total{kind=\"timeout\"} 0\n") != std::string::npos);
  // Constant values go through the schema's bounds as matched ones do.
  CHECK(text.find("app_methods_total{method=\"GET\"} 0\n") != std::string::npos);
  CHECK(text.find("app_methods_total{method=\"_OTHER\"} 0\n") != std::string::npos);
  CHECK(text.find("app_duration_seconds_bucket{le=\"0.1\"} 0\n") != std::string::npos);
  CHECK(text.find("app_duration_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
  CHECK(text.find("app_duration_seconds_sum 0\n") != std::string::npos);
  CHECK(text.find("app_duration_seconds_count 0\n") != std::string::npos);
  // A capture's values are unknown before a line; a gauge at 0 would be a
  // lie; a ttl family's series live while written; an unwritten family
  // stays absent.
  CHECK(text.find("app_errors_total{kind=\"\"}") == std::string::npos);
  CHECK(text.find("app_queue_length") == std::string::npos);
  CHECK(text.find("app_sessions_total") == std::string::npos);
  CHECK(text.find("app_unwritten_total") == std::string::npos);
}

TEST_CASE("series from the start keep the values they have when added again (a reload)") {
  TempDir dir;
  const std::string path = dir.Write("r.yaml", kRuleFile);
  Schema schema;
  Diagnostics diags;
  RuleFiles files = LoadRuleFiles({path}, schema, diags);
  REQUIRE(files.rule_set != nullptr);
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  AddSeriesFromTheStart(*files.rule_set, schema, store);
  {
    SeriesStore::Writer writer = store.Write();
    MatchScratch scratch(*files.rule_set);
    MatchCounts counts(*files.rule_set);
    CHECK(files.rule_set->Match("req timeout 500", scratch, counts, writer));
  }
  AddSeriesFromTheStart(*files.rule_set, schema, store);
  const std::string text = RenderExposition({&store});
  CHECK(text.find("app_requests_total 1\n") != std::string::npos);
  CHECK(text.find("app_errors_total{kind=\"timeout\"} 2\n") != std::string::npos);
  CHECK(text.find("app_duration_seconds_count 1\n") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
