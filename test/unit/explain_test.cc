#include "adapter/pipeline/explain.h"

#include <doctest/doctest.h>

#include <string>

#include "rules/rule_loader.h"

namespace metrics_adapter {
namespace {

const char* kNginxRules =
    METRICS_ADAPTER_SOURCE_DIR "/rules/library/nginx/combined_request_time.yaml";

struct Loaded {
  Schema schema;
  std::shared_ptr<const RuleSet> rules;
};

Loaded LoadNginx() {
  Loaded loaded;
  Diagnostics diags;
  loaded.rules = LoadRuleFiles({kNginxRules}, loaded.schema, diags).rule_set;
  REQUIRE(loaded.rules != nullptr);
  return loaded;
}

TEST_CASE("Explain shows the matching rule's captures and its updates in base units") {
  Loaded nginx = LoadNginx();
  const std::string report = Explain(
      *nginx.rules, nginx.schema,
      Record{
          R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "PROPFIND /a HTTP/1.1" 405 12 "-" "c" 0.25)"});
  CHECK(report.find("rule \"request\" (") != std::string::npos);
  CHECK(report.find("): matched\n  $method = \"PROPFIND\"\n  $status = \"405\"\n"
                    "  $bytes = \"12\"\n  $request_time = \"0.25\"\n") != std::string::npos);
  // The schema's bound on the method shows in the update, not in the capture.
  CHECK(report.find("  http_server_requests_total{http_request_method=\"_OTHER\","
                    "http_response_status_code=\"405\"} inc 1\n") != std::string::npos);
  CHECK(report.find("observe 0.25 seconds\n") != std::string::npos);
  CHECK(report.find("rule \"request_without_method\"") != std::string::npos);
  CHECK(report.find("not tried: an earlier rule matched") != std::string::npos);
}

TEST_CASE("Explain says where a pattern stops matching") {
  Loaded nginx = LoadNginx();
  const std::string line =
      R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 x "-" "c" 0.004)";
  const std::string report = Explain(*nginx.rules, nginx.schema, Record{line});
  CHECK(report.find("matched\n") == std::string::npos);
  const std::string offset = std::to_string(line.find(" x \"-\""));
  CHECK(report.find("no match\n  the pattern matches up to and including (?P<status>...), then "
                    "fails at offset " +
                    offset + ": \" x \\\"-\\\" \\\"c\\\" 0.004\"\n") != std::string::npos);
}

TEST_CASE("Explain shows a rule's regex with its named patterns expanded") {
  Loaded loaded;
  Diagnostics diags;
  loaded.rules = LoadRuleFiles({METRICS_ADAPTER_SOURCE_DIR "/test/bench/nginx_named_patterns.yaml"},
                               loaded.schema, diags)
                     .rule_set;
  REQUIRE(loaded.rules != nullptr);
  const std::string report = Explain(
      *loaded.rules, loaded.schema,
      Record{R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 12 "-" "c" 0.25)"});
  CHECK(report.find("rule \"request\" (") != std::string::npos);
  CHECK(report.find("): its named patterns expanded:\n  ^(?:\\S+) (?:\\S+) (?:\\S+) \\[") !=
        std::string::npos);
  CHECK(report.find(" (?:(?P<bytes>[0-9]+)|-) ") != std::string::npos);
  CHECK(report.find("\n  matched\n  $method = \"GET\"\n") != std::string::npos);
}

TEST_CASE("FindPartialMatch stops at the first group whose prefix fails") {
  RE2 regex("^(?P<a>x+)-(?P<b>y+)-(?P<c>z+)$", RuleRegexOptions());
  PartialMatch partial = FindPartialMatch(regex, "xx-yy-!!");
  CHECK(partial.last_group == "b");
  CHECK(partial.matched_up_to == 5);
  CHECK(FindPartialMatch(regex, "!!").last_group.empty());
}

TEST_CASE("FindPartialMatch ignores groups nested in others and parentheses in classes") {
  RE2 regex(R"(^(?P<outer>a(?P<inner>b)c)[(]\)(?P<last>d)$)", RuleRegexOptions());
  PartialMatch partial = FindPartialMatch(regex, "abc()e");
  CHECK(partial.last_group == "outer");
  CHECK(partial.matched_up_to == 3);
}

}  // namespace
}  // namespace metrics_adapter
