// RunRuleTests: the report of `metrics-adapter test`, for passing and failing
// tests, files that do not load and files without tests.
#include "adapter/cli/rule_tests.h"
#include "test/unit/temp_dir.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr const char* kRules = R"(metrics:
  - name: app_requests_total
    type: counter
    help: Requests.
    labels: [code]
  - name: app_duration_seconds
    type: histogram
    help: Durations.
    labels: [code]
    buckets: [0.1, 1]
rules:
  - name: request
    match: '^code=(?P<code>\d+) ms=(?P<ms>\d+)$'
    emit:
      - metric: app_requests_total
        labels: {code: $code}
      - metric: app_duration_seconds
        observe: $ms
        unit: ms
        labels: {code: $code}
)";
// kRules has 20 lines; "tests:" is line 21 and the first test starts on line 22.

struct Report {
  int failures;
  std::string text;  // with "<tmp>/" removed
};

Report Run(const TempDir& dir, const std::vector<std::string>& names) {
  std::vector<std::string> paths;
  for (const std::string& name : names) paths.push_back(dir.path() + "/" + name);
  std::ostringstream out;
  Report report;
  report.failures = RunRuleTests(paths, out);
  report.text = out.str();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = report.text.find(prefix)) != std::string::npos;) {
    report.text.erase(at, prefix.size());
  }
  return report;
}

TEST_CASE("RunRuleTests reports every passing test and the totals") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kRules) + R"(tests:
  - name: two requests
    input: |
      code=200 ms=50
      code=200 ms=500
      junk
    unmatched: 1
    expect: |
      # Only the series named here are checked.
      app_requests_total{code="200"} 2
      app_duration_seconds_bucket{code="200",le="0.1"} 1
      app_duration_seconds_bucket{le="1",code="200"} 2
      app_duration_seconds_sum{code="200"} 0.55
      app_duration_seconds_count{code="200"} 2
  - input: "code=404 ms=1"
    expect: 'app_requests_total{code="404"} 1'
)");
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.failures == 0);
  CHECK(report.text ==
        "ok   r.yaml:22:5: two requests\n"
        "ok   r.yaml:35:5: test 2\n"
        "2 passed, 0 failed\n");
}

TEST_CASE("RunRuleTests shows the expected and actual line of each failing series") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kRules) + R"(tests:
  - name: wrong counts
    input: |
      code=200 ms=50
      code=500 ms=5
    unmatched: 1
    expect: |
      app_requests_total{code="200"} 3
      app_requests_total{code="404"} 1
      app_duration_seconds_count{code="500"} 1
      not a sample line
  - name: right
    input: "code=200 ms=1"
    expect: 'app_requests_total{code="200"} 1'
)");
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.failures == 1);
  CHECK(report.text ==
        "FAIL r.yaml:22:5: wrong counts\n"
        "  --- expected\n"
        "  +++ actual\n"
        "  -unmatched lines: 1\n"
        "  +unmatched lines: 0\n"
        "  -app_requests_total{code=\"200\"} 3\n"
        "  +app_requests_total{code=\"200\"} 1\n"
        "  -app_requests_total{code=\"404\"} 1\n"
        "  +(no such series)\n"
        "  cannot read expected line: not a sample line\n"
        // a name the test mentions may have no series it does not list
        "  +app_duration_seconds_count{code=\"200\"} 1   (not in expect)\n"
        "  +app_requests_total{code=\"500\"} 1   (not in expect)\n"
        "ok   r.yaml:32:5: right\n"
        "1 passed, 1 failed\n");
}

TEST_CASE("RunRuleTests compares values with a relative tolerance for floating-point sums") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kRules) + R"(tests:
  - name: sums of decimals
    input: |
      code=200 ms=100
      code=200 ms=200
    expect: |
      app_duration_seconds_sum{code="200"} 0.3
)");
  // 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.failures == 0);
  CHECK(report.text == "ok   r.yaml:22:5: sums of decimals\n1 passed, 0 failed\n");
}

// BUG (diagnostics): adapter/cli/rule_tests.cc FormatValue prints values with 17
// significant digits, so an expected 0.3 shows in the diff as
// "0.29999999999999999" and a sum of 0.1 + 0.2 as "0.30000000000000004":
// not what the user wrote, and noisy to compare by eye. Suggested fix: print
// the shortest text that reads back to the same double (std::to_chars
// without a precision).
TEST_CASE("a failing test shows expected and actual values as short as they read") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kRules) + R"(tests:
  - name: sum off
    input: |
      code=200 ms=100
      code=200 ms=200
    expect: |
      app_duration_seconds_sum{code="200"} 0.4
)");
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.text ==
        "FAIL r.yaml:22:5: sum off\n"
        "  --- expected\n"
        "  +++ actual\n"
        "  -app_duration_seconds_sum{code=\"200\"} 0.4\n"
        "  +app_duration_seconds_sum{code=\"200\"} 0.3\n"
        "0 passed, 1 failed\n");
}

