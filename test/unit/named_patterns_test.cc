// Named patterns: what each pattern of the shipped library accepts and
// refuses (matched whole, as ^%{NAME}$), how %{...} expands, and what the
// rule loader reports for unknown names, cycles and capture conflicts.
#include "rules/named_patterns.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

#include "rules/rule_loader.h"
#include "rules/rule_set.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// `text` matched whole by the shipped pattern `name`, as rule regexes are
// compiled.
bool Accepts(const std::string& name, const std::string& text) {
  std::vector<PatternError> errors;
  std::optional<Expansion> expansion =
      PatternLibrary::Shipped().Expand("^%{" + name + "}$", errors);
  REQUIRE(expansion.has_value());
  RE2 regex(expansion->regex, RuleRegexOptions());
  REQUIRE(regex.ok());
  return RE2::FullMatch(text, regex);
}

struct Case {
  const char* pattern;
  std::vector<std::string> accepts;
  std::vector<std::string> refuses;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"INT", {"0", "42", "-7", "+12"}, {"", "1.5", "x", "1 2"}},
      {"POSINT", {"1", "200"}, {"0", "-1", "012"}},
      {"NONNEGINT", {"0", "012"}, {"-1", ""}},
      {"BASE10NUM", {"1", "-1.5", ".5", "3.", "+0.25"}, {"", ".", "1e3", "0x10"}},
      {"NUMBER", {"0.004", "512"}, {"-", "abc"}},
      {"BASE16NUM", {"0x1F", "ff", "-0X10"}, {"0xg", ""}},
      {"WORD", {"GET", "foo_bar1"}, {"foo-bar", "a b", ""}},
      {"NOTSPACE", {"/a?b=c", "-"}, {"a b", ""}},
      {"DATA", {"", "anything at all"}, {}},
      {"GREEDYDATA", {"", "x y z"}, {}},
      {"QUOTEDSTRING",
       {R"("")", R"("a b")", R"("say \"hi\"")", R"("nginx \x22escapes\x22")", "'single'", "`tick`"},
       {R"("open)", R"("a" "b")", R"("trailing\")", "plain"}},
      {"QS", {R"x("Mozilla/5.0 (X11)")x"}, {"Mozilla"}},
      {"UUID", {"123e4567-e89b-12d3-a456-426614174000"}, {"123e4567e89b12d3a456426614174000"}},
      {"USERNAME", {"alice", "a.b-c_d"}, {"a b", ""}},
      {"EMAILADDRESS", {"a.b+c@example.com"}, {"@example.com", "a@"}},
      {"IPV4", {"10.0.0.1", "255.255.255.255", "0.0.0.0"}, {"256.1.1.1", "1.2.3", "1.2.3.4.5"}},
      {"IPV6",
       {"2001:db8::1", "::1", "::", "fe80::1%eth0", "2001:db8:0:0:0:0:0:1", "::ffff:10.0.0.1",
        "64:ff9b::192.0.2.33"},
       {"2001:db8:::1", "1:2:3:4:5:6:7:8:9", "10.0.0.1", "g::1"}},
      {"IP", {"10.0.0.1", "2001:db8::1"}, {"example.com"}},
      {"HOSTNAME", {"example.com", "a-b.c", "localhost", "www.example.com."}, {"-a.com", "a..b"}},
      {"IPORHOST", {"10.0.0.1", "::1", "web-1.internal"}, {"a b", "-"}},
      {"HOSTPORT", {"10.0.0.1:8080", "example.com:80"}, {"example.com", "example.com:x"}},
      {"UNIXPATH", {"/", "/var/log/nginx/access.log", "/a.b/c-d"}, {"relative/path", "/a b", ""}},
      {"WINPATH", {R"(C:\Windows\system32)", R"(\\server\share)"}, {"/unix"}},
      {"PATH", {"/srv/www", R"(D:\logs)"}, {"logs"}},
      {"URIPATH", {"/", "/api/items/7", "/a%20b"}, {"api", "/a b"}},
      {"URIPARAM", {"?", "?id=1&x=[2]"}, {"id=1", "?a b"}},
      {"URIPATHPARAM", {"/api?id=1", "/index.html"}, {"?id=1"}},
      {"URI",
       {"https://example.com/a?b=c", "http://user:pw@10.0.0.1:8080/", "ftp://host"},
       {"example.com/a", "://x"}},
      {"MONTH", {"Nov", "November", "jan", "Sep"}, {"Nov.", "Foo", "11"}},
      {"MONTHNUM", {"1", "09", "12"}, {"13", "0"}},
      {"MONTHDAY", {"1", "09", "31"}, {"32", "00"}},
      {"DAY", {"Mon", "Thursday"}, {"Mo"}},
      {"YEAR", {"26", "2026"}, {"202", "20261"}},
      {"TIME", {"10:00:00", "23:59:60", "09:05:07.123"}, {"24:00:00", "10:00", "10:60:00"}},
      {"TIMESTAMP_ISO8601",
       {"2026-11-25T10:00:00Z", "2026-11-25 10:00:00", "2026-11-25T10:00:00.123+01:00",
        "2026-11-25T10:00"},
       {"2026-13-25T10:00:00Z", "25/Nov/2026:10:00:00 +0000", "2026-11-25"}},
      {"HTTPDATE",
       {"25/Nov/2026:10:00:00 +0000", "01/Jan/1999:23:59:59 -0130"},
       {"25/Nov/2026 10:00:00 +0000", "25/11/2026:10:00:00 +0000", "25/Nov/2026:10:00:00"}},
      {"SYSLOGTIMESTAMP", {"Nov 25 10:00:00", "Nov  5 10:00:00"}, {"2026-11-25 10:00:00"}},
      {"LOGLEVEL",
       {"INFO", "info", "Warning", "WARN", "error", "ERR", "CRITICAL", "debug", "TRACE", "fatal",
        "EMERG", "notice"},
       {"verbose", "inf0", ""}},
      {"COMMONAPACHELOG",
       {R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326)",
        R"(::1 - - [10/Oct/2000:13:55:36 -0700] "-" 408 -)"},
       {R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200)"}},
      {"COMBINEDAPACHELOG",
       {R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8.0")",
        R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512 "-" "a \"quoted\" agent\\")"},
       {R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 512)"}},
      {"NGINXCOMBINED",
       {R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 6 "-" "curl/8.0")",
        R"(127.0.0.1 - bob smith [25/Nov/2026:15:37:02 +0000] "\x16\x03\x01" 400 157 "-" "\x22\x5C\x22")"},
       {R"(10.0.0.1 - - [25/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 6 "-")"}},
  };
  return kCases;
}

