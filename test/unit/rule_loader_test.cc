// LoadRuleFiles: rule files written to a temporary directory, loaded, and
// every diagnostic checked by its exact text and file:line:col (paths shown
// relative to the temporary directory).
#include "rules/rule_loader.h"
#include "test/unit/temp_dir.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

// Families most tests write into.
constexpr const char* kFamilies = R"(metrics:
  - name: app_requests_total
    type: counter
    help: Requests.
    labels: [method, code]
  - name: app_sent_bytes_total
    type: counter
    help: Bytes sent.
  - name: app_duration_seconds
    type: histogram
    help: Durations.
  - name: app_queue_length
    type: gauge
    help: Queue length.
)";

struct Result {
  RuleFiles files;
  Schema schema;
  std::string diagnostics;  // with "<tmp>/" removed
  int errors = 0;
  int warnings = 0;
};

// Writes `files` (name, text) into a fresh directory and loads the ones named
// in `load`, in that order.
Result LoadFiles(const std::vector<std::pair<std::string, std::string>>& files,
                 const std::vector<std::string>& load, std::size_t threads = 1) {
  TempDir dir;
  for (const auto& [name, text] : files) dir.Write(name, text);
  std::vector<std::string> paths;
  paths.reserve(load.size());
  for (const std::string& name : load) paths.push_back(dir.path() + "/" + name);
  Result result;
  Diagnostics diags;
  result.files = LoadRuleFiles(paths, result.schema, diags, nullptr, "", threads);
  result.diagnostics = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = result.diagnostics.find(prefix)) != std::string::npos;) {
    result.diagnostics.erase(at, prefix.size());
  }
  result.errors = diags.error_count();
  result.warnings = diags.warning_count();
  return result;
}

// The diagnostics without the warnings, for tests about errors.
std::string ErrorsOnly(const Result& r) {
  std::string out;
  std::size_t start = 0;
  while (start < r.diagnostics.size()) {
    const std::size_t end = r.diagnostics.find('\n', start);
    const std::string line = r.diagnostics.substr(start, end - start + 1);
    if (line.find(": warning: ") == std::string::npos) out += line;
    start = end + 1;
  }
  return out;
}

// Loads one rule file "r.yaml" made of kFamilies and `rules`.
Result LoadRules(const std::string& rules) {
  return LoadFiles({{"r.yaml", std::string(kFamilies) + rules}}, {"r.yaml"});
}

// Line numbers in the tests below count from the first line of `rules`,
// which is line 15 of r.yaml (kFamilies has 14 lines).
constexpr int kFirstRuleLine = 15;
std::string At(int line_in_rules, int column) {
  return "r.yaml:" + std::to_string(kFirstRuleLine + line_in_rules - 1) + ":" +
         std::to_string(column);
}

TEST_CASE("LoadRuleFiles loads a valid rule file into a rule set, schema and tests") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<method>[A-Z]+) (?P<code>\d{3}) (?P<bytes>\d+) (?P<ms>\d+)$'
    emit:
      - metric: app_requests_total
        labels: {method: $method, code: $code}
      - metric: app_sent_bytes_total
        add: $bytes
      - metric: app_duration_seconds
        observe: $ms
        unit: ms
tests:
  - name: one request
    input: |
      GET 200 512 4
      junk
    expect: |
      app_requests_total{code="200",method="GET"} 1
    unmatched: 1
)");
  CHECK(r.diagnostics == "");
  REQUIRE(r.files.rule_set != nullptr);
  CHECK(r.schema.size() == 4);
  REQUIRE(r.files.rule_set->rules().size() == 1);
  const CompiledRule& rule = r.files.rule_set->rules()[0];
  CHECK(rule.name == "request");
  CHECK_FALSE(rule.continue_matching);
  REQUIRE(rule.emits.size() == 3);
  CHECK(rule.emits[0].op == UpdateOp::kInc);
  CHECK(rule.emits[1].op == UpdateOp::kAdd);
  CHECK(rule.emits[2].op == UpdateOp::kObserve);
  CHECK(rule.emits[2].value.scale == doctest::Approx(0.001));
  CHECK(rule.position.ToString().ends_with("r.yaml:16:5"));

  REQUIRE(r.files.tests.size() == 1);
  const RuleTest& test = r.files.tests[0];
  CHECK(test.name == "one request");
  CHECK(test.input == "GET 200 512 4\njunk\n");
  CHECK(test.expect == "app_requests_total{code=\"200\",method=\"GET\"} 1\n");
  CHECK(test.unmatched == 1);
  CHECK(test.position.ToString().ends_with("r.yaml:27:5"));
}

