#include "adapter/pipeline/pull_source.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace metrics_adapter {

PullSource::PullSource(const SourceConfig& config, const ParserChoice& parser,
                       std::shared_ptr<const RuleSet> rules, SelfMetrics& self,
                       const std::string& rule_file_base)
    : config_(config),
      http_(config.type == "http" ? std::make_unique<HttpClient>(config.http) : nullptr),
      pipeline_(config.name, parser, std::move(rules), nullptr, self, rule_file_base),
      self_(self),
      gauges_(self.AcquirePulled(config.name)),
      log_limiter_(std::chrono::seconds(60)) {}

PullSource::~PullSource() { self_.ReleasePulled(config_.name); }

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

bool PullSource::Scrape(SeriesStore& store) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  const FetchResult result = Fetch();
  // A body the parser refused whole (no record, only errors) is a failed
  // scrape too: the source answered, but nothing it said could be read.
  const bool ok = result.ok && pipeline_.ProcessBody(result.body, store);
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
  return ok;
}

}  // namespace metrics_adapter