TEST_CASE("RunRuleTests counts a rule file that does not load as a failure, with its errors") {
  TempDir dir;
  dir.Write("bad.yaml", R"(rules:
  - name: r
    match: '(x'
    emit: [{metric: nope_total}]
tests:
  - {input: x, expect: ""}
)");
  Report report = Run(dir, {"bad.yaml"});
  CHECK(report.failures == 1);
  CHECK(report.text ==
        "bad.yaml:3:13: error: rule \"r\": invalid regex: missing ): (x\n"
        "FAIL bad.yaml: rule file does not load\n"
        "0 passed, 1 failed\n");
}

TEST_CASE("RunRuleTests counts a rule file without tests as a failure") {
  TempDir dir;
  dir.Write("untested.yaml", kRules);
  Report report = Run(dir, {"untested.yaml"});
  CHECK(report.failures == 1);
  CHECK(report.text ==
        "FAIL untested.yaml: no tests (every rule file needs at least one)\n"
        "0 passed, 1 failed\n");
}

TEST_CASE("RunRuleTests runs several files, each with a fresh schema and store") {
  TempDir dir;
  const std::string test = R"(tests:
  - name: one request
    input: "code=200 ms=1"
    expect: 'app_requests_total{code="200"} 1'
)";
  dir.Write("a.yaml", std::string(kRules) + test);
  dir.Write("b.yaml", std::string(kRules) + test);
  Report report = Run(dir, {"a.yaml", "missing.yaml", "b.yaml"});
  CHECK(report.failures == 1);
  CHECK(report.text ==
        "ok   a.yaml:22:5: one request\n"
        "missing.yaml: error: cannot read file: No such file or directory\n"
        "FAIL missing.yaml: rule file does not load\n"
        "ok   b.yaml:22:5: one request\n"
        "2 passed, 1 failed\n");
}

TEST_CASE("the shipped nginx rule file passes its own tests") {
  std::ostringstream out;
  const int failures = RunRuleTests(
      {std::string(METRICS_ADAPTER_SOURCE_DIR) + "/rules/library/nginx/combined_request_time.yaml"},
      out);
  CHECK(failures == 0);
  CHECK(out.str().ends_with(" passed, 0 failed\n"));
  CHECK(out.str().find("FAIL") == std::string::npos);
}

constexpr const char* kTraceRules = R"(metrics:
  - name: app_errors_total
    type: counter
    help: Errors with a stack trace.
    labels: [code]
rules:
  - name: error with trace
    match: '^code=(?P<code>\d+)\n  at '
    emit:
      - metric: app_errors_total
        labels: {code: $code}
)";
// kTraceRules has 11 lines; "tests:" is line 12 and the first test starts on line 13.

TEST_CASE("a test with multiline joins its input into records as a file source would") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kTraceRules) + R"(tests:
  - name: start
    multiline: {start: '^code='}
    input: |
      code=200
        at x
        at y
      code=500
      code=404
        at z
    unmatched: 1
    expect: |
      app_errors_total{code="200"} 1
      app_errors_total{code="404"} 1
  - name: continue
    multiline: {continue: '^  ', max_lines: 2}
    input: |2
        at orphan
      code=200
        at x
        at y
      code=404
        at z
    unmatched: 1
    expect: |
      app_errors_total{code="200"} 1
      app_errors_total{code="404"} 1
  - name: without multiline every line is a record of its own
    input: |
      code=200
        at x
    unmatched: 2
    expect: ""
)");
  // "continue": the orphan line begins a record of its own (unmatched); the
  // record of code=200 is cut at its two lines, "  at y" skipped.
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.failures == 0);
  CHECK(report.text ==
        "ok   r.yaml:13:5: start\n"
        "ok   r.yaml:26:5: continue\n"
        "ok   r.yaml:39:5: without multiline every line is a record of its own\n"
        "3 passed, 0 failed\n");
}

TEST_CASE("a test whose multiline block does not read fails with each problem's position") {
  TempDir dir;
  dir.Write("r.yaml", std::string(kTraceRules) + R"(tests:
  - name: bad regex
    multiline: {start: '(x', max_line: 3}
    input: "code=200"
    expect: ""
  - name: both
    multiline: {start: '^c', continue: '^ '}
    input: "code=200"
    expect: ""
)");
  Report report = Run(dir, {"r.yaml"});
  CHECK(report.failures == 2);
  CHECK(report.text ==
        "FAIL r.yaml:13:5: bad regex\n"
        "  --- expected\n"
        "  +++ actual\n"
        "  r.yaml:14:24: error: \"start\": invalid regex: missing ): (x\n"
        "  r.yaml:14:30: error: unknown key \"max_line\" in \"multiline\" (did you mean "
        "\"max_lines\"?)\n"
        "FAIL r.yaml:17:5: both\n"
        "  --- expected\n"
        "  +++ actual\n"
        "  r.yaml:18:40: error: \"multiline\" needs exactly one of \"start\" and \"continue\"\n"
        "0 passed, 2 failed\n");
}

}  // namespace
}  // namespace metrics_adapter