TEST_CASE("LoadRuleFiles puts the rules of later files after those of earlier ones") {
  Result r =
      LoadFiles({{"families.yaml", kFamilies},
                 {"a.yaml",
                  "schema: [families.yaml]\nrules:\n  - {name: a1, match: a, emit: [{metric: "
                  "app_sent_bytes_total}]}\n  - {name: a2, match: b, emit: [{metric: "
                  "app_sent_bytes_total}]}\n"},
                 {"sub/b.yaml",
                  "schema: [../families.yaml]\nrules:\n  - {name: b1, match: c, emit: "
                  "[{metric: app_sent_bytes_total}]}\n"}},
                {"a.yaml", "sub/b.yaml"});
  CHECK(r.diagnostics == "");
  REQUIRE(r.files.rule_set != nullptr);
  std::vector<std::string> names;
  for (const CompiledRule& rule : r.files.rule_set->rules()) names.push_back(rule.name);
  CHECK(names == std::vector<std::string>{"a1", "a2", "b1"});
  // The shared schema file is read by both rule files and merges.
  CHECK(r.schema.size() == 4);
}

TEST_CASE("an invalid regex is reported at the offending character inside the pattern") {
  SUBCASE("single-quoted") {
    Result r = LoadRules(R"(rules:
  - name: bad_range
    match: '^(?P<code>\d+) [z-a]$'
    emit: [{metric: app_sent_bytes_total}]
)");
    // Column 12 is the quote; the pattern starts at 13 and "z-a" is at 16 in it.
    CHECK(r.diagnostics ==
          At(3, 29) +
              ": error: rule \"bad_range\": invalid regex: invalid character class "
              "range: z-a\n");
    CHECK(r.files.rule_set == nullptr);
  }
  SUBCASE("plain scalar") {
    Result r = LoadRules(R"(rules:
  - name: bad_repeat
    match: x{2,1}
    emit: [{metric: app_sent_bytes_total}]
)");
    CHECK(r.diagnostics == At(3, 13) +
                               ": error: rule \"bad_repeat\": invalid regex: invalid "
                               "repetition size: {2,1}\n");
  }
  SUBCASE("missing parenthesis points at the start of the pattern") {
    Result r = LoadRules(R"(rules:
  - name: unclosed
    match: '(?P<code>\d+'
    emit: [{metric: app_sent_bytes_total}]
)");
    CHECK(r.diagnostics ==
          At(3, 13) + ": error: rule \"unclosed\": invalid regex: missing ): (?P<code>\\d+\n");
  }
}

