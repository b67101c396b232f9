// The log-format translators: nginx log_format and Apache LogFormat read
// into fields, and the rule file written from them.
#include <doctest/doctest.h>

#include <string>

#include "rules/log_format/apache_log_format.h"
#include "rules/log_format/nginx_log_format.h"
#include "rules/log_format/rule_file_writer.h"

namespace metrics_adapter {
namespace {

std::string NginxRules(const std::string& text, std::string* error) {
  std::optional<LogFormat> format = ParseNginxLogFormat(text, error);
  if (!format) return "";
  return WriteRuleFile(*format, error).value_or("");
}

std::string ApacheRules(const std::string& text, std::string* error) {
  std::optional<LogFormat> format = ParseApacheLogFormat(text, error);
  if (!format) return "";
  return WriteRuleFile(*format, error).value_or("");
}

TEST_CASE("nginx: the directive is read with its name, escaping and joined strings") {
  std::string error;
  std::optional<LogFormat> format = ParseNginxLogFormat(
      "log_format timed escape=json\n  '$remote_addr \"$request\" '\n  \"${status} x\";", &error);
  REQUIRE_MESSAGE(format, error);
  CHECK(format->name == "timed");
  CHECK(format->escaping == Escaping::kBackslash);
  CHECK(format->format == "$remote_addr \"$request\" ${status} x");
  REQUIRE(format->items.size() == 6);
  CHECK(format->items[2].field.role == FieldRole::kRequestLine);
  CHECK(format->items[4].field.role == FieldRole::kStatus);
  CHECK(format->items[4].field.name == "$status");
}

TEST_CASE("nginx: just the format string, standard variables given their roles") {
  std::string error;
  const std::string rules = NginxRules(
      "$remote_addr \"$request\" $status $body_bytes_sent $request_time "
      "$upstream_response_time \"$http_user_agent\" $my_module_var",
      &error);
  REQUIRE_MESSAGE(!rules.empty(), error);
  CHECK(rules.find("(?P<status>\\d{3})") != std::string::npos);
  CHECK(rules.find("(?:(?P<bytes>\\d+)|-)") != std::string::npos);
  CHECK(rules.find("unit: s\n") != std::string::npos);
  // The user agent, between quotes in the default escaping, takes any byte but '"'.
  CHECK(rules.find("\"[^\"]*\"") != std::string::npos);
  // The unknown variable at the end is any text in the fallback rule.
  CHECK(rules.find("name: request_any_text") != std::string::npos);
  // The upstream list's last entry is read, and observed only when not "-".
  CHECK(rules.find(R"((?:(?:\d+(?:\.\d+)?|-)(?:, | : ))*(?:(?P<upstream>\d+(?:\.\d+)?)|-))") !=
        std::string::npos);
  CHECK(rules.find("when: has($upstream)\n        observe: $upstream\n        unit: s\n") !=
        std::string::npos);
  CHECK(rules.find("# Read: $request $status $body_bytes_sent $request_time "
                   "$upstream_response_time\n") != std::string::npos);
}

TEST_CASE("nginx: errors name the column") {
  std::string error;
  CHECK(NginxRules("$status $", &error).empty());
  CHECK(error == "column 9: '$' is not followed by a variable name");
  CHECK(NginxRules("log_format x escape=xml '$status';", &error).empty());
  CHECK(error.find("escape=xml") != std::string::npos);
  CHECK(NginxRules("log_format x '$status", &error).empty());
  CHECK(error.find("never ends") != std::string::npos);
  CHECK(NginxRules("log_format x '$status\\n$request';", &error).empty());
  CHECK(error.find("line break") != std::string::npos);
  CHECK(NginxRules("$remote_addr $request", &error).empty());
  CHECK(error.find("no $status") != std::string::npos);
}

TEST_CASE("apache: directives, modifiers and units") {
  std::string error;
  std::optional<LogFormat> format = ParseApacheLogFormat(
      "LogFormat \"%h %t \\\"%r\\\" %>s %b %{ms}T %400{Referer}i %%\" nick", &error);
  REQUIRE_MESSAGE(format, error);
  CHECK(format->format == "%h %t \"%r\" %>s %b %{ms}T %400{Referer}i %%");
  std::vector<FormatField> fields;
  for (const FormatItem& item : format->items) {
    if (item.is_field()) fields.push_back(item.field);
  }
  REQUIRE(fields.size() == 7);
  CHECK(fields[2].role == FieldRole::kRequestLine);
  CHECK(fields[3].role == FieldRole::kStatus);
  CHECK(fields[4].role == FieldRole::kBodyBytes);
  CHECK(fields[5].role == FieldRole::kDuration);
  CHECK(fields[5].duration_unit == "ms");
  CHECK(fields[6].role == FieldRole::kSkipped);
  CHECK(format->items.back().literal == " %");
}

TEST_CASE("apache: quoted client text takes escaped quotes; errors name the column") {
  std::string error;
  const std::string rules = ApacheRules("%h \"%{User-agent}i\" %s %D", &error);
  REQUIRE_MESSAGE(!rules.empty(), error);
  CHECK(rules.find(R"("(?:[^"\\]|\\.)*")") != std::string::npos);
  CHECK(rules.find("unit: us") != std::string::npos);
  CHECK(ApacheRules("%h %{xx}T %s", &error).empty());
  CHECK(error == "column 4: %{xx}T: httpd times in s, ms or us only");
  CHECK(ApacheRules("%s %{Referer", &error).empty());
  CHECK(error.find("column 4:") == 0);
  CHECK(ApacheRules("%s %", &error).empty());
  CHECK(error.find("column 4:") == 0);
}

TEST_CASE("without a body-bytes field the bytes with headers are counted, and said so") {
  std::string error;
  const std::string rules = NginxRules("$status $bytes_sent", &error);
  REQUIRE_MESSAGE(!rules.empty(), error);
  CHECK(rules.find("$bytes_sent (response bytes with headers) is counted") != std::string::npos);
  CHECK(rules.find("http_request_method: _OTHER") != std::string::npos);
}

}  // namespace
}  // namespace metrics_adapter
