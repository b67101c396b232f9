#include "adapter/cli/rule_tests.h"

#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "adapter/base/yaml_reader.h"
#include "adapter/config/config.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/input_driver.h"
#include "adapter/store/initial_series.h"
#include "adapter/store/series_store.h"
#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

// A value as the user would write it: at most 15 significant digits, so an
// expected 0.3 shows as 0.3 (not 0.29999999999999999) and a sum of 0.1 + 0.2,
// which the exposition writes exactly as 0.30000000000000004, as 0.3 too.
// Every decimal of up to 15 digits reads back as itself, and values that
// SameValue tells apart (by more than 1e-9 relative) never print alike.
std::string FormatValue(double value) {
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 15);
  return std::string(buffer, end);
}

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

// "name" of "name{labels}".
std::string SampleName(const std::string& series) { return series.substr(0, series.find('{')); }

// What a test's input made: every series rendered, and the unmatched lines.
struct TestOutput {
  std::map<std::string, double> series;  // canonical series (ParseSampleLine) -> value
  std::uint64_t unmatched = 0;
};

// Feeds `input` through the parser and rules into a fresh store, the way a
// pulled source's body goes (InputDriver), or with `stream` the way a
// streamed source's lines go (with `multiline`, a file source's records),
// and reads the rendered series back.
TestOutput RunInput(std::string_view input, bool stream,
                    const std::optional<MultilineOptions>& multiline, const Schema& schema,
                    const RuleSet& rules, const ParserChoice& parser_choice) {
  SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  struct Matcher : RecordSink {
    Matcher(const RuleSet& r, SeriesStore::Writer& w)
        : rules(r), scratch(r), counts(r), writer(w) {}
    void OnRecord(const Record& record) override { rules.Match(record, scratch, counts, writer); }
    void OnParseError(std::string_view reason) override { ++parse_errors; }
    const RuleSet& rules;
    MatchScratch scratch;
    MatchCounts counts;
    SeriesStore::Writer& writer;
    std::uint64_t parse_errors = 0;
  };
  // What a streamed source starts with: its counters and histograms of
  // constant labels at 0 (a pulled source's store starts empty).
  if (stream || parser_choice.info->unit == ParserUnit::kLine) {
    AddSeriesFromTheStart(rules, schema, store);
  }
  std::unique_ptr<Parser> parser = parser_choice.Create();
  TestOutput output;
  {
    SeriesStore::Writer writer = store.Write();
    Matcher matcher(rules, writer);
    InputFraming framing = BodyFraming();
    framing.streamed = stream;
    InputDriver(parser_choice.info->unit, framing, multiline).Feed(input, *parser, matcher);
    output.unmatched = matcher.counts.unmatched;
  }
  std::istringstream rendered(RenderExposition({&store}));
  for (std::string line; std::getline(rendered, line);) {
    if (auto sample = ParseSampleLine(line)) output.series.emplace(sample->series, sample->value);
  }
  return output;
}

// The diff lines between a test's `expect` and what its input made, empty
// when they agree. A name `expect` mentions must have exactly the series it
// lists, so a test also catches series that should not exist (histogram
// buckets are checked only where listed: listing every bucket would drown
// the test).
std::string Compare(const RuleTest& test, const TestOutput& actual) {
  std::string diff;
  if (test.unmatched && static_cast<std::uint64_t>(*test.unmatched) != actual.unmatched) {
    diff += "  -unmatched lines: " + std::to_string(*test.unmatched) +
            "\n  +unmatched lines: " + std::to_string(actual.unmatched) + "\n";
  }
  std::istringstream expected(test.expect);
  std::set<std::string> expected_series, exact_names;
  for (std::string line; std::getline(expected, line);) {
    std::optional<Sample> want = ParseSampleLine(line);
    if (!want) {
      if (line.find_first_not_of(" \t") != std::string::npos && line.front() != '#') {
        diff += "  cannot read expected line: " + line + "\n";
      }
      continue;
    }
    expected_series.insert(want->series);
    const std::string name = SampleName(want->series);
    if (!name.ends_with("_bucket")) exact_names.insert(name);
    auto it = actual.series.find(want->series);
    if (it == actual.series.end()) {
      diff += "  -" + want->series + " " + FormatValue(want->value) + "\n  +(no such series)\n";
    } else if (!SameValue(it->second, want->value)) {
      diff += "  -" + want->series + " " + FormatValue(want->value) + "\n  +" + it->first + " " +
              FormatValue(it->second) + "\n";
    }
  }
  for (const auto& [series, value] : actual.series) {
    if (exact_names.contains(SampleName(series)) && !expected_series.contains(series)) {
      diff += "  +" + series + " " + FormatValue(value) + "   (not in expect)\n";
    }
  }
  return diff;
}

// Runs one test; returns the diff lines, empty on success. A test with
// `multiline` stands for a file source with that block: its input is read as
// a stream, joined into records. A block that does not read fails the test
// with the problems, each at its key's position.
std::string RunOne(const RuleTest& test, const Schema& schema, const RuleSet& rules,
                   const ParserChoice& parser_choice) {
  std::optional<MultilineOptions> multiline;
  if (test.multiline.IsDefined()) {
    Diagnostics diags;
    YamlMap map(test.multiline, test.file, diags, "\"multiline\"");
    if (map.valid()) multiline = LoadMultiline(map, diags);
    if (diags.HasErrors()) {
      std::string problems;
      std::istringstream lines(diags.Format());
      for (std::string line; std::getline(lines, line);) problems += "  " + line + "\n";
      return problems;
    }
  }
  const bool stream = test.stream || multiline.has_value();
  return Compare(test, RunInput(test.input, stream, multiline, schema, rules, parser_choice));
}

}  // namespace

int RunRuleTests(const std::vector<std::string>& files, std::ostream& out) {
  int failures = 0, passed = 0;
  for (const std::string& file : files) {
    Schema schema;
    Diagnostics diags;
    RuleFiles loaded = LoadRuleFiles({file}, schema, diags);
    if (!loaded.rule_set) {
      out << diags.Format() << "FAIL " << file << ": rule file does not load\n";
      ++failures;
      continue;
    }
    if (loaded.tests.empty()) {
      out << "FAIL " << file << ": no tests (every rule file needs at least one)\n";
      ++failures;
      continue;
    }
    for (const RuleTest& test : loaded.tests) {
      const std::string diff = RunOne(test, schema, *loaded.rule_set,
                                      loaded.parser ? *loaded.parser : DefaultParserChoice());
      if (diff.empty()) {
        ++passed;
        out << "ok   " << test.position.ToString() << ": " << test.name << "\n";
      } else {
        ++failures;
        out << "FAIL " << test.position.ToString() << ": " << test.name << "\n"
            << "  --- expected\n  +++ actual\n"
            << diff;
      }
    }
  }
  out << passed << " passed, " << failures << " failed\n";
  return failures;
}

}  // namespace metrics_adapter