TEST_CASE("regexes compiled on several threads load the same rules and report the same errors") {
  // Enough rules for helper threads (PrecompiledRegexes::kMinPatternsPerThread),
  // with a named pattern, a broken regex and a pattern given twice among them.
  std::string rules = "rules:\n";
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    std::string match = "'^/svc" + n + "/(?P<code>\\d+)$'";
    if (i == 10) match = "'%{IP:client} /ten/(?P<code>\\d+)$'";
    if (i == 50) match = "'^/svc50/(?P<code>\\d+'";
    if (i == 70) match = "'^/svc69/(?P<code>\\d+)$'";
    rules.append("  - name: r").append(n).append("\n    match: ").append(match);
    rules.append("\n    continue: true\n");
    rules.append("    emit: [{metric: app_requests_total, labels: {method: GET, code: $code}}]\n");
  }
  const Result one = LoadFiles({{"r.yaml", std::string(kFamilies) + rules}}, {"r.yaml"}, 1);
  CHECK(one.errors == 1);
  CHECK(one.diagnostics.find("rule \"r50\": invalid regex: missing )") != std::string::npos);
  for (std::size_t threads : {2, 4}) {
    CAPTURE(threads);
    const Result many =
        LoadFiles({{"r.yaml", std::string(kFamilies) + rules}}, {"r.yaml"}, threads);
    CHECK(many.diagnostics == one.diagnostics);
  }
  // Without the broken rule, both load the same patterns in the same order.
  const std::size_t broken = rules.find("'^/svc50/(?P<code>\\d+'");
  rules.replace(broken, std::string("'^/svc50/(?P<code>\\d+'").size(), "'^/svc50/(?P<code>\\d+)'");
  const Result sequential = LoadFiles({{"r.yaml", std::string(kFamilies) + rules}}, {"r.yaml"}, 1);
  const Result parallel = LoadFiles({{"r.yaml", std::string(kFamilies) + rules}}, {"r.yaml"}, 2);
  REQUIRE(sequential.files.rule_set != nullptr);
  REQUIRE(parallel.files.rule_set != nullptr);
  const auto& a = sequential.files.rule_set->rules();
  const auto& b = parallel.files.rule_set->rules();
  REQUIRE(a.size() == 100);
  REQUIRE(b.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].regex->pattern() == b[i].regex->pattern());
  }
  CHECK(a[10].regex->pattern().find("/ten/") != std::string::npos);
}

// BUG: rules/rule_loader.cc RuleCompiler::CompileRegex shifts the position by
// the error's offset in the *decoded* pattern, so every escape before the
// error in a double-quoted scalar ("\\d" is two characters in the file, one
// in the pattern) moves the column left by one: this reports column 25
// instead of 26. Suggested fix: only shift when the scalar's source text
// equals the pattern (e.g. compare with the raw line of the file), otherwise
// point at the scalar's start.
TEST_CASE(
    "an invalid regex in a double-quoted scalar with escapes is reported at the offending "
    "character") {
  Result r = LoadRules(R"(rules:
  - name: dq
    match: "(?P<a>\\d+) [z-a]"
    emit: [{metric: app_sent_bytes_total}]
)");
  CHECK(r.diagnostics ==
        At(3, 26) + ": error: rule \"dq\": invalid regex: invalid character class range: z-a\n");
}

// BUG: rules/rule_loader.cc RuleCompiler::CompileRegex treats a block scalar
// (`match: >-` with the pattern on the next line) like a quoted one: yaml-cpp
// tags both "!", so the column is shifted along the line of the `>-`
// indicator and the error points at r.yaml:17:20, a line that does not hold
// the pattern. Suggested fix: do not shift when the scalar is a block scalar
// (the character at the node's mark is '|' or '>'), or point at the next line.
TEST_CASE("an invalid regex in a block scalar is reported on the pattern's line") {
  Result r = LoadRules(R"(rules:
  - name: folded
    match: >-
      (\d+) [z-a]
    emit: [{metric: app_sent_bytes_total}]
)");
  CHECK(r.diagnostics.starts_with(At(4, 14) + ": error: rule \"folded\": invalid regex: "));
}

TEST_CASE("a capture name no rule defines is an error listing the captures there are") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<method>\S+) (?P<code>\d+)$'
    emit:
      - metric: app_requests_total
        labels: {method: $method, code: "${status}"}
      - metric: app_sent_bytes_total
        add: $size
)");
  CHECK(r.diagnostics ==
        At(6, 41) +
            ": error: rule \"request\": no capture named \"status\" (its captures: code, "
            "method)\n" +
            At(8, 14) +
            ": error: rule \"request\": no capture named \"size\" (its captures: code, "
            "method)\n");  // no "never used" warnings on top of a rule's errors
  CHECK(r.files.rule_set == nullptr);
}

TEST_CASE("a regex without named captures says so when a capture is referenced") {
  Result r = LoadRules(R"(rules:
  - name: plain
    match: '^(\d+)$'
    emit:
      - metric: app_sent_bytes_total
        add: $1
)");
  CHECK(r.diagnostics ==
        At(6, 14) + ": error: rule \"plain\": no capture named \"1\" (its captures: none)\n");
}

