// PullSource: a status page, a TCP request/response, a status command or a
// status file (`type: http`, `tcp`, `exec` or `status_file`), fetched when
// Prometheus scrapes the adapter, never on a timer of its own. Each fetch's
// result goes into a fresh store, so its series are exactly what the
// upstream reported this time: a failed fetch leaves them absent, not
// stale. metrics_adapter_source_up{source} and
// metrics_adapter_source_scrape_duration_seconds{source} report every fetch
// (with the source's constant labels too, as its series have them).
//
// Concurrent scrapes share a fetch (single flight): a scrape that arrives
// while the source's fetch is under way waits for that fetch and gets its
// result, instead of queueing behind it for a fetch of its own. So no scrape
// waits longer than one fetch, which the source's timeout bounds, however
// many scrapes arrive while an upstream is slow, and the upstream sees at
// most one request at a time. A scrape arriving after a fetch has finished
// starts a new one: a result is never served again once its fetch is over.
//
// Usage:
//   PullSource source(config, parser, rules, self, config_dir);
//   PullSource::Scraped s = source.Scrape(schema, max_series);
//   RenderExposition({s.store.get()});  // s.ok: whether the source is up
#pragma once

#include <cstddef>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include "adapter/base/log_limiter.h"
#include "adapter/config/config.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/exec_fetch.h"
#include "adapter/sources/http_fetch.h"
#include "adapter/sources/status_file.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "rules/schema.h"

namespace metrics_adapter {

class PullSource {
 public:
  // `labels`, if not null, are the source's constant label values, added to
  // every series a fetch writes (constant_labels.h).
  PullSource(const SourceConfig& config, const ParserChoice& parser,
             std::shared_ptr<const RuleSet> rules, SelfMetrics& self,
             const std::string& rule_file_base,
             std::shared_ptr<const ConstantLabels> labels = nullptr);
  ~PullSource();
  PullSource(const PullSource&) = delete;
  PullSource& operator=(const PullSource&) = delete;

  // The result of one fetch, shared by every scrape that waited for it.
  struct Scraped {
    // What the fetch's body produced, in a store of its own (never null;
    // empty when the fetch failed). Read-only: several scrapes may render it.
    std::shared_ptr<const SeriesStore> store;
    // The fetch succeeded and the parser could read the body (see
    // SourcePipeline::ProcessBody); `up` says the same.
    bool ok = false;
  };

  // Fetches under the source's timeout, then parses and matches into a
  // fresh store of `schema` (`max_series_per_family` per family), or, when
  // a fetch of this source is under way, waits for that one's result.
  // Thread-safe. Self-metrics (up, duration, scrape errors) and the rule
  // match counters are updated once per fetch, not per waiting scrape.
  // Every PullSource is built with the schema it is scraped with (a reload
  // builds new ones), so a shared result always fits the caller's schema.
  Scraped Scrape(const Schema& schema, std::size_t max_series_per_family);

  const std::string& name() const { return config_.name; }

  // For tests: how many scrapes are waiting for the fetch under way.
  std::size_t waiting_for_testing() const;

 private:
  // One fetch, parse and match, and its self-metrics: the work of the scrape
  // that started a flight. Only one runs at a time (see in_flight_).
  Scraped FetchAndProcess(const Schema& schema, std::size_t max_series_per_family);
  // One fetch of the source's type. A command's stderr is logged here,
  // rate-limited, when the run succeeded.
  FetchResult Fetch();

  SourceConfig config_;
  mutable std::mutex mu_;
  // The fetch under way, valid() while one is (under mu_). Its result is
  // published after it is reset, so a scrape that finds it valid gets a
  // fetch that had not finished when that scrape arrived.
  std::shared_future<Scraped> in_flight_;
  std::size_t waiting_ = 0;  // scrapes waiting for in_flight_ (under mu_)
  // What only the scrape running the flight touches: at most one at a time.
  // type "http": the source's client, reused by every fetch.
  std::unique_ptr<HttpClient> http_;
  SourcePipeline pipeline_;
  SelfMetrics& self_;
  SelfMetrics::PulledGauges gauges_;
  LogLimiter log_limiter_;
};

}  // namespace metrics_adapter