TEST_CASE("every shipped pattern expands and compiles in RE2") {
  for (const auto& [name, definition] : PatternLibrary::Shipped().definitions()) {
    CAPTURE(name);
    std::vector<PatternError> errors;
    std::optional<Expansion> expansion =
        PatternLibrary::Shipped().Expand("%{" + name + "}", errors);
    REQUIRE(expansion.has_value());
    RE2 regex(expansion->regex, RuleRegexOptions());
    CHECK_MESSAGE(regex.ok(), regex.error());
    CHECK(definition.position.file.starts_with("rules/patterns/"));
  }
}

TEST_CASE("each shipped pattern accepts and refuses what it should") {
  for (const Case& c : Cases()) {
    for (const std::string& text : c.accepts) {
      CAPTURE(c.pattern);
      CAPTURE(text);
      CHECK(Accepts(c.pattern, text));
    }
    for (const std::string& text : c.refuses) {
      CAPTURE(c.pattern);
      CAPTURE(text);
      CHECK_FALSE(Accepts(c.pattern, text));
    }
  }
}

TEST_CASE("the patterns rule writers know from grok are all there") {
  for (const char* name : {"IPV4",
                           "IPV6",
                           "IP",
                           "HOSTNAME",
                           "IPORHOST",
                           "INT",
                           "NUMBER",
                           "BASE10NUM",
                           "POSINT",
                           "WORD",
                           "NOTSPACE",
                           "DATA",
                           "GREEDYDATA",
                           "QUOTEDSTRING",
                           "HTTPDATE",
                           "TIMESTAMP_ISO8601",
                           "SYSLOGTIMESTAMP",
                           "LOGLEVEL",
                           "UUID",
                           "PATH",
                           "URIPATH",
                           "URIPARAM",
                           "URI",
                           "COMMONAPACHELOG",
                           "COMBINEDAPACHELOG",
                           "NGINXCOMBINED"}) {
    CAPTURE(name);
    CHECK(PatternLibrary::Shipped().definitions().contains(name));
  }
}

