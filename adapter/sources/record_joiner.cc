#include "adapter/sources/record_joiner.h"

#include <re2/re2.h>

namespace metrics_adapter {
namespace {

// As rule regexes are compiled (rules/rule_set.cc RuleRegexOptions): bytes,
// not UTF-8, so a line with an invalid byte is still tested; errors returned,
// not logged.
RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingLatin1);
  return options;
}

}  // namespace

std::string RecordJoiner::CheckPattern(const std::string& pattern) {
  if (pattern.empty()) return "the pattern is empty";
  const RE2 regex(pattern, PatternOptions());
  return regex.ok() ? std::string() : regex.error();
}

RecordJoiner::RecordJoiner(MultilineOptions options)
    : options_(std::move(options)),
      pattern_(std::make_unique<RE2>(options_.pattern, PatternOptions())) {}

RecordJoiner::~RecordJoiner() = default;

void RecordJoiner::Feed(std::span<const std::string_view> lines, Clock::time_point now,
                        std::vector<std::string_view>& records) {
  Reclaim();
  pending_first_line_ = kBeganEarlier;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (Begins(line)) {
      Begin(line);
      pending_first_line_ = i;
    } else if (skipping_) {
      continue;  // the rest of a record that was cut
    } else if (!pending()) {
      ++counts_.without_start;
      Begin(line);
      pending_first_line_ = i;
    } else {
      Join(line);
    }
  }
  if (!lines.empty()) last_line_ = now;
  Hand(records);
}

void RecordJoiner::FlushIdle(Clock::time_point now, std::vector<std::string_view>& records) {
  Reclaim();
  if (pending() && now - last_line_ >= options_.flush_after) Complete();
  Hand(records);
}

void RecordJoiner::Flush(std::vector<std::string_view>& records) {
  Reclaim();
  if (pending()) Complete();
  skipping_ = false;
  Hand(records);
}

bool RecordJoiner::Begins(std::string_view line) const {
  // A bad pattern (CheckPattern not called) matches nothing rather than crash.
  // Match without submatches, not PartialMatch: one DFA pass and no
  // argument handling, which is most of the cost of a line.
  const bool matches =
      pattern_->ok() && pattern_->Match(line, 0, line.size(), RE2::UNANCHORED, nullptr, 0);
  return options_.mode == MultilineOptions::Mode::kStart ? matches : !matches;
}

void RecordJoiner::Begin(std::string_view line) {
  if (pending()) Complete();
  skipping_ = false;
  pending_lines_ = 1;
  if (line.size() > options_.max_bytes) {
    buffer_.append(line.substr(0, options_.max_bytes));
    ++counts_.cut_max_bytes;
    Complete();
    skipping_ = true;
    return;
  }
  buffer_.append(line);
}

void RecordJoiner::Join(std::string_view line) {
  const std::size_t size = buffer_.size() - pending_start_;
  const bool too_many_lines = pending_lines_ >= options_.max_lines;
  if (too_many_lines || size + 1 + line.size() > options_.max_bytes) {
    ++(too_many_lines ? counts_.cut_max_lines : counts_.cut_max_bytes);
    Complete();
    skipping_ = true;
    return;
  }
  buffer_ += '\n';
  buffer_.append(line);
  ++pending_lines_;
}

void RecordJoiner::Complete() {
  completed_.emplace_back(pending_start_, buffer_.size() - pending_start_);
  pending_start_ = buffer_.size();
  pending_lines_ = 0;
}

void RecordJoiner::Hand(std::vector<std::string_view>& records) {
  for (const auto& [offset, size] : completed_) {
    records.emplace_back(buffer_.data() + offset, size);
  }
  // Only the views just handed out point at the completed bytes, and they
  // are valid until the next call: drop those bytes when it comes.
  if (!completed_.empty()) {
    completed_.clear();
    handed_ = pending_start_;
  }
}

void RecordJoiner::Reclaim() {
  if (handed_ == 0) return;
  buffer_.erase(0, handed_);  // moves the pending record, at most max_bytes, to the front
  pending_start_ -= handed_;
  handed_ = 0;
}

}  // namespace metrics_adapter
