#include "adapter/pipeline/source_pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>

namespace metrics_adapter {
namespace {

// `file` relative to the directory `base` (empty: the working directory),
// whichever of them is absolute or relative; `file` itself when a path
// cannot be made absolute.
std::string RuleFileLabel(const std::string& file, const std::string& base) {
  std::error_code file_error, base_error;
  const std::filesystem::path absolute_file = std::filesystem::absolute(file, file_error);
  const std::filesystem::path absolute_base =
      std::filesystem::absolute(base.empty() ? "." : base, base_error);
  if (file_error || base_error) return file;
  std::string relative = absolute_file.lexically_normal()
                             .lexically_relative(absolute_base.lexically_normal())
                             .string();
  return relative.empty() ? file : relative;
}

}  // namespace

SourcePipeline::SourcePipeline(std::string source, const ParserChoice& parser,
                               std::shared_ptr<const RuleSet> rules, SeriesStore* store,
                               SelfMetrics& self, const std::string& rule_file_base,
                               MatchWorkers* workers, std::shared_ptr<const ConstantLabels> labels)
    : source_(std::move(source)),
      parser_(parser.Create()),
      body_driver_(parser.info->unit, BodyFraming()),
      rules_(std::move(rules)),
      store_(store),
      metrics_(self.ForSource(source_)),
      scratch_(*rules_),
      counts_(*rules_),
      self_(self),
      labels_(std::move(labels)),
      rule_file_base_(rule_file_base),
      log_limiter_(std::chrono::seconds(10)) {
  if (workers != nullptr && workers->threads() > 1 && !parser.info->stream_state) {
    parallel_ = std::make_unique<ParallelMatcher>(parser, *workers);
  }
  AdoptRules();
}

SourcePipeline::~SourcePipeline() {
  if (tailer_gauges_.files != nullptr) self_.RemoveTailer(source_);
}

void SourcePipeline::SetRulesLocked(std::shared_ptr<const RuleSet> rules,
                                    std::shared_ptr<const ConstantLabels> labels) {
  rules_ = std::move(rules);
  labels_ = std::move(labels);
}

void SourcePipeline::AdoptRules() {
  adopted_ = rules_;
  scratch_ = MatchScratch(*rules_);
  counts_ = MatchCounts(*rules_);
  if (parallel_) parallel_->Adopt(*rules_);
  rule_matches_.clear();
  // Rules come in runs of one file: its label is worked out once a run.
  const std::string* labelled_file = nullptr;
  std::string file_label;
  for (const CompiledRule& rule : rules_->rules()) {
    if (labelled_file == nullptr || *labelled_file != rule.file) {
      labelled_file = &rule.file;
      file_label = RuleFileLabel(rule.file, rule_file_base_);
    }
    rule_matches_.push_back(self_.RuleMatches(source_, file_label, rule.name));
  }
}

void SourcePipeline::OnLines(std::span<const std::string_view> lines, std::size_t bytes) {
  {
    SeriesStore::Writer store_writer = store_->Write();
    if (rules_ != adopted_) AdoptRules();  // a reload swapped the rules
    std::optional<LabellingSink> labelled;
    if (labels_ && !labels_->empty()) labelled.emplace(*labels_, store_writer);
    UpdateSink& writer = labelled ? static_cast<UpdateSink&>(*labelled) : store_writer;
    // Rules that keep state across lines read what earlier lines wrote, so
    // their lines are matched in order, on this thread.
    if (parallel_ && rules_->state_tables().empty() && parallel_->Worth(lines.size())) {
      parallel_->Match(lines, *rules_, writer, counts_, parse_errors_);
    } else {
      writer_ = &writer;
      for (std::string_view line : lines) parser_->ParseStreamLine(line, *this);
      writer_ = nullptr;
    }
  }
  FlushCounts(lines.size(), bytes);
  if (!lines.empty()) {
    if (last_read_ == nullptr) last_read_ = self_.LastRead(source_);
    last_read_->Set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
}

void SourcePipeline::OnStatus(const TailerStatus& status) {
  if (tailer_gauges_.files == nullptr) tailer_gauges_ = self_.ForTailer(source_);
  tailer_gauges_.files->Set(static_cast<double>(status.files));
  tailer_gauges_.lag_bytes->Set(static_cast<double>(status.lag_bytes));
  if (limit_gauges_.skipped == nullptr && status.skipped == 0) return;
  if (limit_gauges_.skipped == nullptr) limit_gauges_ = self_.ForTailerLimit(source_);
  limit_gauges_.skipped->Set(static_cast<double>(status.skipped));
  limit_gauges_.limit->Set(static_cast<double>(status.files_limit));
}

bool SourcePipeline::ProcessBody(std::string_view body, SeriesStore& store) {
  records_ = 0;
  InputCounts counts;
  {
    SeriesStore::Writer store_writer = store.Write();
    std::optional<LabellingSink> labelled;
    if (labels_ && !labels_->empty()) labelled.emplace(*labels_, store_writer);
    writer_ = labelled ? static_cast<UpdateSink*>(&*labelled) : &store_writer;
    counts = body_driver_.Feed(body, *parser_, *this);
    writer_ = nullptr;
  }
  const bool readable = records_ > 0 || parse_errors_.empty();
  if (counts.too_long > 0) metrics_.lines_too_long->Increment(static_cast<double>(counts.too_long));
  FlushCounts(counts.lines, body.size());
  return readable;
}

void SourcePipeline::OnParseError(std::string_view reason) { parse_errors_.Add(reason, 1); }

void SourcePipeline::OnRecord(const Record& record) {
  ++records_;
  rules_->Match(record, scratch_, counts_, *writer_);
}

void SourcePipeline::FlushCounts(std::size_t lines, std::size_t bytes) {
  metrics_.lines_read->Increment(static_cast<double>(lines));
  metrics_.bytes_read->Increment(static_cast<double>(bytes));
  for (std::size_t i = 0; i < counts_.rule_matches.size(); ++i) {
    if (counts_.rule_matches[i] > 0) {
      rule_matches_[i]->Increment(static_cast<double>(counts_.rule_matches[i]));
    }
  }
  if (counts_.unmatched > 0) {
    metrics_.lines_unmatched->Increment(static_cast<double>(counts_.unmatched));
  }
  if (counts_.invalid_values > 0) {
    metrics_.invalid_values->Increment(static_cast<double>(counts_.invalid_values));
    if (auto suppressed = log_limiter_.Allow("invalid_value")) {
      spdlog::warn(
          "source {}: {} captured value(s) were not numbers and were skipped ({} "
          "similar messages suppressed)",
          source_, counts_.invalid_values, *suppressed);
    }
  }
  if (counts_.invalid_utf8 > 0) {
    metrics_.invalid_utf8->Increment(static_cast<double>(counts_.invalid_utf8));
    if (auto suppressed = log_limiter_.Allow("invalid_utf8")) {
      spdlog::warn(
          "source {}: {} label value(s) held invalid UTF-8, replaced by U+FFFD ({} "
          "similar messages suppressed)",
          source_, counts_.invalid_utf8, *suppressed);
    }
  }
  for (std::size_t reason = 0; reason < counts_.update_errors.size(); ++reason) {
    const std::uint64_t count = counts_.update_errors[reason];
    if (count == 0) continue;
    const std::string_view name = EvalErrorName(static_cast<EvalError>(reason));
    self_.UpdateErrors(source_, std::string(name))->Increment(static_cast<double>(count));
    if (auto suppressed = log_limiter_.Allow("update_error")) {
      spdlog::warn(
          "source {}: {} update(s) skipped: an expression gave no value ({}) ({} similar "
          "messages suppressed)",
          source_, count, name, *suppressed);
    }
  }
  for (const auto& [reason, count] : parse_errors_.by_reason) {
    self_.ParseErrors(source_, std::string(reason))->Increment(static_cast<double>(count));
    if (auto suppressed = log_limiter_.Allow("parse_error")) {
      spdlog::warn(
          "source {}: {} input(s) the parser could not read ({}), skipped ({} similar "
          "messages suppressed)",
          source_, count, reason, *suppressed);
    }
  }
  parse_errors_.Clear();
  counts_.Reset();
}

void SourcePipeline::OnDrop(std::string_view reason, std::uint64_t count) {
  self_.Dropped(source_, std::string(reason))->Increment(static_cast<double>(count));
}

// File events are rare: their counters are looked up per event, so that
// only a source that has a tailer shows them (ForFileSource).
void SourcePipeline::OnEvent(TailEvent event, std::string_view path, std::string_view detail) {
  switch (event) {
    case TailEvent::kOpened:
      spdlog::info("source {}: following {} from its {}", source_, path, detail);
      return;
    case TailEvent::kRotated:
      self_.ForFileSource(source_).rotations_rename->Increment();
      spdlog::info("source {}: {} was rotated", source_, path);
      return;
    case TailEvent::kTruncated:
      self_.ForFileSource(source_).rotations_truncate->Increment();
      spdlog::info("source {}: {} was truncated; reading it from the start", source_, path);
      return;
    case TailEvent::kDeleted:
      self_.ForFileSource(source_).files_deleted->Increment();
      spdlog::info("source {}: {} was deleted", source_, path);
      return;
    case TailEvent::kClosed:
      spdlog::debug("source {}: closed {} after draining it", source_, path);
      return;
    case TailEvent::kLineTooLong:
      metrics_.lines_too_long->Increment();
      if (auto suppressed = log_limiter_.Allow("too_long")) {
        spdlog::warn("source {}: {}: {} ({} similar messages suppressed)", source_, path, detail,
                     *suppressed);
      }
      return;
    case TailEvent::kPatternEmpty:
    case TailEvent::kPatternMatching:
    case TailEvent::kWatchFailed:
      OnPatternEvent(event, path, detail);
      return;
    case TailEvent::kFileSkipped:
    case TailEvent::kNotRegular:
      OnFileSkipped(event, path, detail);
      return;
    case TailEvent::kRecordCut:
      self_.RecordsCut(source_, std::string(detail))->Increment();
      if (auto suppressed = log_limiter_.Allow("record_cut")) {
        spdlog::warn(
            "source {}: {}: a multi-line record reached its {} and was cut ({} similar "
            "messages suppressed)",
            source_, path, detail, *suppressed);
      }
      return;
    case TailEvent::kNoStartLine:
      self_.RecordsWithoutStart(source_)->Increment();
      spdlog::debug("source {}: {}: a multi-line record began without its start line", source_,
                    path);
      return;
    case TailEvent::kReadError:
      self_.ForFileSource(source_).read_errors->Increment();
      // Per source, not per path: a glob over thousands of unreadable files
      // must not write thousands of lines.
      if (auto suppressed = log_limiter_.Allow("read_error")) {
        spdlog::warn("source {}: cannot read {}: {} (retrying; {} similar messages suppressed)",
                     source_, path, detail, *suppressed);
      }
      return;
  }
}

// Files not opened: counted by reason. A file skipped for lack of a slot is
// logged at most every 10 s per source and reason (thousands may wait); a
// path that is not a regular file is logged each time the tailer reports
// it, which is once while it stays.
void SourcePipeline::OnFileSkipped(TailEvent event, std::string_view path,
                                   std::string_view detail) {
  std::string reason(detail);
  if (event == TailEvent::kNotRegular) {
    if (detail != "symlink") reason = "not_regular";
    self_.FilesSkipped(source_, reason)->Increment();
    if (detail == "symlink") {
      spdlog::warn("source {}: not reading {}: a symbolic link, and follow_symlinks is false",
                   source_, path);
    } else {
      spdlog::warn("source {}: not reading {}: not a regular file but a {}", source_, path, detail);
    }
    return;
  }
  self_.FilesSkipped(source_, reason)->Increment();
  if (auto suppressed = log_limiter_.Allow("skipped:" + reason)) {
    spdlog::warn(
        "source {}: not following {}: {} (followed once a slot frees up; {} similar messages "
        "suppressed)",
        source_, path,
        reason == "max_files"
            ? "the source follows max_files files already"
            : "the file descriptors left for files (from ulimit -n) are all in use",
        *suppressed);
  }
}

// Which files the paths reach, said out loud: an empty pattern is a warning
// (a typo and a volume not mounted look alike), its recovery news.
void SourcePipeline::OnPatternEvent(TailEvent event, std::string_view pattern,
                                    std::string_view detail) {
  switch (event) {
    case TailEvent::kPatternEmpty:
      spdlog::warn("source {}: path \"{}\" {}: nothing is read from it until it matches", source_,
                   pattern, detail);
      return;
    case TailEvent::kPatternMatching:
      spdlog::info("source {}: path \"{}\" matches {} now", source_, pattern, detail);
      return;
    case TailEvent::kWatchFailed:
      if (auto suppressed = log_limiter_.Allow("watch_failed")) {
        spdlog::warn(
            "source {}: cannot watch {} for changes: {}; it is scanned every poll_interval "
            "instead ({} similar messages suppressed)",
            source_, pattern, detail, *suppressed);
      }
      return;
    default:
      return;
  }
}

}  // namespace metrics_adapter
