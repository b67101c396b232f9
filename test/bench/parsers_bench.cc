// Micro-benchmarks of the body parsers on realistic generated status pages
// (test/bench/status_pages.cc): a ~100 KiB nginx plus /api document (json), a
// ~100 KiB haproxy `;csv` stats page (csv), a redis `INFO everything` dump
// (keyvalue), and a 100 KiB page for text. Each reports records/s, bytes/s,
// and `per_100KiB`, the time one 100 KiB body takes (the time per iteration
// scaled to 100 KiB). The sink only counts, so the figures are the parsers'
// own cost. The BM_Scrape* benchmarks add the rules (files under
// test/bench/adapter/ and rules/library/), a store and the rendering.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "parsers/registry.h"
#include "rules/rule_loader.h"
#include "status_pages.h"

namespace metrics_adapter {
namespace {

constexpr std::size_t kTargetSize = kStatusPageSize;

struct CountingSink : RecordSink {
  std::int64_t records = 0;
  std::int64_t errors = 0;
  void OnRecord(const Record& record) override {
    ++records;
    benchmark::DoNotOptimize(record.text.data());
  }
  void OnParseError(std::string_view) override { ++errors; }
};

std::unique_ptr<Parser> MakeParser(const char* name,
                                   const std::map<std::string, std::string>& overrides) {
  const ParserInfo* info = FindParser(name);
  if (!info) std::abort();
  ParserOptions options = info->Defaults();
  for (const auto& [option, value] : overrides) options.Set(option, value);
  std::string error;
  std::unique_ptr<Parser> parser = info->create(options, &error);
  if (!parser) std::abort();
  return parser;
}

void RunParser(benchmark::State& state, Parser& parser, const std::string& body) {
  CountingSink sink;
  for (auto _ : state) parser.Parse(body, sink);
  if (sink.errors > 0) state.SkipWithError("the generated body has parse errors");
  const double bodies = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.counters["records/s"] =
      benchmark::Counter(static_cast<double>(sink.records), benchmark::Counter::kIsRate);
  state.counters["records/body"] = static_cast<double>(sink.records) / bodies;
  state.counters["body_KiB"] = static_cast<double>(body.size()) / 1024;
  state.counters["per_100KiB"] =
      benchmark::Counter(bodies * static_cast<double>(body.size()) / kTargetSize,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_JsonNginxPlus(benchmark::State& state) {
  const std::string body = NginxPlusJson();
  std::unique_ptr<Parser> parser = MakeParser("json", {});
  RunParser(state, *parser, body);
}
BENCHMARK(BM_JsonNginxPlus);

void BM_CsvHaproxy(benchmark::State& state) {
  const std::string body = HaproxyCsv();
  std::unique_ptr<Parser> parser =
      MakeParser("csv", {{"header_prefix", "# "}, {"key_columns", "pxname,svname"}});
  RunParser(state, *parser, body);
}
BENCHMARK(BM_CsvHaproxy);

void BM_KeyValueRedisInfo(benchmark::State& state) {
  const std::string body = RedisInfo();
  std::unique_ptr<Parser> parser = MakeParser("keyvalue", {{"subfields", ","}});
  RunParser(state, *parser, body);
}
BENCHMARK(BM_KeyValueRedisInfo);

void BM_Text(benchmark::State& state) {
  const std::string body(kTargetSize, 'x');
  std::unique_ptr<Parser> parser = MakeParser("text", {});
  RunParser(state, *parser, body);
}
BENCHMARK(BM_Text);

// What a scrape of a pulled source adds on top of the upstream's own
// response, in process: parse the body, match every record against the
// rules, fill a fresh store, render it. The target is under 1 ms for
// 100 KiB. test/bench/scrape_overhead.sh measures the same end to end, over
// HTTP, with the same pages and rule files.
void RunScrape(benchmark::State& state, const std::string& body, const char* rule_file) {
  Schema schema;
  Diagnostics diags;
  RuleFiles rules = LoadRuleFiles({rule_file}, schema, diags);
  if (!rules.rule_set || !rules.parser) {
    state.SkipWithError(diags.Format().c_str());
    return;
  }
  SelfMetrics self;
  SourcePipeline pipeline("bench", *rules.parser, rules.rule_set, nullptr, self, "");
  std::size_t bytes = 0, series = 0;
  for (auto _ : state) {
    SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
    pipeline.ProcessBody(body, store);
    benchmark::DoNotOptimize(RenderExposition({&store}));
    bytes += body.size();
    series = store.SeriesCount();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["series"] = static_cast<double>(series);
}

// Five rules over the flattened paths (522 series).
void BM_ScrapeJsonNginxPlus(benchmark::State& state) {
  RunScrape(state, NginxPlusJson(),
            METRICS_ADAPTER_SOURCE_DIR "/test/bench/adapter/nginx_plus_api.yaml");
}
BENCHMARK(BM_ScrapeJsonNginxPlus)->Unit(benchmark::kMicrosecond);

// Four rules: sessions and bytes per row (696 series).
void BM_ScrapeCsvHaproxy(benchmark::State& state) {
  RunScrape(state, HaproxyCsv(),
            METRICS_ADAPTER_SOURCE_DIR "/test/bench/adapter/haproxy_stats_csv.yaml");
}
BENCHMARK(BM_ScrapeCsvHaproxy)->Unit(benchmark::kMicrosecond);

// The shipped haproxy rule file, as a deployment uses it (and as
// scrape_overhead.sh does): every rule it has.
void BM_ScrapeCsvHaproxyLibrary(benchmark::State& state) {
  RunScrape(state, HaproxyCsv(),
            METRICS_ADAPTER_SOURCE_DIR "/rules/library/haproxy/stats_csv.yaml");
}
BENCHMARK(BM_ScrapeCsvHaproxyLibrary)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metrics_adapter

BENCHMARK_MAIN();
