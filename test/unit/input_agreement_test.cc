// Production, `explain` and `test` cut input into the parser's units the
// same way (one InputDriver, the source's LineFramer framing): on CRLF line
// ends, an unterminated last line and a line longer than max_line_bytes,
// what the rules make of the input is the same in all three.
#include <doctest/doctest.h>

#include <map>
#include <sstream>
#include <string>

#include "adapter/cli/rule_tests.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/explain.h"
#include "adapter/pipeline/input_driver.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/file_tailer.h"
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

constexpr const char* kRules = R"(metrics:
  - name: app_requests_total
    type: counter
    help: Requests.
    labels: [path]
rules:
  - name: request
    match: '^GET (?P<path>/\S*)$'
    emit:
      - metric: app_requests_total
        labels: {path: $path}
)";

// A CRLF line, an LF line, a line longer than the streamed sources' default
// limit (that no rule matches), and an unterminated last line.
std::string Input() { return "GET /a\r\nGET /b\n" + std::string(100 * 1024, 'x') + "\nGET /c"; }

// What the rules made of some input: the series of app_requests_total, and
// how many units matched no rule or were too long.
struct Outcome {
  std::map<std::string, double> series;
  double unmatched = 0;
  double too_long = 0;
};

struct Loaded {
  Schema schema;
  std::shared_ptr<const RuleSet> rules;
};

Loaded Load(const std::string& path) {
  Loaded loaded;
  Diagnostics diags;
  loaded.rules = LoadRuleFiles({path}, loaded.schema, diags).rule_set;
  INFO(diags.Format());
  REQUIRE(loaded.rules != nullptr);
  return loaded;
}

Outcome FromStore(const SeriesStore& store, SourceMetrics& metrics) {
  Outcome outcome;
  std::istringstream rendered(RenderExposition({&store}));
  for (std::string line; std::getline(rendered, line);) {
    std::optional<Sample> sample = ParseSampleLine(line);
    if (sample && sample->series.starts_with("app_requests_total{")) {
      outcome.series[sample->series] = sample->value;
    }
  }
  outcome.unmatched = metrics.lines_unmatched->Value();
  outcome.too_long = metrics.lines_too_long->Value();
  return outcome;
}

