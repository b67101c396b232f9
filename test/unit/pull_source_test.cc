// PullSource: concurrent scrapes share the fetch under way (single flight),
// with a status command that waits for the test's go-ahead, so the scrapes
// certainly overlap without any timing.
#include "adapter/pipeline/pull_source.h"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapter/exposition/exposition.h"
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// The number of lines of `path` (0 when it does not exist).
int Lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// Polls `done` every 10 ms for up to 10 s; returns whether it came true.
template <typename Done>
bool Eventually(Done done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A rule file in `dir` reading a JSON status body's "requests" into
// app_requests_total, loaded against `schema`.
RuleFiles LoadStatusRules(TempDir& dir, Schema& schema) {
  const std::string rules_file = dir.Write("status.yaml", R"(parser: json
metrics:
  - {name: app_requests_total, type: counter, help: Requests served., labels: []}
rules:
  - name: requests
    match: '^requests$'
    emit: [{metric: app_requests_total, set: $value}]
)");
  Diagnostics diags;
  return LoadRuleFiles({rules_file}, schema, diags);
}

TEST_CASE("PullSource: concurrent scrapes share the fetch under way, a later one fetches anew") {
  TempDir dir("pull-source");
  Schema schema;
  RuleFiles rules = LoadStatusRules(dir, schema);
  REQUIRE(rules.rule_set != nullptr);
  REQUIRE(rules.parser.has_value());

  // Each run appends to `runs`, then waits (at most 10 s) for `go`.
  const std::string runs = dir / "runs";
  const std::string go = dir / "go";
  SourceConfig config;
  config.name = "app";
  config.type = "exec";
  config.exec.command = {"/bin/sh", "-c",
                         "echo run >>'" + runs + "'; i=0; while [ ! -e '" + go +
                             "' ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; "
                             "echo '{\"requests\": 7}'"};
  config.exec.timeout = std::chrono::seconds(20);
  SelfMetrics self;
  PullSource source(config, *rules.parser, rules.rule_set, self, "");

  constexpr int kScrapes = 6;
  std::vector<PullSource::Scraped> results(kScrapes);
  std::vector<std::thread> threads;
  auto scrape = [&](int i) { results[i] = source.Scrape(schema, kDefaultMaxSeriesPerFamily); };
  threads.emplace_back(scrape, 0);
  const bool first_running = Eventually([&] { return Lines(runs) == 1; });
  for (int i = 1; i < kScrapes; ++i) threads.emplace_back(scrape, i);
  const bool all_waiting = Eventually([&] { return source.waiting_for_testing() == kScrapes - 1; });
  std::ofstream(go).put('\n');
  for (auto& t : threads) t.join();
  REQUIRE(first_running);
  REQUIRE(all_waiting);

  CHECK(Lines(runs) == 1);  // one fetch for the six scrapes
  for (const PullSource::Scraped& r : results) {
    CHECK(r.ok);
    CHECK(r.store == results[0].store);  // the one result, shared
  }
  REQUIRE(results[0].store != nullptr);
  CHECK(Contains(RenderExposition({results[0].store.get()}), "app_requests_total 7\n"));
  CHECK(source.waiting_for_testing() == 0);
  const CollectableExposable own(*self.registry());
  CHECK(Contains(RenderExposition({&own}), "metrics_adapter_source_up{source=\"app\"} 1\n"));

  // The fetch has landed: the next scrape runs one of its own.
  const PullSource::Scraped again = source.Scrape(schema, kDefaultMaxSeriesPerFamily);
  CHECK(Lines(runs) == 2);
  CHECK(again.ok);
  CHECK(again.store != results[0].store);
}

TEST_CASE("PullSource: a failed fetch shared by waiting scrapes counts one error") {
  TempDir dir("pull-source");
  Schema schema;
  RuleFiles rules = LoadStatusRules(dir, schema);
  REQUIRE(rules.rule_set != nullptr);
  const std::string go = dir / "go";
  SourceConfig config;
  config.name = "down";
  config.type = "exec";
  config.exec.command = {"/bin/sh", "-c",
                         "i=0; while [ ! -e '" + go +
                             "' ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; exit 3"};
  config.exec.timeout = std::chrono::seconds(20);
  SelfMetrics self;
  PullSource source(config, *rules.parser, rules.rule_set, self, "");

  std::vector<PullSource::Scraped> results(3);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = source.Scrape(schema, kDefaultMaxSeriesPerFamily); });
  // The first scrape is in flight once one waits behind it.
  for (int i = 1; i < 3; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = source.Scrape(schema, kDefaultMaxSeriesPerFamily); });
  }
  const bool waiting = Eventually([&] { return source.waiting_for_testing() == 2; });
  std::ofstream(go).put('\n');
  for (auto& t : threads) t.join();
  REQUIRE(waiting);
  for (const PullSource::Scraped& r : results) {
    CHECK_FALSE(r.ok);
    REQUIRE(r.store != nullptr);
    CHECK(r.store->SeriesCount() == 0);
  }
  const CollectableExposable own(*self.registry());
  const std::string text = RenderExposition({&own});
  CHECK(Contains(text, "metrics_adapter_source_up{source=\"down\"} 0\n"));
  CHECK(Contains(
      text, "metrics_adapter_source_scrape_errors_total{reason=\"exit\",source=\"down\"} 1\n"));
}

}  // namespace
}  // namespace metrics_adapter
