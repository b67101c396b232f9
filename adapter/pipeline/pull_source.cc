#include "adapter/pipeline/pull_source.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <utility>

namespace metrics_adapter {
namespace {

// The source's constant labels, for its `up` and scrape duration.
SelfMetrics::Labels SelfLabels(const SourceConfig& config) {
  SelfMetrics::Labels labels;
  for (const SourceLabel& label : config.labels) labels.emplace(label.name, label.value);
  return labels;
}

}  // namespace

PullSource::PullSource(const SourceConfig& config, const ParserChoice& parser,
                       std::shared_ptr<const RuleSet> rules, SelfMetrics& self,
                       const std::string& rule_file_base,
                       std::shared_ptr<const ConstantLabels> labels)
    : config_(config),
      http_(config.type == "http" ? std::make_unique<HttpClient>(config.http) : nullptr),
      pipeline_(config.name, parser, std::move(rules), nullptr, self, rule_file_base, nullptr,
                std::move(labels)),
      self_(self),
      gauges_(self.AcquirePulled(config.name, SelfLabels(config))),
      log_limiter_(std::chrono::seconds(60)) {}

PullSource::~PullSource() { self_.ReleasePulled(config_.name, SelfLabels(config_)); }

FetchResult PullSource::Fetch() {
  if (http_) return http_->Get();
  if (config_.type == "exec") {
    std::string stderr_head;
    FetchResult result = RunCommand(config_.exec, &stderr_head);
    // A failure's message carries the start of stderr already.
    if (result.ok && !stderr_head.empty()) {
      if (auto suppressed = log_limiter_.Allow("stderr")) {
        spdlog::warn("source {}: the command wrote to stderr: {} ({} similar messages suppressed)",
                     config_.name, Printable(stderr_head, 200), *suppressed);
      }
    }
    return result;
  }
  if (config_.type == "status_file") return ReadStatusFile(config_.status_file);
  return TcpExchange(config_.tcp);
}

PullSource::Scraped PullSource::Scrape(const Schema& schema, std::size_t max_series_per_family) {
  std::promise<Scraped> flight;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (in_flight_.valid()) {
      // Waits no longer than that fetch, which its timeout bounds.
      const std::shared_future<Scraped> shared = in_flight_;
      ++waiting_;
      lock.unlock();
      shared.wait();
      lock.lock();
      --waiting_;
      lock.unlock();
      return shared.get();
    }
    in_flight_ = flight.get_future().share();
  }
  // The flight ends before its result is published, also when the fetch
  // throws (then the waiting scrapes get the exception too).
  auto land = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ = {};
  };
  Scraped scraped;
  try {
    scraped = FetchAndProcess(schema, max_series_per_family);
  } catch (...) {
    land();
    flight.set_exception(std::current_exception());
    throw;
  }
  land();
  flight.set_value(scraped);
  return scraped;
}

std::size_t PullSource::waiting_for_testing() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_;
}

PullSource::Scraped PullSource::FetchAndProcess(const Schema& schema,
                                                std::size_t max_series_per_family) {
  auto store = std::make_shared<SeriesStore>(schema, max_series_per_family, /*own_metrics=*/false);
  const auto start = std::chrono::steady_clock::now();
  bool ok = false;
  {
    const FetchResult result = Fetch();
    // A body the parser refused whole (no record, only errors) is a failed
    // scrape too: the source answered, but nothing it said could be read.
    ok = result.ok && pipeline_.ProcessBody(result.body, *store);
    gauges_.duration->Set(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    gauges_.up->Set(ok ? 1 : 0);
    if (!ok) {
      const std::string reason =
          !result.ok ? (result.reason.empty() ? "unknown" : result.reason) : "parse";
      self_.ScrapeErrors(config_.name, reason)->Increment();
      if (auto suppressed = log_limiter_.Allow(reason)) {
        spdlog::warn("source {}: scrape failed: {} ({} similar messages suppressed)", config_.name,
                     result.ok ? "the parser could not read the response body" : result.error,
                     *suppressed);
      }
    }
  }  // the body is freed here, before the scrape renders
  return Scraped{std::move(store), ok};
}

}  // namespace metrics_adapter
