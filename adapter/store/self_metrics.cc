#include "adapter/store/self_metrics.h"

#include "adapter/base/build_info.h"

namespace metrics_adapter {
namespace {

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                       const std::string& name,
                                                       const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

}  // namespace

SelfMetrics::SelfMetrics(Process process)
    : registry_(std::make_shared<prometheus::Registry>()),
      process_(process == kWithProcess ? std::make_unique<const ProcessMetrics>() : nullptr),
      lines_read_(CounterFamily(*registry_, "metrics_adapter_lines_read_total",
                                "Complete lines read from the source.")),
      bytes_read_(
          CounterFamily(*registry_, "metrics_adapter_bytes_read_total",
                        "Bytes read from the source, including newlines and skipped bytes.")),
      lines_unmatched_(CounterFamily(*registry_, "metrics_adapter_lines_unmatched_total",
                                     "Lines that no rule matched.")),
      lines_skipped_(CounterFamily(*registry_, "metrics_adapter_lines_skipped_total",
                                   "Lines skipped without matching, by reason.")),
      invalid_utf8_(
          CounterFamily(*registry_, "metrics_adapter_invalid_utf8_total",
                        "Label values that held invalid UTF-8, exposed with U+FFFD in its place.")),
      update_errors_(CounterFamily(*registry_, "metrics_adapter_update_errors_total",
                                   "Updates a matching rule could not apply, by reason.")),
      read_errors_(CounterFamily(*registry_, "metrics_adapter_read_errors_total",
                                 "Failures to open, stat or read a followed file.")),
      rotations_(CounterFamily(*registry_, "metrics_adapter_file_rotations_total",
                               "Rotations seen: the path now names another file (rename) or "
                               "the file was truncated or rewritten in place (truncate).")),
      deletions_(CounterFamily(*registry_, "metrics_adapter_files_deleted_total",
                               "Followed files that were deleted.")),
      rule_matches_(CounterFamily(*registry_, "metrics_adapter_rule_matches_total",
                                  "Records each rule matched.")),
      parse_errors_(CounterFamily(*registry_, "metrics_adapter_parse_errors_total",
                                  "Input a parser could not read and skipped, by reason.")),
      dropped_(CounterFamily(*registry_, "metrics_adapter_lines_dropped_total",
                             "Lines or packets a listener dropped, by reason.")),
      records_cut_(CounterFamily(*registry_, "metrics_adapter_records_cut_total",
                                 "Multi-line records cut at a limit, by reason; the rest of "
                                 "their lines was skipped.")),
      records_without_start_(
          CounterFamily(*registry_, "metrics_adapter_records_without_start_total",
                        "Multi-line records begun by a line that would have joined a record "
                        "(the input started, or resumed after flush_after, inside one).")),
      source_up_(prometheus::BuildGauge()
                     .Name("metrics_adapter_source_up")
                     .Help("Whether the last scrape of a pulled source succeeded (1) or not (0).")
                     .Register(*registry_)),
      scrape_duration_(prometheus::BuildGauge()
                           .Name("metrics_adapter_source_scrape_duration_seconds")
                           .Help("How long the last scrape of a pulled source took.")
                           .Register(*registry_)),
      scrape_errors_(CounterFamily(*registry_, "metrics_adapter_source_scrape_errors_total",
                                   "Failed scrapes of a pulled source, by reason.")),
      source_files_(prometheus::BuildGauge()
                        .Name("metrics_adapter_source_files")
                        .Help("Files a file source follows: those its paths match now.")
                        .Register(*registry_)),
      file_lag_(prometheus::BuildGauge()
                    .Name("metrics_adapter_file_lag_bytes")
                    .Help("Bytes written to a file source's files and not read yet, as of its "
                          "last scan.")
                    .Register(*registry_)),
      files_skipped_(CounterFamily(
          *registry_, "metrics_adapter_files_skipped_total",
          "Files a file source's paths matched and it did not open, by reason: not_regular (a "
          "FIFO, device, socket or directory), symlink (not followed), max_files, fd_budget. "
          "Counted once per file and occasion.")),
      files_waiting_(prometheus::BuildGauge()
                         .Name("metrics_adapter_source_files_waiting")
                         .Help("Matching files a file source does not follow for lack of a slot "
                               "(max_files or the descriptor budget), as of its last scan.")
                         .Register(*registry_)),
      files_limit_(prometheus::BuildGauge()
                       .Name("metrics_adapter_source_files_limit")
                       .Help("The files a file source could follow when it last skipped one: "
                             "max_files, or fewer when the descriptor budget ran out first.")
                       .Register(*registry_)),
      last_read_(prometheus::BuildGauge()
                     .Name("metrics_adapter_source_last_read_timestamp_seconds")
                     .Help("When a streamed source last read a line (Unix time).")
                     .Register(*registry_)) {
  const BuildInfo& build = GetBuildInfo();
  prometheus::BuildGauge()
      .Name("metrics_adapter_build_info")
      .Help("A metric with a constant '1' value labeled by the version of metrics-adapter.")
      .Register(*registry_)
      .Add({{"version", std::string(build.version)},
            {"revision", std::string(build.revision)},
            {"branch", std::string(build.branch)},
            {"compiler", std::string(build.compiler)}})
      .Set(1);
}

std::vector<prometheus::MetricFamily> SelfMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  if (process_) {
    std::vector<prometheus::MetricFamily> process = process_->Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()),
                    std::make_move_iterator(process.end()));
  }
  return families;
}