TEST_CASE("Expand writes groups around each pattern, captures where named") {
  PatternLibrary library;
  Diagnostics diags;
  library.AddText("A a|b\nB %{A}x\nC (?P<inner>c)\n", "p", diags);
  REQUIRE_FALSE(diags.HasErrors());
  std::vector<PatternError> errors;
  std::optional<Expansion> e = library.Expand("^%{A:first} %{B} %{C}$", errors);
  REQUIRE(e.has_value());
  CHECK(e->regex == "^(?P<first>a|b) (?:(?:a|b)x) (?:(?P<inner>c))$");
  CHECK(e->pattern_captures == std::vector<std::string>{"inner"});
  // Escapes and character classes are copied as they are.
  e = library.Expand(R"(\%{A} [%{A}] %%{A})", errors);
  REQUIRE(e.has_value());
  CHECK(e->regex == R"(\%{A} [%{A}] %(?:a|b))");
  CHECK(errors.empty());
}

// The errors of expanding `text` with a library of `definitions`, one a
// line: "offset fragment: message".
std::string ExpandErrors(const std::string& definitions, const std::string& text) {
  PatternLibrary library;
  Diagnostics diags;
  library.AddText(definitions, "p.patterns", diags);
  std::vector<PatternError> errors;
  CHECK_FALSE(library.Expand(text, errors).has_value());
  std::string out;
  for (const PatternError& e : errors) {
    out += std::to_string(e.offset) + " " + e.fragment + ": " + e.message + "\n";
  }
  return out;
}

TEST_CASE("Expand reports unknown names with a suggestion, cycles and malformed references") {
  CHECK(ExpandErrors("NUMBER \\d+\n", "x %{NUMBR:n}") ==
        "2 %{NUMBR: unknown pattern \"NUMBR\" (did you mean \"NUMBER\"?)\n");
  CHECK(ExpandErrors("A %{B}\nB x%{A}\n", "%{A}") ==
        "0 %{A}: patterns use each other in a cycle: A -> B -> A (A is defined at "
        "p.patterns:1:1)\n");
  CHECK(ExpandErrors("A %{NOPE}\n", "ab %{A}") ==
        "3 %{A}: unknown pattern \"NOPE\" in A, defined at p.patterns:1:1\n");
  CHECK(ExpandErrors("A a\n", "%{A") ==
        "0 %{: \"%{\" is not closed by \"}\" (write \"\\%{\" for a literal \"%{\")\n");
  CHECK(ExpandErrors("A a\n", "%{A:1x}") ==
        "0 %{A:1x}: %{A:1x}: a named pattern is %{NAME} or %{NAME:capture} (letters, digits "
        "and '_'; a capture name does not start with a digit)\n");
  CHECK(ExpandErrors("A a\n", "%{A:n:int}") ==
        "0 %{A:n:int}: %{A:n:int}: no type after the capture name is needed (emits read "
        "captures as numbers); write %{A:n}\n");
}

TEST_CASE("Expand refuses a capture name used twice, saying where each comes from") {
  CHECK(ExpandErrors("A a\n", "%{A:x} %{A:x}") ==
        "7 %{A:x}: capture \"x\" is named twice: by %{A:x} and by %{A:x} (a rule's captures "
        "need distinct names)\n");
  CHECK(ExpandErrors("L (?P<bytes>\\d+) (?P<status>\\d+)\n", "%{L} (?P<bytes>\\d+)") ==
        "5 (?P<bytes>...): capture \"bytes\" is named twice: by %{L} and by (?P<bytes>...) (a "
        "rule's captures need distinct names)\n");
}

