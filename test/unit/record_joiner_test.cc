// RecordJoiner: start and continue modes, the limits and what is skipped
// after a cut, idle flushing with explicit times (no sleeps), Flush at the
// end of input, lines before the first start; and how rule regexes read
// the '\n' inside a record.
#include "adapter/sources/record_joiner.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule_set.h"

namespace metrics_adapter {
namespace {

using Clock = RecordJoiner::Clock;
using Records = std::vector<std::string>;
using std::chrono::milliseconds;

MultilineOptions Start(std::string pattern) {
  MultilineOptions options;
  options.mode = MultilineOptions::Mode::kStart;
  options.pattern = std::move(pattern);
  return options;
}

MultilineOptions Continue(std::string pattern) {
  MultilineOptions options = Start(std::move(pattern));
  options.mode = MultilineOptions::Mode::kContinue;
  return options;
}

// Feeds `lines` as one call at `at` and returns the records it completed.
Records Feed(RecordJoiner& joiner, std::vector<std::string_view> lines,
             Clock::time_point at = Clock::time_point()) {
  std::vector<std::string_view> views;
  joiner.Feed(lines, at, views);
  return Records(views.begin(), views.end());
}

Records Flush(RecordJoiner& joiner) {
  std::vector<std::string_view> views;
  joiner.Flush(views);
  return Records(views.begin(), views.end());
}

Records FlushIdle(RecordJoiner& joiner, Clock::time_point at) {
  std::vector<std::string_view> views;
  joiner.FlushIdle(at, views);
  return Records(views.begin(), views.end());
}

TEST_CASE("CheckPattern accepts RE2 patterns and names the error of others") {
  CHECK(RecordJoiner::CheckPattern(R"(^\d{4}-)") == "");
  CHECK(RecordJoiner::CheckPattern("^(a") == "missing ): ^(a");
  CHECK(RecordJoiner::CheckPattern("") == "the pattern is empty");
}

TEST_CASE("start: a matching line begins a record, the others join it") {
  RecordJoiner joiner(Start("^ERROR|^INFO"));
  CHECK(Feed(joiner, {"INFO a", "ERROR b", "Traceback:", "  File x", "ValueError: v"}) ==
        Records{"INFO a"});
  CHECK(joiner.pending());
  // A record spans calls: the pending one ends with the next start.
  CHECK(Feed(joiner, {"  more", "INFO c"}) ==
        Records{"ERROR b\nTraceback:\n  File x\nValueError: v\n  more"});
  CHECK(Flush(joiner) == Records{"INFO c"});
  CHECK(!joiner.pending());
  CHECK(Flush(joiner).empty());
  CHECK(!joiner.TakeCounts().any());
}

TEST_CASE("start: empty lines join the record; the pattern is searched, not anchored") {
  RecordJoiner joiner(Start("BEGIN"));
  CHECK(Feed(joiner, {"x BEGIN 1", "", "y", "BEGIN 2"}) == Records{"x BEGIN 1\n\ny"});
  CHECK(Flush(joiner) == Records{"BEGIN 2"});
}

TEST_CASE("continue: a matching line joins the previous one, any other begins a record") {
  RecordJoiner joiner(Continue(R"(^\s|^Caused by:)"));
  CHECK(Feed(joiner, {"java.lang.IllegalStateException: x", "\tat A.b(A.java:1)",
                      "Caused by: java.io.IOException", "\tat C.d(C.java:2)", "next"}) ==
        Records{"java.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n"
                "Caused by: java.io.IOException\n\tat C.d(C.java:2)"});
  CHECK(Feed(joiner, {"other"}) == Records{"next"});
  CHECK(Flush(joiner) == Records{"other"});
}

TEST_CASE("lines before the first start make a record of their own, counted") {
  RecordJoiner joiner(Start("^START"));
  CHECK(Feed(joiner, {"tail of 1", "more of 1", "START 2", "x"}) ==
        Records{"tail of 1\nmore of 1"});
  RecordJoiner::Counts counts = joiner.TakeCounts();
  CHECK(counts.without_start == 1);
  CHECK(counts.cut_max_lines + counts.cut_max_bytes == 0);
  CHECK(Flush(joiner) == Records{"START 2\nx"});
  CHECK(joiner.TakeCounts().without_start == 0);  // taken and reset

  RecordJoiner cont(Continue("^ "));
  CHECK(Feed(cont, {" orphan", "a", " b"}) == Records{" orphan"});
  CHECK(cont.TakeCounts().without_start == 1);
  CHECK(Flush(cont) == Records{"a\n b"});
}

TEST_CASE("max_lines: the kept lines are emitted at once, the rest skipped to the next start") {
  MultilineOptions options = Start("^S");
  options.max_lines = 3;
  RecordJoiner joiner(options);
  CHECK(Feed(joiner, {"S1", "a", "b", "c", "d"}) == Records{"S1\na\nb"});
  CHECK(!joiner.pending());
  CHECK(Feed(joiner, {"e", "S2", "f"}).empty());
  CHECK(joiner.TakeCounts().cut_max_lines == 1);
  CHECK(Feed(joiner, {"g", "S3"}) == Records{"S2\nf\ng"});  // exactly 3 lines: not cut
  CHECK(Flush(joiner) == Records{"S3"});
  CHECK(!joiner.TakeCounts().any());
}

TEST_CASE("max_lines 1: every line is a record, continuation lines are cut") {
  MultilineOptions options = Start("^S");
  options.max_lines = 1;
  RecordJoiner joiner(options);
  CHECK(Feed(joiner, {"S1", "x", "y", "S2"}) == Records{"S1"});
  CHECK(joiner.TakeCounts().cut_max_lines == 1);
  CHECK(Flush(joiner) == Records{"S2"});
}

TEST_CASE("max_bytes counts the newlines between lines; a long first line is kept in part") {
  MultilineOptions options = Start("^S");
  options.max_bytes = 8;
  RecordJoiner joiner(options);
  // "S1\nabc\nd" is 8 bytes: fits. One more byte does not.
  CHECK(Feed(joiner, {"S1", "abc", "d", "S2", "abc", "de", "x", "S3456789ABC", "y", "S4"}) ==
        Records{"S1\nabc\nd", "S2\nabc", "S3456789"});
  const RecordJoiner::Counts counts = joiner.TakeCounts();
  CHECK(counts.cut_max_bytes == 2);
  CHECK(counts.cut_max_lines == 0);
  CHECK(Flush(joiner) == Records{"S4"});
}

TEST_CASE("FlushIdle emits a record no line joined for flush_after, not sooner") {
  MultilineOptions options = Start("^S");
  options.flush_after = milliseconds(500);
  RecordJoiner joiner(options);
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  CHECK(Feed(joiner, {"S1", "a"}, t0).empty());
  CHECK(FlushIdle(joiner, t0 + milliseconds(300)).empty());
  CHECK(Feed(joiner, {"b"}, t0 + milliseconds(400)).empty());  // joining restarts the wait
  CHECK(FlushIdle(joiner, t0 + milliseconds(899)).empty());
  CHECK(FlushIdle(joiner, t0 + milliseconds(900)) == Records{"S1\na\nb"});
  CHECK(FlushIdle(joiner, t0 + milliseconds(5000)).empty());
  // A line that would have joined the flushed record begins its own.
  CHECK(Feed(joiner, {"late", "S2"}, t0 + milliseconds(6000)) == Records{"late"});
  CHECK(joiner.TakeCounts().without_start == 1);
  CHECK(Flush(joiner) == Records{"S2"});
}

TEST_CASE("Flush ends a cut record's skipping: the next input starts afresh") {
  MultilineOptions options = Start("^S");
  options.max_lines = 1;
  RecordJoiner joiner(options);
  CHECK(Feed(joiner, {"S1", "skipped"}) == Records{"S1"});
  CHECK(Flush(joiner).empty());
  CHECK(Feed(joiner, {"new file's first line", "S2"}) == Records{"new file's first line"});
  const RecordJoiner::Counts counts = joiner.TakeCounts();
  CHECK(counts.cut_max_lines == 1);
  CHECK(counts.without_start == 1);
}

TEST_CASE("records stay valid until the next call, however many one call completes") {
  RecordJoiner joiner(Start("^S"));
  std::vector<std::string> input;
  std::vector<std::string_view> lines;
  for (int i = 0; i < 1000; ++i) input.push_back((i % 3 == 0 ? "S" : "x") + std::to_string(i));
  for (const std::string& line : input) lines.push_back(line);
  std::vector<std::string_view> records;
  joiner.Feed(lines, Clock::time_point(), records);
  REQUIRE(records.size() == 333);
  CHECK(records.front() == "S0\nx1\nx2");
  CHECK(records.back() == "S996\nx997\nx998");
  records.clear();
  joiner.Flush(records);
  CHECK(records == std::vector<std::string_view>{"S999"});
}

TEST_CASE("a bad pattern, used without CheckPattern, matches nothing") {
  RecordJoiner joiner(Start("(unclosed"));
  CHECK(Feed(joiner, {"a", "b"}).empty());
  CHECK(Flush(joiner) == Records{"a\nb"});
}

// What README's multiline section promises rule authors: rule regexes see a
// record's '\n' like any byte, except that `.` does not match it unless
// (?s), and ^ and $ anchor at the record's ends unless (?m).
TEST_CASE("rule regexes across the lines of a record") {
  const std::string record = "ERROR x\nTraceback (most recent call last):\nValueError: bad";
  auto matches = [&](const char* pattern) {
    RE2 regex(pattern, RuleRegexOptions());
    REQUIRE(regex.ok());
    return RE2::PartialMatch(record, regex);
  };
  CHECK(!matches("^ERROR.*bad$"));
  CHECK(matches("(?s)^ERROR.*bad$"));
  CHECK(!matches("^Traceback"));
  CHECK(matches("(?m)^Traceback"));
  CHECK(matches(R"(\nValueError: [^\n]*$)"));
  CHECK(matches(R"(^ERROR x\sTraceback)"));
  CHECK(matches(R"(^ERROR [^T]+Traceback)"));  // a negated class matches '\n'
}

}  // namespace
}  // namespace metrics_adapter
