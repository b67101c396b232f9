// SourcePipeline is the path of one source's input through its parser and
// rules into a series store. Streamed lines arrive through LineSink::OnLines,
// from a file tailer or a listener alike, and go straight into the store on
// that source's thread, with no queue in between: the source only moves past
// a chunk once OnLines returns, so every line is counted exactly once. Given
// MatchWorkers with more than one thread (and a parser whose stream lines are
// independent), a chunk's lines are parsed and matched on all of them
// (ParallelMatcher) and applied in line order, with the same result; OnLines
// still returns only once every line of the chunk is in the store. What
// is special to each kind of source comes beside the lines: a tailer's file
// events (OnEvent), a listener's drops (OnDrop). A pulled source's response
// body goes through ProcessBody, framed by an InputDriver.
//
// Usage:
//   SourcePipeline pipeline("access", parser_choice, rules, &store, self, "/etc/adapter");
//   FileTailer tailer(options, &pipeline);  // or LineListener::Start(options, &pipeline, &error)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapter/base/log_limiter.h"
#include "adapter/pipeline/input_driver.h"
#include "adapter/pipeline/match_workers.h"
#include "adapter/pipeline/parallel_matcher.h"
#include "adapter/pipeline/parse_error_counts.h"
#include "adapter/sources/file_tailer.h"
#include "adapter/sources/line_listener.h"
#include "adapter/store/constant_labels.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "parsers/parser.h"
#include "parsers/parser_config.h"
#include "rules/rule_set.h"

namespace metrics_adapter {

class SourcePipeline : public TailerObserver, public LineHandler, private RecordSink {
 public:
  // `store` receives what streamed lines (OnLines) produce; null for a
  // pulled source, whose every scrape goes to a fresh store (ProcessBody).
  // `rule_file_base` is the directory (empty: the working directory) rule-file
  // paths are shown relative to in the rule_matches self-metric, whatever their form.
  // `workers`, if not null, must outlive the pipeline: streamed lines are
  // matched on its threads. `labels`, if not null, are the source's constant
  // label values, added to every update (constant_labels.h).
  SourcePipeline(std::string source, const ParserChoice& parser,
                 std::shared_ptr<const RuleSet> rules, SeriesStore* store, SelfMetrics& self,
                 const std::string& rule_file_base, MatchWorkers* workers = nullptr,
                 std::shared_ptr<const ConstantLabels> labels = nullptr);
  // Takes the tailer gauges (files, lag) of a file source out of the
  // exposition: they describe a tailer that no longer runs.
  ~SourcePipeline() override;
  SourcePipeline(const SourcePipeline&) = delete;
  SourcePipeline& operator=(const SourcePipeline&) = delete;

  // Streamed input (LineSink): each line is one unit for the parser. Not
  // thread-safe: one tailer or listener thread feeds a pipeline.
  void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override;
  // A tailer's file events: counted and logged.
  void OnEvent(TailEvent event, std::string_view path, std::string_view detail) override;
  // A tailer's scan: the files followed and the lag, as gauges.
  void OnStatus(const TailerStatus& status) override;
  // A listener's drops: counted by reason.
  void OnDrop(std::string_view reason, std::uint64_t count) override;

  // Pulled input: one response body, parsed whole (body parsers) or line by
  // line (line parsers; framed by BodyFraming()), into `store`. Returns
  // whether the body was readable: false when the parser gave no record at
  // all but reported errors (a malformed JSON document, an HTML error page
  // where keyvalue lines were expected). Not thread-safe.
  bool ProcessBody(std::string_view body, SeriesStore& store);

  // Replaces the rules. Call only while holding the store's lock (inside
  // SeriesStore::Reconfigure's under_lock): the pipeline reads its rules only
  // under that lock, so every batch is matched by one rule set and written
  // with the family indices of the schema in force.
  // The source's constant labels come with them: they refer to the same
  // schema's family indices.
  void SetRulesLocked(std::shared_ptr<const RuleSet> rules,
                      std::shared_ptr<const ConstantLabels> labels = nullptr);

 private:
  void OnRecord(const Record& record) override;
  void OnParseError(std::string_view reason) override;
  void FlushCounts(std::size_t lines, std::size_t bytes);
  void OnPatternEvent(TailEvent event, std::string_view pattern, std::string_view detail);
  void OnFileSkipped(TailEvent event, std::string_view path, std::string_view detail);
  // Sizes the scratch space and per-rule counters for rules_; under the lock.
  void AdoptRules();

  std::string source_;
  std::unique_ptr<Parser> parser_;
  InputDriver body_driver_;
  std::shared_ptr<const RuleSet> rules_;
  SeriesStore* store_;
  SourceMetrics& metrics_;
  prometheus::Gauge* last_read_ = nullptr;          // created when the first line arrives
  SelfMetrics::TailerGauges tailer_gauges_{};       // created by the first OnStatus
  SelfMetrics::TailerLimitGauges limit_gauges_{};   // created when a file is first skipped
  std::shared_ptr<const RuleSet> adopted_;          // the rules scratch_ and counts_ fit
  std::vector<prometheus::Counter*> rule_matches_;  // by rule index of adopted_
  MatchScratch scratch_;
  MatchCounts counts_;
  SelfMetrics& self_;
  std::shared_ptr<const ConstantLabels> labels_;  // null: none
  // Where a batch's updates go while it holds the store: its writer, or a
  // LabellingSink in front of it.
  UpdateSink* writer_ = nullptr;
  std::uint64_t records_ = 0;  // records of the current batch
  // Parse errors of the current batch, by reason (a parser's small fixed set).
  ParseErrorCounts parse_errors_;
  // Streamed lines on several threads; null with one thread or a parser
  // that keeps state between lines.
  std::unique_ptr<ParallelMatcher> parallel_;
  std::string rule_file_base_;
  LogLimiter log_limiter_;
};

}  // namespace metrics_adapter
