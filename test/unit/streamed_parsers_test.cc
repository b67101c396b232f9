// Every parser on a streamed source (file, udp, tcp_listener): each line is
// given to Parser::ParseStreamLine, a line that does not parse is reported and
// skipped, and the next line reads normally.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

// The records and errors of `lines`, fed one by one to one registered parser
// `name`, as a stream feeds them.
PrintingCollector Stream(std::string_view name, const std::vector<std::string>& lines,
                         const std::map<std::string, std::string>& options = {}) {
  std::unique_ptr<Parser> parser = MakeRegisteredParser(name, options);
  PrintingCollector out;
  for (const std::string& line : lines) parser->ParseStreamLine(line, out);
  return out;
}

using Strings = std::vector<std::string>;

// Strings as one, so that a failed check prints them.
std::string J(const Strings& strings) {
  std::string out;
  for (const std::string& s : strings) out += s + " | ";
  return out;
}

TEST_CASE("json on a stream: one document per line, flattened as a body is") {
  const PrintingCollector out = Stream(
      "json", {R"({"level":"info","http":{"status":200,"duration":0.004},"tags":["a"],"ok":true})",
               R"({"level":"info", "http": {"status": )", R"({"n":null,"e":{}})", "7"});
  // Every record of a line carries every leaf of it as a label; a string
  // leaf also its own `value`.
  const std::string leaves = "http.duration=0.004, http.status=200, level=info, ok=true, tags.0=a";
  CHECK(J(out.records) ==
        J(Strings{"level {" + leaves + ", value=info}", "http.status=200 {" + leaves + "}",
                  "http.duration=0.004 {" + leaves + "}", "tags.0 {" + leaves + ", value=a}",
                  "ok=1 {" + leaves + "}", "=7"}));
  CHECK(J(out.errors) == J(Strings{"invalid_json"}));
}

TEST_CASE("json on a stream labels integers exactly and reuses its buffers line after line") {
  const PrintingCollector out = Stream(
      "json",
      {R"({"id":9007199254740993,"neg":-5,"big":18446744073709551615,"f":1e-7})", R"({"s":"x"})"});
  const std::string leaves = "big=18446744073709551615, f=1e-07, id=9007199254740993, neg=-5";
  CHECK(J(out.records) ==
        J(Strings{"id=9007199254740992 {" + leaves + "}", "neg=-5 {" + leaves + "}",
                  "big=18446744073709551616 {" + leaves + "}", "f=1e-07 {" + leaves + "}",
                  "s {s=x, value=x}"}));
}

TEST_CASE("json on a stream honours its path separator and depth bound") {
  CHECK(J(Stream("json", {R"({"a":{"b":1}})"}, {{"path_separator", "/"}}).records) ==
        J(Strings{"a/b=1 {a/b=1}"}));
  CHECK(J(Stream("json", {std::string(65, '[') + "1" + std::string(65, ']')}).errors) ==
        J(Strings{"too_deep"}));
}

TEST_CASE("json on a stream reads a line's invalid UTF-8 as U+FFFD") {
  // As nginx's escape=json writes a request line holding bytes that are not
  // UTF-8: copied as they are. Invalid in a key too; then a damaged line.
  const PrintingCollector out =
      Stream("json", {"{\"request\":\"GET /\xff\xfe\xc3( HTTP/1.0\",\"status\":404}",
                      "{\"\xc3\":1}", "{\"a\":\"\xff\"", R"({"ok":1})"});
  const std::string request = "request=GET /\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd( HTTP/1.0";
  CHECK(J(out.records) ==
        J(Strings{"request {" + request +
                      ", status=404, value=GET /\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd( HTTP/1.0}",
                  "status=404 {" + request + ", status=404}", "\xef\xbf\xbd=1 {\xef\xbf\xbd=1}",
                  "ok=1 {ok=1}"}));
  CHECK(J(out.errors) == J(Strings{"invalid_json"}));
}