TEST_CASE("an unused capture is a warning at the pattern, and the rules still load") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<method>\S+) (?P<path>\S+) (?P<code>\d+)$'
    emit:
      - metric: app_requests_total
        labels: {method: $method, code: $code}
)");
  CHECK(r.diagnostics ==
        At(3, 12) + ": warning: rule \"request\": capture \"path\" is never used\n");
  CHECK(r.errors == 0);
  CHECK(r.warnings == 1);
  CHECK(r.files.rule_set != nullptr);
}

TEST_CASE("a capture used only inside a label template counts as used") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<a>\S+) (?P<b>\S+)$'
    emit:
      - metric: app_requests_total
        labels: {method: "${a}-${b}", code: x}
)");
  CHECK(r.diagnostics == "");
}

// BUG (diagnostics): RuleCompiler::Compile warns about captures that no
// successfully compiled emit used; when an emit fails early (here: an unknown
// family, before its labels are compiled) the captures it does use are
// reported as "never used", a misleading second message. Suggested fix: skip
// the unused-capture warnings for a rule that had errors, or collect the
// capture names of every emit before checking families.
TEST_CASE("an emit with an error does not make the captures it uses look unused") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<code>\d+)$'
    emit:
      - metric: app_responses_total
        labels: {code: $code}
)");
  CHECK(r.diagnostics ==
        At(5, 17) +
            ": error: rule \"request\": unknown metric family \"app_responses_total\" "
            "(did you mean \"app_requests_total\"?)\n");
  CHECK(r.warnings == 0);
}

TEST_CASE("an unknown family is an error at the metric name") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: 'x'
    emit:
      - metric: app_request_total
)");
  CHECK(r.diagnostics ==
        At(5, 17) +
            ": error: rule \"request\": unknown metric family \"app_request_total\" "
            "(did you mean \"app_requests_total\"?)\n");
  CHECK(r.files.rule_set == nullptr);
}

// BUG (diagnostics): a family whose declaration has an error is left out of
// the schema, so every rule that writes it also gets "unknown metric family
// ... (declare it in the "metrics" section of a rule file)", telling the user
// to declare a family they did declare. Suggested fix: in LoadFamilies,
// remember the names of families rejected for errors (e.g. in the Schema) and
// have CompileEmit skip the unknown-family error for them.
TEST_CASE(
    "a rule writing a family whose declaration has an error gets no second, misleading "
    "error") {
  Result r = LoadFiles({{"r.yaml", R"(metrics:
  - {name: app_errors, type: counter, help: Errors.}
rules:
  - name: error
    match: 'ERROR'
    emit:
      - metric: app_errors
)"}},
                       {"r.yaml"});
  CHECK(r.diagnostics == "r.yaml:2:12: error: counter \"app_errors\" must end in \"_total\"\n");
}

TEST_CASE("labels must be exactly the family's: a missing one and an extra one are errors") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: '^(?P<method>\S+) (?P<code>\d+)$'
    emit:
      - metric: app_requests_total
        labels: {method: $method, status: $code}
      - metric: app_requests_total
)");
  CHECK(ErrorsOnly(r) ==
        At(6, 35) +
            ": error: rule \"request\": \"app_requests_total\" has no label \"status\" "
            "(its labels: method, code)\n" +
            At(6, 17) +
            ": error: rule \"request\": label \"code\" of \"app_requests_total\" is not "
            "set\n" +
            At(7, 9) +
            ": error: rule \"request\": label \"method\" of \"app_requests_total\" is not "
            "set\n" +
            At(7, 9) +
            ": error: rule \"request\": label \"code\" of \"app_requests_total\" is not "
            "set\n");
}

TEST_CASE("a label on a family without labels is an error saying it has none") {
  Result r = LoadRules(R"(rules:
  - name: sent
    match: '(?P<n>\d+)'
    emit:
      - {metric: app_sent_bytes_total, add: $n, labels: {host: x}}
)");
  CHECK(r.diagnostics == At(5, 58) +
                             ": error: rule \"sent\": \"app_sent_bytes_total\" has no "
                             "label \"host\" (its labels: none)\n");
}