SourceMetrics& SelfMetrics::ForSource(const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sources_.find(source);
  if (it != sources_.end()) return it->second;
  const prometheus::Labels s = {{"source", source}};
  SourceMetrics m{
      &lines_read_.Add(s),
      &bytes_read_.Add(s),
      &lines_unmatched_.Add(s),
      &lines_skipped_.Add({{"source", source}, {"reason", "too_long"}}),
      &invalid_utf8_.Add(s),
      &update_errors_.Add({{"source", source}, {"reason", "invalid_value"}}),
  };
  return sources_.emplace(source, m).first->second;
}

FileSourceMetrics& SelfMetrics::ForFileSource(const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = file_sources_.find(source);
  if (it != file_sources_.end()) return it->second;
  const prometheus::Labels s = {{"source", source}};
  FileSourceMetrics m{
      &read_errors_.Add(s),
      &rotations_.Add({{"source", source}, {"kind", "rename"}}),
      &rotations_.Add({{"source", source}, {"kind", "truncate"}}),
      &deletions_.Add(s),
  };
  return file_sources_.emplace(source, m).first->second;
}

prometheus::Counter* SelfMetrics::RuleMatches(const std::string& source,
                                              const std::string& rule_file,
                                              const std::string& rule) {
  return &rule_matches_.Add({{"source", source}, {"rule_file", rule_file}, {"rule", rule}});
}

prometheus::Counter* SelfMetrics::ParseErrors(const std::string& source,
                                              const std::string& reason) {
  return &parse_errors_.Add({{"source", source}, {"reason", reason}});
}

prometheus::Counter* SelfMetrics::Dropped(const std::string& source, const std::string& reason) {
  return &dropped_.Add({{"source", source}, {"reason", reason}});
}

prometheus::Counter* SelfMetrics::UpdateErrors(const std::string& source,
                                               const std::string& reason) {
  return &update_errors_.Add({{"source", source}, {"reason", reason}});
}

prometheus::Counter* SelfMetrics::RecordsCut(const std::string& source, const std::string& reason) {
  return &records_cut_.Add({{"source", source}, {"reason", reason}});
}

prometheus::Counter* SelfMetrics::RecordsWithoutStart(const std::string& source) {
  return &records_without_start_.Add({{"source", source}});
}

namespace {

// The pulled gauges' labels: `source`, then the source's constant labels.
SelfMetrics::Labels PulledLabels(const std::string& source, const SelfMetrics::Labels& labels) {
  SelfMetrics::Labels all = labels;
  all["source"] = source;
  return all;
}

}  // namespace

SelfMetrics::PulledGauges SelfMetrics::AcquirePulled(const std::string& source,
                                                     const Labels& labels) {
  const Labels all = PulledLabels(source, labels);
  std::lock_guard<std::mutex> lock(mu_);
  ++pulled_holders_[all];
  return {&source_up_.Add(all), &scrape_duration_.Add(all)};
}