TEST_CASE("logfmt, keyvalue, text and prometheus on a stream read each line alone") {
  CHECK(J(Stream("logfmt", {"a=1 b=x", "=5 c=2"}).records) ==
        J(Strings{"a=1 {a=1, b=x}", "b {a=1, b=x}", "c=2 {c=2}"}));
  const PrintingCollector kv =
      Stream("keyvalue", {"active: 3", "no separator", "# comment", "x:y"});
  CHECK(J(kv.records) == J(Strings{"active=3 {value=3}", "x {value=y}"}));
  CHECK(J(kv.errors) == J(Strings{"missing_separator"}));
  CHECK(J(Stream("text", {"Active connections: 291", ""}).records) ==
        J(Strings{"Active connections: 291", ""}));
  const PrintingCollector prom = Stream("prometheus", {"# TYPE a counter", "a{x=\"1\"} 2", "a{"});
  CHECK(J(prom.records) == J(Strings{"a=2 {x=1}"}));
  CHECK(J(prom.errors) == J(Strings{"bad_sample"}));
}

TEST_CASE("csv on a stream with declared columns: every header line is skipped, rows read") {
  // A file that rotates starts the new file with the header again.
  const PrintingCollector out =
      Stream("csv",
             {"host,status,bytes", "web1,200,512", "web1,500", "host,status,bytes", "web2,404,0",
              "\"web3,200,1"},
             {{"columns", "host, status, bytes"}, {"key_columns", "host"}});
  CHECK(J(out.records) ==
        J(Strings{"status=200 {host=web1, value=200}", "bytes=512 {host=web1, value=512}",
                  "status=404 {host=web2, value=404}", "bytes=0 {host=web2, value=0}"}));
  CHECK(J(out.errors) == J(Strings{"ragged_row", "bad_quote"}));
}

TEST_CASE("csv on a stream with declared columns needs no header line at all") {
  CHECK(J(Stream("csv", {"web1,200"}, {{"columns", "host,status"}}).records) ==
        J(Strings{"host {value=web1}", "status=200 {value=200}"}));
}

TEST_CASE("csv on a stream without columns: the first line is the header, repeats are skipped") {
  const PrintingCollector out =
      Stream("csv", {"", "# host,status", "web1,200", "# host,status", "web2,503"},
             {{"header_prefix", "# "}, {"key_columns", "host"}});
  CHECK(J(out.records) ==
        J(Strings{"status=200 {host=web1, value=200}", "status=503 {host=web2, value=503}"}));
  CHECK(out.errors.empty());
  // A header without the key column: every row says so, none is read.
  const PrintingCollector missing = Stream("csv", {"a,b", "1,2", "3,4"}, {{"key_columns", "host"}});
  CHECK(missing.records.empty());
  CHECK(J(missing.errors) ==
        J(Strings{"missing_key_column", "missing_key_column", "missing_key_column"}));
}

TEST_CASE("csv refuses columns that are empty, repeated or lack a key column") {
  CHECK(RegisteredParserCreateError("csv", {{"columns", "a,,b"}}) ==
        "csv: columns has an empty column name");
  CHECK(RegisteredParserCreateError("csv", {{"columns", "a,a"}}) ==
        "csv: columns names \"a\" twice");
  CHECK(RegisteredParserCreateError("csv", {{"columns", "a,b"}, {"key_columns", "c"}}) ==
        "csv: key column \"c\" is not one of the columns");
}

TEST_CASE("csv bodies with declared columns read every row, skipping a header row") {
  std::unique_ptr<Parser> parser = MakeRegisteredParser("csv", {{"columns", "a,b"}});
  PrintingCollector out;
  parser->Parse("a,b\n1,2\n3,4\n", out);
  CHECK(J(out.records) ==
        J(Strings{"a=1 {value=1}", "b=2 {value=2}", "a=3 {value=3}", "b=4 {value=4}"}));
}

TEST_CASE("syslog on a stream: a bad line is counted and the next one read") {
  const PrintingCollector out =
      Stream("syslog", {"<13>Dec  2 17:00:00 h app: one", "garbage", "<11>1 - h app - - - two"});
  CHECK(J(out.records) ==
        J(Strings{"one {app_name=app, facility=user, hostname=h, msgid=, procid=, severity=notice}",
                  "two {app_name=app, facility=user, hostname=h, msgid=, procid=, severity=err}"}));
  CHECK(J(out.errors) == J(Strings{"bad_timestamp"}));
}

}  // namespace
}  // namespace metrics_adapter