TEST_CASE("an emit's operation must fit the family's type") {
  Result r = LoadRules(R"(rules:
  - name: r
    match: '(?P<n>\d+)'
    emit:
      - {metric: app_sent_bytes_total, observe: $n}
      - {metric: app_duration_seconds, add: $n}
      - {metric: app_duration_seconds}
      - {metric: app_queue_length}
      - {metric: app_queue_length, set: $n}
)");
  CHECK(r.diagnostics ==
        At(5, 49) +
            ": error: rule \"r\": \"observe\" does not fit counter "
            "\"app_sent_bytes_total\" (use inc, add or set)\n" +
            At(6, 45) +
            ": error: rule \"r\": \"add\" does not fit histogram "
            "\"app_duration_seconds\" (histograms take observe)\n" +
            At(7, 9) +
            ": error: rule \"r\": emit into histogram \"app_duration_seconds\" needs "
            "observe\n" +
            At(8, 9) +
            ": error: rule \"r\": emit into gauge \"app_queue_length\" needs set, add or "
            "inc\n");
}

TEST_CASE("an emit takes one operation and a number or a capture as its value") {
  Result r = LoadRules(R"(rules:
  - name: r
    match: '(?P<n>\d+)'
    emit:
      - {metric: app_queue_length, set: $n, add: 1}
      - {metric: app_queue_length, set: lots}
      - {metric: app_sent_bytes_total, add: $n}
)");
  CHECK(r.diagnostics ==
        At(5, 41) +
            ": error: rule \"r\": an emit takes one of inc, add, set or observe, not both "
            "\"add\" and \"set\"\n" +
            At(6, 41) +
            ": error: rule \"r\": unknown name \"lots\" (a capture is written $lots, text in "
            "quotes)\n");
}

TEST_CASE("a unit of another dimension, or an unknown unit, is an error at the unit") {
  Result r = LoadRules(R"(rules:
  - name: r
    match: '(?P<n>\d+)'
    emit:
      - {metric: app_sent_bytes_total, add: $n, unit: ms}
      - {metric: app_duration_seconds, observe: $n, unit: KiB}
      - {metric: app_queue_length, set: $n, unit: s}
      - {metric: app_duration_seconds, observe: $n, unit: fortnights}
)");
  CHECK(r.diagnostics ==
        At(5, 55) +
            ": error: rule \"r\": a value in \"ms\" cannot convert into "
            "\"app_sent_bytes_total\", which is in bytes\n" +
            At(6, 59) +
            ": error: rule \"r\": a value in \"KiB\" cannot convert into "
            "\"app_duration_seconds\", which is in seconds\n" +
            At(7, 51) +
            ": error: rule \"r\": a value in \"s\" cannot convert into "
            "\"app_queue_length\", which is in no unit\n" +
            At(8, 59) +
            ": error: rule \"r\": unknown unit \"fortnights\" (known: seconds, s, ns, "
            "us, \xC2\xB5s, ms, m, min, h, bytes, B, kB, KB, MB, GB, KiB, MiB, GiB, ratio, "
            "percent, %)\n");
}

TEST_CASE("a rule name used twice in a file is an error naming the first") {
  Result r = LoadRules(R"(rules:
  - name: request
    match: a
    emit: [{metric: app_sent_bytes_total}]
  - name: other
    match: b
    emit: [{metric: app_sent_bytes_total}]
  - name: request
    match: c
    emit: [{metric: app_sent_bytes_total}]
)");
  CHECK(r.diagnostics ==
        At(8, 5) + ": error: rule \"request\" is defined twice (first at " + At(2, 5) + ")\n");
  CHECK(r.files.rule_set == nullptr);
}

