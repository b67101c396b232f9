// Micro-benchmarks of the per-line hot path: rule matching, series updates,
// and the per-scrape cost of rendering the exposition. They print records/s;
// the end-to-end comparison with mtail is compare_mtail.sh.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "adapter/base/utf8.h"
#include "adapter/exposition/exposition.h"
#include "adapter/store/process_metrics.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "adapter/web/gzip.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

const char* kRuleFile =
    METRICS_ADAPTER_SOURCE_DIR "/rules/library/nginx/combined_request_time.yaml";

const std::vector<std::string>& SampleLines() {
  static const std::vector<std::string> lines = {
      R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /api/v1/items/123?x=1 HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36" 0.004)",
      R"(10.0.0.2 - alice [25/Nov/2026:10:00:01 +0000] "POST /api/v1/orders HTTP/2.0" 201 87 "https://shop.example.com/cart" "curl/8.0" 0.120)",
      R"(10.0.0.3 - - [25/Nov/2026:10:00:02 +0000] "GET /static/app.js HTTP/1.1" 304 0 "-" "Go-http-client/1.1" 0.000)",
      R"(10.0.0.4 - - [25/Nov/2026:10:00:03 +0000] "PROPFIND /dav HTTP/1.1" 405 0 "-" "-" 0.001)",
  };
  return lines;
}

struct Loaded {
  Schema schema;
  std::shared_ptr<const RuleSet> rules;
};

Loaded LoadNginxRules() {
  Loaded loaded;
  Diagnostics diags;
  loaded.rules = LoadRuleFiles({kRuleFile}, loaded.schema, diags).rule_set;
  if (!loaded.rules) std::abort();
  return loaded;
}

// Matching and applying updates for one line: the whole per-line cost after
// the tailer has framed the line.
void BM_MatchAndApply(benchmark::State& state) {
  Loaded loaded = LoadNginxRules();
  SeriesStore store(loaded.schema);
  MatchScratch scratch(*loaded.rules);
  MatchCounts counts(*loaded.rules);
  const std::vector<std::string>& lines = SampleLines();
  std::size_t i = 0, bytes = 0;
  SeriesStore::Writer writer = store.Write();
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    bytes += line.size();
    benchmark::DoNotOptimize(loaded.rules->Match(line, scratch, counts, writer));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_MatchAndApply);

// A line no rule matches: the cost of the RE2::Set pre-filter alone.
void BM_Unmatched(benchmark::State& state) {
  Loaded loaded = LoadNginxRules();
  SeriesStore store(loaded.schema);
  MatchScratch scratch(*loaded.rules);
  MatchCounts counts(*loaded.rules);
  const std::string line =
      "2026/11/25 10:00:00 [error] 12#12: *1 open() \"/srv/missing\" failed (2: No such file)";
  SeriesStore::Writer writer = store.Write();
  for (auto _ : state) benchmark::DoNotOptimize(loaded.rules->Match(line, scratch, counts, writer));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Unmatched);

void BM_IsValidUtf8(benchmark::State& state) {
  const std::string& line = SampleLines()[0];
  for (auto _ : state) benchmark::DoNotOptimize(IsValidUtf8(line));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}
BENCHMARK(BM_IsValidUtf8);

