// PullSource: a status page, a TCP request/response, a status command or a
// status file (`type: http`, `tcp`, `exec` or `status_file`), fetched when
// Prometheus scrapes the adapter, never on a timer of its own. Each scrape's
// result goes into a fresh store, so its series are exactly what the
// upstream reported this time: a failed scrape leaves them absent, not
// stale. metrics_adapter_source_up{source} and
// metrics_adapter_source_scrape_duration_seconds{source} report every scrape.
//
// Usage:
//   PullSource source(config, parser, rules, self, config_dir);
//   SeriesStore store(schema, max_series, /*own_metrics=*/false);
//   bool up = source.Scrape(store);
#pragma once

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

namespace metrics_adapter {

class PullSource {
 public:
  PullSource(const SourceConfig& config, const ParserChoice& parser,
             std::shared_ptr<const RuleSet> rules, SelfMetrics& self,
             const std::string& rule_file_base);
  ~PullSource();
  PullSource(const PullSource&) = delete;
  PullSource& operator=(const PullSource&) = delete;

  // Fetches under the source's timeout, parses and matches into `store`.
  // Returns whether the scrape worked: the fetch succeeded and the parser
  // could read the body (see SourcePipeline::ProcessBody); `up` says the
  // same. Thread-safe: concurrent scrapes of one source take turns.
  bool Scrape(SeriesStore& store);

  const std::string& name() const { return config_.name; }

 private:
  // One fetch of the source's type (under mu_). A command's stderr is
  // logged here, rate-limited, when the run succeeded.
  FetchResult Fetch();

  SourceConfig config_;
  std::mutex mu_;
  // type "http": the source's client, reused by every scrape (under mu_).
  std::unique_ptr<HttpClient> http_;
  SourcePipeline pipeline_;
  SelfMetrics& self_;
  SelfMetrics::PulledGauges gauges_;
  LogLimiter log_limiter_;
};

}  // namespace metrics_adapter