TEST_CASE("unknown keys in a rule file, a rule and an emit are errors with suggestions") {
  Result r = LoadRules(R"(rules:
  - name: r
    mach: a
    match: a
    continue: true
    emit:
      - {metric: app_queue_length, set: 1, lables: {}}
      - {metric: app_queue_length, set: 1, colour: blue}
test: []
)");
  CHECK(r.diagnostics ==
        At(9, 1) + ": error: unknown key \"test\" in rule file (did you mean \"tests\"?)\n" +
            At(3, 5) + ": error: unknown key \"mach\" in rule (did you mean \"match\"?)\n" +
            At(7, 44) +
            ": error: unknown key \"lables\" in rule \"r\" emit (did you mean "
            "\"labels\"?)\n" +
            At(8, 44) + ": error: unknown key \"colour\" in rule \"r\" emit\n");
}

TEST_CASE("label templates need a capture name after '$' and a closing brace") {
  Result r = LoadRules(R"(rules:
  - name: r
    match: '(?P<m>\S+) (?P<c>\d+)'
    emit:
      - {metric: app_requests_total, labels: {method: "cost $", code: "${c"}}
)");
  CHECK(ErrorsOnly(r) ==
        At(5, 55) +
            ": error: rule \"r\": \"$\" must be followed by a capture name (write \"$$\" "
            "for a literal \"$\") in \"cost $\"\n" +
            At(5, 71) + ": error: rule \"r\": unclosed \"${\" in \"${c\"\n");
}

TEST_CASE("rule files of one source naming different parsers are an error") {
  const std::string rules =
      std::string(kFamilies) +
      "rules:\n  - {name: a, match: a, emit: [{metric: app_sent_bytes_total}]}\n";
  Result r =
      LoadFiles({{"a.yaml", "parser: line\n" + rules}, {"b.yaml", "parser: text\nrules: []\n"}},
                {"a.yaml", "b.yaml"});
  CHECK(r.diagnostics ==
        "b.yaml:1:9: error: rule file is for parser \"text\", but a.yaml:1:9 is for \"line\"; "
        "one source has one parser\n");
  CHECK(r.files.parser.has_value());
  CHECK(r.files.parser->info->name == "line");

  Result unknown = LoadFiles({{"r.yaml", "parser: jsn\n" + rules}}, {"r.yaml"});
  CHECK(unknown.diagnostics.starts_with("r.yaml:1:9: error: unknown parser \"jsn\" (known: line"));
}

TEST_CASE("missing, unreadable and structurally wrong rule files are reported") {
  Result missing = LoadFiles({}, {"nope.yaml"});
  CHECK(missing.diagnostics == "nope.yaml: error: cannot read file: No such file or directory\n");
  CHECK(missing.files.rule_set == nullptr);

  Result no_rules = LoadFiles({{"r.yaml", kFamilies}}, {"r.yaml"});
  CHECK(no_rules.diagnostics == "r.yaml:1:1: error: rule file is missing required key \"rules\"\n");

  Result not_list = LoadRules("rules: {a: 1}\n");
  CHECK(not_list.diagnostics == At(1, 8) + ": error: \"rules\" must be a list\n");

  Result missing_schema =
      LoadFiles({{"r.yaml", "schema: [schema/http.yaml]\nrules: []\n"}}, {"r.yaml"});
  CHECK(missing_schema.diagnostics ==
        "schema/http.yaml: error: cannot read file: No such file or directory\n");
}

TEST_CASE("a rule is missing its name, match or emit") {
  Result r = LoadRules(R"(rules:
  - match: a
    emit: [{metric: app_sent_bytes_total}]
  - name: b
    emit: [{metric: app_sent_bytes_total}]
  - name: c
    match: c
)");
  CHECK(r.diagnostics == At(2, 5) + ": error: rule is missing required key \"name\"\n" + At(4, 5) +
                             ": error: rule is missing required key \"match\"\n" + At(6, 5) +
                             ": error: rule is missing required key \"emit\"\n");
}