TEST_CASE("AddText refuses malformed lines and names defined twice") {
  PatternLibrary library;
  Diagnostics diags;
  library.AddText("# comment\n\nGOOD x\nBAD-NAME y\nGOOD z\nLONELY\n", "p.patterns", diags);
  CHECK(diags.Format() ==
        "p.patterns:4:1: error: a pattern definition is NAME (letters, digits, '_'), a space, "
        "then its regex, not \"BAD-NAME y\"\n"
        "p.patterns:5:1: error: pattern \"GOOD\" is defined twice (first at p.patterns:3:1)\n"
        "p.patterns:6:1: error: a pattern definition is NAME (letters, digits, '_'), a space, "
        "then its regex, not \"LONELY\"\n");
}

// Loads rule file r.yaml (and the other `files`) from a fresh directory:
// the diagnostics, with the directory removed from paths.
std::string LoadDiagnostics(const std::vector<std::pair<std::string, std::string>>& files,
                            RuleFiles* loaded = nullptr) {
  TempDir dir;
  for (const auto& [name, text] : files) dir.Write(name, text);
  Schema schema;
  Diagnostics diags;
  RuleFiles result = LoadRuleFiles({dir.path() + "/r.yaml"}, schema, diags);
  if (loaded != nullptr) *loaded = std::move(result);
  std::string out = diags.Format();
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = out.find(prefix)) != std::string::npos;) out.erase(at, prefix.size());
  return out;
}

constexpr const char* kHeader = R"(metrics:
  - {name: app_requests_total, type: counter, help: Requests., labels: [code]}
  - {name: app_bytes_total, type: counter, help: Bytes.}
)";

TEST_CASE("a rule file's match expands named patterns, its own patterns files too") {
  RuleFiles loaded;
  const std::string diagnostics =
      LoadDiagnostics({{"r.yaml", std::string(kHeader) + R"(patterns: [my/app.patterns]
rules:
  - name: request
    match: '^%{COMBINEDAPACHELOG} %{DURATION:ms}$'
    emit:
      - metric: app_requests_total
        labels: {code: $response}
      - metric: app_bytes_total
        add: $bytes
      - metric: app_bytes_total
        add: $ms
)"},
                       {"my/app.patterns", "# mine\nDURATION %{NUMBER}ms\n"}},
                      &loaded);
  // COMBINEDAPACHELOG's own captures need no use; none is reported.
  CHECK(diagnostics == "");
  REQUIRE(loaded.rule_set != nullptr);
  const CompiledRule& rule = loaded.rule_set->rules().at(0);
  CHECK(rule.uses_named_patterns);
  CHECK(rule.regex->pattern().ends_with(
      " (?P<ms>(?:(?:[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)))ms)$"));
  CHECK(loaded.files_read.size() == 2);
}

TEST_CASE("an unknown pattern name is reported where it is in the file, with a suggestion") {
  const std::string diagnostics = LoadDiagnostics({{"r.yaml", std::string(kHeader) + R"(rules:
  - name: request
    match: '^%{IPORHOST:client} %{NUMBR:code}$'
    emit:
      - metric: app_requests_total
        labels: {code: $code}
)"}});
  CHECK(diagnostics ==
        "r.yaml:6:33: error: rule \"request\": unknown pattern \"NUMBR\" (did you mean "
        "\"NUMBER\"?)\n");
}

TEST_CASE("a pattern file of the user's may not redefine a shipped pattern") {
  const std::string diagnostics = LoadDiagnostics(
      {{"r.yaml", std::string(kHeader) + "patterns: [p]\nrules: []\n"}, {"p", "INT \\d+\n"}});
  CHECK(diagnostics ==
        "p:1:1: error: pattern \"INT\" is defined twice (first at "
        "rules/patterns/base.patterns:28:1)\n");
}

}  // namespace
}  // namespace metrics_adapter