void SelfMetrics::ReleasePulled(const std::string& source, const Labels& labels) {
  const Labels all = PulledLabels(source, labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pulled_holders_.find(all);
  if (it == pulled_holders_.end() || --it->second > 0) return;
  pulled_holders_.erase(it);
  // Add returns the existing gauge for these labels; Remove deletes it.
  source_up_.Remove(&source_up_.Add(all));
  scrape_duration_.Remove(&scrape_duration_.Add(all));
}

prometheus::Counter* SelfMetrics::ScrapeErrors(const std::string& source,
                                               const std::string& reason) {
  return &scrape_errors_.Add({{"source", source}, {"reason", reason}});
}

SelfMetrics::TailerGauges SelfMetrics::ForTailer(const std::string& source) {
  return {&source_files_.Add({{"source", source}}), &file_lag_.Add({{"source", source}})};
}

SelfMetrics::TailerLimitGauges SelfMetrics::ForTailerLimit(const std::string& source) {
  return {&files_waiting_.Add({{"source", source}}), &files_limit_.Add({{"source", source}})};
}

prometheus::Counter* SelfMetrics::FilesSkipped(const std::string& source,
                                               const std::string& reason) {
  return &files_skipped_.Add({{"source", source}, {"reason", reason}});
}

void SelfMetrics::RemoveTailer(const std::string& source) {
  // Add returns the existing gauge for these labels; Remove deletes it.
  source_files_.Remove(&source_files_.Add({{"source", source}}));
  file_lag_.Remove(&file_lag_.Add({{"source", source}}));
  if (files_limit_.Has({{"source", source}})) {
    files_waiting_.Remove(&files_waiting_.Add({{"source", source}}));
    files_limit_.Remove(&files_limit_.Add({{"source", source}}));
  }
}

prometheus::Gauge* SelfMetrics::LastRead(const std::string& source) {
  return &last_read_.Add({{"source", source}});
}

SelfMetrics::PositionsMetrics& SelfMetrics::Positions() {
  std::lock_guard<std::mutex> lock(mu_);
  if (positions_) return *positions_;
  auto& writes = CounterFamily(*registry_, "metrics_adapter_positions_writes_total",
                               "Saves of the positions file, by result.");
  auto& load_errors =
      CounterFamily(*registry_, "metrics_adapter_positions_load_errors_total",
                    "Positions files that could not be read at start (every file was then "
                    "read from its start).");
  positions_ = std::make_unique<PositionsMetrics>(PositionsMetrics{
      &writes.Add({{"result", "success"}}),
      &writes.Add({{"result", "failure"}}),
      &load_errors.Add({}),
      &CounterFamily(*registry_, "metrics_adapter_positions_resumed_files_total",
                     "Files resumed at a position read from the positions file, by the "
                     "shutdown that saved it (unclean: lines counted after that save may "
                     "have been counted again)."),
      &CounterFamily(*registry_, "metrics_adapter_positions_replaced_files_total",
                     "Saved positions not used because the file was replaced or truncated "
                     "meanwhile; the file was read from its start."),
  });
  return *positions_;
}

SelfMetrics::HttpMetrics& SelfMetrics::Http() {
  std::lock_guard<std::mutex> lock(mu_);
  if (http_) return *http_;
  http_ = std::make_unique<HttpMetrics>(HttpMetrics{
      &CounterFamily(*registry_, "metrics_adapter_http_requests_total",
                     "HTTP requests answered, by handler (the endpoint's path, or other) and "
                     "status code."),
      &prometheus::BuildGauge()
           .Name("metrics_adapter_http_requests_in_flight")
           .Help("HTTP requests being answered now.")
           .Register(*registry_)
           .Add({}),
      &CounterFamily(*registry_, "metrics_adapter_http_connections_dropped_total",
                     "HTTP connections closed without an answer (no_request: nothing arrived "
                     "within the read timeout, or the client closed; bad_request: a request "
                     "head malformed, too large or incomplete at the read timeout), or whose "
                     "request body was cut at the read timeout (body_timeout)."),
      &CounterFamily(*registry_, "metrics_adapter_http_scrapes_rejected_total",
                     "Scrapes answered 503 because --web.max-requests renders were running.")
           .Add({}),
  });
  return *http_;
}

}  // namespace metrics_adapter