// A pulled source: the body through SourcePipeline::ProcessBody.
Outcome Pulled(const Loaded& loaded, const std::string& input) {
  SelfMetrics self;
  SourcePipeline pipeline("src", DefaultParserChoice(), loaded.rules, nullptr, self, "");
  SeriesStore store(loaded.schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  pipeline.ProcessBody(input, store);
  return FromStore(store, self.ForSource("src"));
}

// A file source: the input as a file, read from its start by a tailer into
// SourcePipeline, its unterminated last line handed over as `once` does.
Outcome Tailed(const Loaded& loaded, const SourceConfig& source, const std::string& input) {
  TempDir dir;
  dir.Write("app.log", input);
  SelfMetrics self;
  SeriesStore store(loaded.schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
  SourcePipeline pipeline("src", DefaultParserChoice(), loaded.rules, &store, self, "");
  TailerOptions options = source.tailer;
  options.paths = {dir / "app.log"};
  options.from_beginning = true;
  FileTailer tailer(options, &pipeline);
  tailer.Poll();
  tailer.FlushPartialLines();
  return FromStore(store, self.ForSource("src"));
}

// `explain`'s report, read back: the updates it shows, the records no rule
// matched, and the lines it says were skipped as too long.
Outcome Explained(const Loaded& loaded, const InputFraming& framing, const std::string& input,
                  const std::optional<MultilineOptions>& multiline = std::nullopt) {
  const std::string report =
      ExplainInput(*loaded.rules, loaded.schema, DefaultParserChoice(), framing, input, multiline);
  Outcome outcome;
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  app_requests_total{") && line.ends_with(" inc 1")) {
      outcome.series[line.substr(2, line.find('}') - 1)] += 1;
    } else if (line.ends_with("): no match")) {
      outcome.unmatched += 1;
    } else if (line.find(" bytes (max_line_bytes) skipped") != std::string::npos) {
      outcome.too_long += std::stod(line);
    }
  }
  return outcome;
}

// A YAML double-quoted scalar holding `text` (which has no '"' or '\').
std::string YamlQuoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST_CASE("pulled body, explain and test agree on CRLF, unterminated and long lines") {
  TempDir dir;
  const std::string input = Input();
  const Loaded loaded = Load(dir.Write("r.yaml", kRules));
  const Outcome expected{.series = {{R"(app_requests_total{path="/a"})", 1},
                                    {R"(app_requests_total{path="/b"})", 1},
                                    {R"(app_requests_total{path="/c"})", 1}},
                         .unmatched = 1,  // the long line: a body has no line limit
                         .too_long = 0};

  const Outcome production = Pulled(loaded, input);
  CHECK(production.series == expected.series);
  CHECK(production.unmatched == expected.unmatched);
  CHECK(production.too_long == expected.too_long);

  SourceConfig source;
  source.type = "http";
  const Outcome explained = Explained(loaded, FramingFor(source), input);
  CHECK(explained.series == expected.series);
  CHECK(explained.unmatched == expected.unmatched);
  CHECK(explained.too_long == expected.too_long);

  // `test` with the same input expects exactly what production produced.
  dir.Write("t.yaml", std::string(kRules) + "tests:\n  - input: " + YamlQuoted(input) +
                          "\n    unmatched: 1\n    expect: |\n" +
                          "      app_requests_total{path=\"/a\"} 1\n" +
                          "      app_requests_total{path=\"/b\"} 1\n" +
                          "      app_requests_total{path=\"/c\"} 1\n");
  std::ostringstream report;
  const int failures = RunRuleTests({dir / "t.yaml"}, report);
  INFO(report.str());
  CHECK(failures == 0);
}

TEST_CASE("a file source and explain for it agree: CR removed, long line dropped, last line read") {
  TempDir dir;
  const std::string input = Input();
  const Loaded loaded = Load(dir.Write("r.yaml", kRules));
  SourceConfig source;
  source.type = "file";
  // As for a pulled body, the '\r' goes, so /a matches '$'; unlike a body,
  // the long line is over the file source's default 64 KiB limit: dropped
  // and counted instead of unmatched.
  const Outcome expected{.series = {{R"(app_requests_total{path="/a"})", 1},
                                    {R"(app_requests_total{path="/b"})", 1},
                                    {R"(app_requests_total{path="/c"})", 1}},
                         .unmatched = 0,
                         .too_long = 1};

  const Outcome production = Tailed(loaded, source, input);
  CHECK(production.series == expected.series);
  CHECK(production.unmatched == expected.unmatched);
  CHECK(production.too_long == expected.too_long);

  const Outcome explained = Explained(loaded, FramingFor(source), input);
  CHECK(explained.series == expected.series);
  CHECK(explained.unmatched == expected.unmatched);
  CHECK(explained.too_long == expected.too_long);
}

TEST_CASE("a multiline file source and explain for it agree: the same records, the same cuts") {
  TempDir dir;
  const Loaded loaded = Load(dir.Write("r.yaml", kRules));
  SourceConfig source;
  source.type = "file";
  MultilineOptions multiline;
  multiline.pattern = "^GET ";
  multiline.max_lines = 2;
  source.tailer.multiline = multiline;
  // Records: "GET /a" (CR removed), "GET /b\n  detail" (its '$' is not at
  // the record's end: unmatched), "GET /d\n x" (cut at max_lines, unmatched),
  // "GET /c" (the unterminated last line ends the input and the record).
  const std::string input = "GET /a\r\nGET /b\n  detail\nGET /d\n x\n y\nGET /c";
  const Outcome expected{
      .series = {{R"(app_requests_total{path="/a"})", 1}, {R"(app_requests_total{path="/c"})", 1}},
      .unmatched = 2,
      .too_long = 0};

  const Outcome production = Tailed(loaded, source, input);
  CHECK(production.series == expected.series);
  CHECK(production.unmatched == expected.unmatched);

  const Outcome explained = Explained(loaded, FramingFor(source), input, MultilineFor(source));
  CHECK(explained.series == expected.series);
  CHECK(explained.unmatched == expected.unmatched);
  const std::string report = ExplainInput(*loaded.rules, loaded.schema, DefaultParserChoice(),
                                          FramingFor(source), input, MultilineFor(source));
  CHECK(report.find("multiline: 1 record(s) cut at max_lines, 0 at max_bytes, 0 begun without a "
                    "start line\n") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