// One scrape of a store holding state.range(0) counter series.
void BM_RenderExposition(benchmark::State& state) {
  Loaded loaded = LoadNginxRules();
  SeriesStore store(loaded.schema);
  {
    SeriesStore::Writer writer = store.Write();
    const int family = loaded.schema.IndexOf("http_server_requests_total");
    for (int i = 0; i < state.range(0); ++i) {
      const std::string method = "M" + std::to_string(i / 1000);
      const std::string status = std::to_string(i % 1000);
      const std::string_view values[] = {method, status};
      writer.Apply(Update{family, UpdateOp::kInc, 1, values});
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(RenderExposition({&store}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RenderExposition)->Arg(100)->Arg(10000);

// 100,000 counter series {route, status} (20,000 routes, 5 codes, created
// in a scrambled order), as test/bench/large_scrape.sh serves them.
std::unique_ptr<SeriesStore> LargeStore() {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec;
  spec.name = "bench_requests_total";
  spec.type = MetricType::kCounter;
  spec.help = "Requests by route and status.";
  spec.labels = {"route", "status"};
  spec.label_bounds.resize(2);
  spec.max_series = 200000;
  schema.Add(spec, diags);
  auto store = std::make_unique<SeriesStore>(schema);
  constexpr int kSeries = 100000;
  {
    SeriesStore::Writer writer = store->Write();
    for (int i = 0; i < kSeries; ++i) {
      const int k = static_cast<int>((static_cast<std::int64_t>(i) * 7919) % kSeries);
      const std::string route = "/api/v1/items/" + std::to_string(k / 5);
      const std::string status = std::to_string(200 + k % 5);
      const std::string_view values[] = {route, status};
      writer.Apply(Update{0, UpdateOp::kInc, 1, values});
    }
  }
  return store;
}

// A scrape of the large store: the text format (arg 0), and that text
// gzipped as /metrics does for Prometheus (arg 1, zlib level 1).
void BM_RenderLarge(benchmark::State& state) {
  const std::unique_ptr<SeriesStore> store = LargeStore();
  const bool gzip = state.range(0) == 1;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string body = RenderExposition({store.get()});
    if (gzip) body = GzipCompress(body, 1);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * 100000);
}
BENCHMARK(BM_RenderLarge)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The same render as /metrics does it, handed over in chunks of arg KiB
// (each dropped as a sent chunk is); arg 0: one chunk, RenderExposition's
// one string. Against BM_RenderLarge/0: what cutting into chunks costs.
void BM_RenderLargeChunks(benchmark::State& state) {
  const std::unique_ptr<SeriesStore> store = LargeStore();
  const std::size_t chunk_bytes =
      state.range(0) == 0 ? kWholeBody : static_cast<std::size_t>(state.range(0)) * 1024;
  std::size_t chunks = 0;
  for (auto _ : state) {
    chunks = 0;
    RenderExposition({store.get()}, ExpositionFormat::kText, chunk_bytes,
                     [&chunks](std::string chunk, bool) {
                       benchmark::DoNotOptimize(chunk.data());
                       ++chunks;
                     });
  }
  state.counters["chunks"] = static_cast<double>(chunks);
  state.SetItemsProcessed(state.iterations() * 100000);
}
BENCHMARK(BM_RenderLargeChunks)
    ->Arg(0)
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

// The same 10000 counter series in each format Prometheus negotiates:
// 0 text 0.0.4, 1 OpenMetrics (what Prometheus asks for by default), 2
// protobuf (with native histograms on).
void BM_RenderFormat(benchmark::State& state) {
  Loaded loaded = LoadNginxRules();
  SeriesStore store(loaded.schema);
  {
    SeriesStore::Writer writer = store.Write();
    const int family = loaded.schema.IndexOf("http_server_requests_total");
    for (int i = 0; i < 10000; ++i) {
      const std::string method = "M" + std::to_string(i / 1000);
      const std::string status = std::to_string(i % 1000);
      const std::string_view values[] = {method, status};
      writer.Apply(Update{family, UpdateOp::kInc, 1, values});
    }
  }
  const auto format = static_cast<ExpositionFormat>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(RenderExposition({&store}, format));
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_RenderFormat)->Arg(0)->Arg(1)->Arg(2);

// One observation into a histogram series with the default seconds buckets:
// classic only (arg 0), or also native at the default bucket factor 1.1
// (arg 1). Values spread log-uniformly over 1 ms .. 10 s, about 110 native
// buckets, so the native side searches a realistic bucket list.
void BM_Observe(benchmark::State& state) {
  Schema schema;
  Diagnostics diags;
  FamilySpec spec;
  spec.name = "d_seconds";
  spec.type = MetricType::kHistogram;
  spec.help = "D.";
  spec.unit = "seconds";
  spec.labels = {"route"};
  spec.label_bounds.resize(1);
  spec.buckets = DefaultBuckets("seconds");
  if (state.range(0) == 1) spec.native = NativeSpec{};
  schema.Add(spec, diags);
  SeriesStore store(schema);
  std::vector<double> values;
  for (int i = 0; i < 4096; ++i)
    values.push_back(0.001 * std::pow(10.0, 4.0 * ((i * 2654435761u) % 4096) / 4096));
  const std::string_view labels[] = {"/api"};
  SeriesStore::Writer writer = store.Write();
  std::size_t i = 0;
  for (auto _ : state)
    writer.Apply(Update{0, UpdateOp::kObserve, values[i++ % values.size()], labels});
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Observe)->Arg(0)->Arg(1);

// What the process_* families cost a scrape: /proc/self/stat read and
// parsed, /proc/self/fd listed, two getrlimit calls.
void BM_ProcessMetricsCollect(benchmark::State& state) {
  const ProcessMetrics process;
  for (auto _ : state) benchmark::DoNotOptimize(process.Collect());
}
BENCHMARK(BM_ProcessMetricsCollect);

// The adapter's own metrics rendered, without (0) and with (1) the process's:
// the difference is what they add to a serving adapter's scrape.
void BM_RenderSelfMetrics(benchmark::State& state) {
  SelfMetrics self(state.range(0) == 1 ? SelfMetrics::kWithProcess : SelfMetrics::kWithoutProcess);
  for (const char* source : {"access", "error", "status"}) self.ForSource(source);
  const CollectableExposable exposable(self);
  for (auto _ : state) benchmark::DoNotOptimize(RenderExposition({&exposable}));
}
BENCHMARK(BM_RenderSelfMetrics)->Arg(0)->Arg(1);

}  // namespace
}  // namespace metrics_adapter

BENCHMARK_MAIN();
