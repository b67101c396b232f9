// RecordJoiner joins consecutive lines of one input into multi-line records:
// a Java or Python stack trace, a MariaDB slow-query log entry. It is the
// `multiline:` block of a file source; the file tailer keeps one joiner per
// followed file, so lines of two files (or of a file and the one that
// replaced it at rotation) are never joined.
//
// Contract:
//   - a record is its lines joined with '\n' (no '\n' after the last one);
//   - `start` mode: a line the pattern matches begins a new record, any other
//     line joins the current one; `continue` mode: a line the pattern matches
//     joins the current record, any other line begins a new one. The pattern
//     is searched anywhere in the line (anchor it with ^ to test its start)
//     and matches bytes, like rule regexes;
//   - a line that would join a record when none is pending (the input starts
//     in the middle of a record: a tailer starting at a file's end, a file
//     whose first lines do not match `start`) begins a record of its own and
//     is counted in Counts::without_start: nothing read is dropped;
//   - a record is complete when the line after it begins a new record, when
//     it has been idle for flush_after (FlushIdle), or when the input ends or
//     breaks (Flush: end of input, rotated-away file closed, truncation);
//   - a record that would exceed max_lines or max_bytes (counting the '\n'
//     between lines) is cut: its lines so far are emitted at once, and the
//     lines that would have joined it are skipped until a line begins the
//     next record. A first line longer than max_bytes is kept up to
//     max_bytes. Each cut record is counted once, by reason;
//   - memory is bounded by max_bytes (the pending record) plus the records
//     one Feed completes; the steady state allocates nothing.
//
// Usage:
//   RecordJoiner joiner({.mode = MultilineOptions::Mode::kStart,
//                        .pattern = R"(^\d{4}-\d\d-\d\d )"});
//   std::vector<std::string_view> records;
//   joiner.Feed(lines, Clock::now(), records);  // records these lines completed
//   ...
//   joiner.FlushIdle(Clock::now(), records);     // when no line came for a while
//   joiner.Flush(records);                        // the input ended
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace re2 {
class RE2;
}

namespace metrics_adapter {

struct MultilineOptions {
  enum class Mode { kStart, kContinue };
  Mode mode = Mode::kStart;
  // RE2 syntax; must pass RecordJoiner::CheckPattern.
  std::string pattern;
  // Limits of one record; both at least 1.
  std::size_t max_lines = 500;
  std::size_t max_bytes = std::size_t{256} * 1024;
  // A pending record no line joined for this long is complete.
  std::chrono::milliseconds flush_after{1000};

  bool operator==(const MultilineOptions&) const = default;
};

class RecordJoiner {
 public:
  using Clock = std::chrono::steady_clock;

  // What happened to records since the last TakeCounts().
  struct Counts {
    std::uint64_t cut_max_lines = 0;  // records cut at max_lines
    std::uint64_t cut_max_bytes = 0;  // records cut at max_bytes
    std::uint64_t without_start = 0;  // records begun by a line that would join one
    bool any() const { return cut_max_lines + cut_max_bytes + without_start > 0; }
  };

  // Returns "" if `pattern` compiles as a multiline pattern, else RE2's error
  // text (for a config error naming the key).
  static std::string CheckPattern(const std::string& pattern);

  // `options.pattern` must pass CheckPattern; if it does not, no line matches.
  explicit RecordJoiner(MultilineOptions options);
  ~RecordJoiner();
  RecordJoiner(const RecordJoiner&) = delete;
  RecordJoiner& operator=(const RecordJoiner&) = delete;

  // Joins `lines` (the next complete lines of the input, in order) and
  // appends the records they complete to `records`. `now` is when the lines
  // arrived, the start of the idle time FlushIdle measures. The views are
  // valid until the next call on this joiner.
  void Feed(std::span<const std::string_view> lines, Clock::time_point now,
            std::vector<std::string_view>& records);

  // Appends the pending record if no line joined it since `now - flush_after`.
  // Lines that follow and would join it begin a record of their own.
  void FlushIdle(Clock::time_point now, std::vector<std::string_view>& records);

  // The input ended or broke: appends the pending record, if any, and starts
  // afresh (the next line begins a record whatever it is).
  void Flush(std::vector<std::string_view>& records);

  bool pending() const { return pending_lines_ > 0; }

  // Where the pending record began: the index of its first line in the
  // lines of the last Feed call, or kBeganEarlier when it began in an
  // earlier call (or none is pending). A reader that saves positions resumes
  // at that line, so that a restart reads the whole record again.
  static constexpr std::size_t kBeganEarlier = static_cast<std::size_t>(-1);
  std::size_t pending_first_line() const { return pending() ? pending_first_line_ : kBeganEarlier; }
  const MultilineOptions& options() const { return options_; }

  // The counts since the last call, which are reset.
  Counts TakeCounts() { return std::exchange(counts_, Counts{}); }

 private:
  bool Begins(std::string_view line) const;
  void Begin(std::string_view line);
  void Join(std::string_view line);
  // Moves the pending record to the completed ones.
  void Complete();
  // Appends the completed records' views to `records`; drops their bytes
  // from the buffer at the next call.
  void Hand(std::vector<std::string_view>& records);
  // Drops the bytes of the records the last call handed out.
  void Reclaim();

  MultilineOptions options_;
  std::unique_ptr<re2::RE2> pattern_;
  // Completed records of the current call, then the pending record at
  // [pending_start_, end). Offsets, not views, as appending may move it.
  std::string buffer_;
  std::vector<std::pair<std::size_t, std::size_t>> completed_;  // offset, size
  std::size_t pending_start_ = 0;
  std::size_t handed_ = 0;  // bytes at the front that the last call handed out
  std::size_t pending_lines_ = 0;
  std::size_t pending_first_line_ = kBeganEarlier;  // see pending_first_line()
  bool skipping_ = false;  // the pending record was cut: skip its further lines
  Clock::time_point last_line_{};
  Counts counts_;
};

}  // namespace metrics_adapter