TEST_CASE("several errors in several files are all reported, in file order") {
  Result r = LoadFiles({{"a.yaml", std::string(kFamilies) + R"(rules:
  - name: a
    match: '(?P<n>\d+'
    emit: [{metric: app_sent_bytes_total, add: $n}]
  - name: b
    match: x
    emit: [{metric: nope_total}]
)"},
                        {"b.yaml", R"(metrics:
  - {name: b_things, type: counter, help: B.}
rules:
  - name: c
    match: y
    emit: [{metric: app_queue_length, observe: 1}]
)"}},
                       {"a.yaml", "b.yaml"});
  CHECK(r.diagnostics ==
        "b.yaml:2:12: error: counter \"b_things\" must end in \"_total\"\n"
        "a.yaml:17:13: error: rule \"a\": invalid regex: missing ): (?P<n>\\d+\n"
        "a.yaml:21:21: error: rule \"b\": unknown metric family \"nope_total\" (declare it in a "
        "schema file or the \"metrics\" section)\n"
        "b.yaml:6:48: error: rule \"c\": \"observe\" does not fit gauge \"app_queue_length\" (use "
        "inc, add or set)\n");
  CHECK(r.errors == 4);
  CHECK(r.files.rule_set == nullptr);
}

TEST_CASE("tests must be a list of mappings with input and expect") {
  Result r = LoadRules(R"(rules:
  - {name: a, match: a, emit: [{metric: app_sent_bytes_total}]}
tests:
  - input: "a"
  - name: no expect
    input: "a"
    expected: "x"
)");
  CHECK(r.diagnostics ==
        At(4, 5) + ": error: test is missing required key \"expect\"\n" + At(5, 5) +
            ": error: test is missing required key \"expect\"\n" + At(7, 5) +
            ": error: unknown key \"expected\" in test (did you mean \"expect\"?)\n");
}

TEST_CASE("a test without a name is named by its number") {
  Result r = LoadRules(R"(rules:
  - {name: a, match: a, emit: [{metric: app_sent_bytes_total}]}
tests:
  - {name: first, input: a, expect: ""}
  - {input: a, expect: ""}
)");
  CHECK(r.diagnostics == "");
  REQUIRE(r.files.tests.size() == 2);
  CHECK(r.files.tests[1].name == "test 2");
  CHECK_FALSE(r.files.tests[1].unmatched.has_value());
}

TEST_CASE("the shipped nginx rule file loads without a diagnostic") {
  Schema schema;
  Diagnostics diags;
  RuleFiles files = LoadRuleFiles(
      {std::string(METRICS_ADAPTER_SOURCE_DIR) + "/rules/library/nginx/combined_request_time.yaml"},
      schema, diags);
  CHECK(diags.Format() == "");
  CHECK(files.rule_set != nullptr);
  CHECK_FALSE(files.tests.empty());
}

}  // namespace
}  // namespace metrics_adapter

namespace metrics_adapter {
namespace {

TEST_CASE("a rule that an earlier rule always shadows is an error naming both") {
  const std::string families =
      "metrics:\n  - {name: app_events_total, type: counter, help: Events., labels: []}\n";
  Result r = LoadFiles({{"r.yaml", families + R"(rules:
  - {name: all, match: '.*', emit: [{metric: app_events_total}]}
  - {name: later, match: '^GET', emit: [{metric: app_events_total}]}
  - {name: same_a, match: 'x', continue: true, emit: [{metric: app_events_total}]}
)"}},
                       {"r.yaml"});
  CHECK(r.diagnostics ==
        "r.yaml:5:5: error: rule \"later\" can never match: rule \"all\" at r.yaml:4:5 matches "
        "every record it would, and stops there (give that rule `continue: true`, or reorder "
        "them)\n"
        "r.yaml:6:5: error: rule \"same_a\" can never match: rule \"all\" at r.yaml:4:5 matches "
        "every record it would, and stops there (give that rule `continue: true`, or reorder "
        "them)\n");

  Result fine = LoadFiles({{"r.yaml", families + R"(rules:
  - {name: a, match: 'x', continue: true, emit: [{metric: app_events_total}]}
  - {name: b, match: 'x', emit: [{metric: app_events_total}]}
  - {name: c, match: '.*', match_labels: {type: c}, emit: [{metric: app_events_total}]}
  - {name: d, match: 'y', emit: [{metric: app_events_total}]}
)"}},
                          {"r.yaml"});
  CHECK(fine.diagnostics == "");
}

}  // namespace
}  // namespace metrics_adapter
