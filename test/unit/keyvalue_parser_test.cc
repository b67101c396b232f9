// The keyvalue parser on redis INFO, apache server-status?auto and memcached
// stats output: keys, numeric values, the `value` label, sub-fields,
// skipped lines, parse errors, and option validation.
#include "parsers/keyvalue_parser.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/registry.h"
#include "test/unit/record_collector.h"

namespace metrics_adapter {
namespace {

using Collector = PrintingCollector;

std::unique_ptr<Parser> MakeParser(const std::map<std::string, std::string>& overrides = {}) {
  return MakeRegisteredParser("keyvalue", overrides);
}

std::string CreateError(const std::map<std::string, std::string>& overrides) {
  return RegisteredParserCreateError("keyvalue", overrides);
}

using Lines = std::vector<std::string>;

TEST_CASE("keyvalue: redis INFO with sections, \\r\\n line ends and sub-fields") {
  std::unique_ptr<Parser> parser = MakeParser({{"subfields", ","}});
  Collector sink;
  parser->Parse(
      "# Server\r\n"
      "redis_version:7.2.4\r\n"
      "executable:/usr/local/bin/redis-server\r\n"
      "config_file:\r\n"
      "\r\n"
      "# Clients\r\n"
      "connected_clients:2\r\n"
      "# Replication\r\n"
      "role:master\r\n"
      "mem_fragmentation_ratio:1.25\r\n"
      "\r\n"
      "# Keyspace\r\n"
      "db0:keys=1,expires=0,avg_ttl=0\r\n"
      "slave0:ip=10.0.0.2,port=6380,state=online,offset=42,lag=1\r\n",
      sink);
  CHECK(sink.records == Lines{
                            "redis_version {value=7.2.4}",
                            "executable {value=/usr/local/bin/redis-server}",
                            "config_file {value=}",
                            "connected_clients=2 {value=2}",
                            "role {value=master}",
                            "mem_fragmentation_ratio=1.25 {value=1.25}",
                            "db0.keys=1 {value=1}",
                            "db0.expires=0 {value=0}",
                            "db0.avg_ttl=0 {value=0}",
                            "slave0.ip {value=10.0.0.2}",
                            "slave0.port=6380 {value=6380}",
                            "slave0.state {value=online}",
                            "slave0.offset=42 {value=42}",
                            "slave0.lag=1 {value=1}",
                        });
  CHECK(sink.errors.empty());
}

TEST_CASE("keyvalue: without subfields a pair list is one value") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink;
  parser->Parse("db0:keys=1,expires=0\n", sink);
  CHECK(sink.records == Lines{"db0 {value=keys=1,expires=0}"});
}

TEST_CASE("keyvalue: a value that is not all pairs is not split into sub-fields") {
  std::unique_ptr<Parser> parser = MakeParser({{"subfields", ","}});
  Collector sink;
  parser->Parse("cmdline:--opt=1,verbose\nerrorstat_ERR:count=3\nlist:a=1,,b=2,\n", sink);
  CHECK(sink.records == Lines{
                            "cmdline {value=--opt=1,verbose}",
                            "errorstat_ERR.count=3 {value=3}",
                            "list.a=1 {value=1}",
                            "list.b=2 {value=2}",
                        });
  CHECK(sink.errors.empty());
}

TEST_CASE("keyvalue: sub-field options other than the defaults") {
  std::unique_ptr<Parser> parser = MakeParser({{"subfields", ";"}, {"subfield_separator", "->"}});
  Collector sink;
  parser->Parse("pool: a -> 1; b -> x\n", sink);
  CHECK(sink.records == Lines{"pool.a=1 {value=1}", "pool.b {value=x}"});
}

TEST_CASE("keyvalue: apache server-status?auto, where the first line is the server name") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink;
  parser->Parse(
      "localhost\n"
      "ServerVersion: Apache/2.4.58 (Unix)\n"
      "CurrentTime: Tuesday, 16-Jan-2024 10:00:00 UTC\n"
      "Total Accesses: 123\n"
      "Total kBytes: 456\n"
      "CPULoad: .0123\n"
      "Uptime: 3600\n"
      "BusyWorkers: 1\n"
      "Scoreboard: _W__..\n",
      sink);
  CHECK(sink.records == Lines{
                            "ServerVersion {value=Apache/2.4.58 (Unix)}",
                            "CurrentTime {value=Tuesday, 16-Jan-2024 10:00:00 UTC}",
                            "Total Accesses=123 {value=123}",
                            "Total kBytes=456 {value=456}",
                            "CPULoad=0.0123 {value=.0123}",
                            "Uptime=3600 {value=3600}",
                            "BusyWorkers=1 {value=1}",
                            "Scoreboard {value=_W__..}",
                        });
  CHECK(sink.errors == Lines{"missing_separator"});
}

TEST_CASE("keyvalue: skip_lines_without_separator skips apache's server-name line silently") {
  const std::string page =
      "www.example.com\n"
      "ServerVersion: Apache/2.4.71 (Debian)\r\n"
      "Total Accesses: 13\n"
      "Scoreboard: _W__..\n";
  const Lines records = {
      "ServerVersion {value=Apache/2.4.71 (Debian)}",
      "Total Accesses=13 {value=13}",
      "Scoreboard {value=_W__..}",
  };
  std::unique_ptr<Parser> parser = MakeParser({{"skip_lines_without_separator", "true"}});
  Collector sink;
  parser->Parse(page, sink);
  CHECK(sink.records == records);
  CHECK(sink.errors.empty());
  // "false" is the default: the same records, and the line is an error.
  Collector strict;
  MakeParser({{"skip_lines_without_separator", "false"}})->Parse(page, strict);
  CHECK(strict.records == records);
  CHECK(strict.errors == Lines{"missing_separator"});
  // Apache 2.2 has no server-name line: nothing is lost.
  Collector old;
  parser->Parse("Total Accesses: 13\nBusyWorkers: 1\n", old);
  CHECK(old.records == Lines{"Total Accesses=13 {value=13}", "BusyWorkers=1 {value=1}"});
  CHECK(old.errors.empty());
}

TEST_CASE("keyvalue: a tab separator before an empty value gives the key an empty value") {
  std::unique_ptr<Parser> parser = MakeParser({{"separator", "\t"}});
  Collector sink;
  parser->Parse("uptime\t42\nversion\t\nbanner\n  role\t \r\n", sink);
  CHECK(sink.records == Lines{"uptime=42 {value=42}", "version {value=}", "role {value=}"});
  CHECK(sink.errors == Lines{"missing_separator"});
  // A whitespace separator still reads a lone word as no pair at all.
  Collector words;
  MakeParser({{"separator", " "}})->Parse("lonely \t\n", words);
  CHECK(words.records.empty());
  CHECK(words.errors == Lines{"missing_separator"});
}

TEST_CASE("keyvalue: skip_lines_without_separator skips only lines without the separator") {
  std::unique_ptr<Parser> parser = MakeParser({{"skip_lines_without_separator", "true"}});
  Collector sink;
  // Anywhere in the body, not just first; an empty key is still an error.
  parser->Parse("a:1\nbanner\n  : 5\n# comment\n\nb:2\ntrailer", sink);
  CHECK(sink.records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
  CHECK(sink.errors == Lines{"empty_key"});

  // With the whitespace separator: a lone word is skipped, "key value" is read.
  Collector words;
  MakeParser({{"separator", " "}, {"skip_lines_without_separator", "true"}})
      ->Parse("lonely   \nkey value\n", words);
  CHECK(words.records == Lines{"key {value=value}"});
  CHECK(words.errors.empty());

  // With a line prefix: lines without the prefix are skipped anyway; prefixed
  // lines without the separator are skipped too.
  Collector memcached;
  MakeParser(
      {{"separator", " "}, {"line_prefix", "STAT "}, {"skip_lines_without_separator", "true"}})
      ->Parse("STAT pid 1\nSTAT oops\nEND\n", memcached);
  CHECK(memcached.records == Lines{"pid=1 {value=1}"});
  CHECK(memcached.errors.empty());
}

TEST_CASE("keyvalue: memcached stats with a line prefix and whitespace separator") {
  std::unique_ptr<Parser> parser = MakeParser({{"separator", " "}, {"line_prefix", "STAT "}});
  Collector sink;
  parser->Parse(
      "STAT pid 1234\r\n"
      "STAT version 1.6.21\r\n"
      "STAT curr_connections \t 10\r\n"
      "STAT rusage_user\t0.123\r\n"
      "STAT libevent 2.1.12-stable\r\n"
      "END\r\n",
      sink);
  CHECK(sink.records == Lines{
                            "pid=1234 {value=1234}",
                            "version {value=1.6.21}",
                            "curr_connections=10 {value=10}",
                            "rusage_user=0.123 {value=0.123}",
                            "libevent {value=2.1.12-stable}",
                        });
  CHECK(sink.errors.empty());
}

TEST_CASE("keyvalue: whitespace separator without a value is missing_separator") {
  std::unique_ptr<Parser> parser = MakeParser({{"separator", " "}});
  Collector sink;
  parser->Parse("lonely   \nkey value with spaces\n", sink);
  CHECK(sink.records == Lines{"key {value=value with spaces}"});
  CHECK(sink.errors == Lines{"missing_separator"});
}

TEST_CASE("keyvalue: errors skip the line and parsing goes on") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink;
  parser->Parse("a:1\nno separator here\n  : 5\nb:2", sink);
  CHECK(sink.records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
  CHECK(sink.errors == Lines{"missing_separator", "empty_key"});
}

TEST_CASE("keyvalue: the first separator splits; multi-character separators") {
  Collector sink;
  MakeParser()->Parse("time: 10:00:00\n", sink);
  MakeParser({{"separator", "=>"}})->Parse("a => -2\nb=>1e3\nc => x=>y\n", sink);
  CHECK(sink.records == Lines{
                            "time {value=10:00:00}",
                            "a=-2 {value=-2}",
                            "b=1000 {value=1e3}",
                            "c {value=x=>y}",
                        });
}

TEST_CASE("keyvalue: values that are not plain numbers get no value") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink;
  parser->Parse("a:0x10\nb:nan\nc:inf\nd:12ms\ne:-\n", sink);
  CHECK(sink.records ==
        Lines{"a {value=0x10}", "b {value=nan}", "c {value=inf}", "d {value=12ms}", "e {value=-}"});
}

TEST_CASE("keyvalue: blank lines, comments and empty bodies") {
  Collector sink;
  MakeParser()->Parse("", sink);
  MakeParser()->Parse("\n \t\r\n\n", sink);
  MakeParser()->Parse("  # indented comment\n#x:1\n", sink);
  CHECK(sink.records.empty());
  CHECK(sink.errors.empty());

  // Without a comment prefix, '#' lines are ordinary lines.
  MakeParser({{"comment_prefix", ""}})->Parse("#x:1\n", sink);
  // Another prefix.
  MakeParser({{"comment_prefix", "//"}})->Parse("// note\n#x:2\n", sink);
  CHECK(sink.records == Lines{"#x=1 {value=1}", "#x=2 {value=2}"});
}

TEST_CASE("keyvalue: a parser is reused across bodies") {
  std::unique_ptr<Parser> parser = MakeParser({{"subfields", ","}});
  for (int i = 0; i < 3; ++i) {
    Collector sink;
    parser->Parse("db0:keys=1,expires=2\n", sink);
    CHECK(sink.records == Lines{"db0.keys=1 {value=1}", "db0.expires=2 {value=2}"});
  }
}

TEST_CASE("keyvalue: count_key counts the characters of one key's value") {
  std::unique_ptr<Parser> parser = MakeParser({{"skip_lines_without_separator", "true"},
                                               {"count_key", "Scoreboard"},
                                               {"count_characters", "_W.K"}});
  Collector sink;
  parser->Parse("localhost\nBusyWorkers: 1\nScoreboard: _W__..R\nScoreboardX: __\n", sink);
  // Every listed character, present or not; others (R) are not counted;
  // other keys are read as always.
  CHECK(sink.records == Lines{"BusyWorkers=1 {value=1}", "Scoreboard._=3 {value=3}",
                              "Scoreboard.W=1 {value=1}", "Scoreboard..=2 {value=2}",
                              "Scoreboard.K=0 {value=0}", "ScoreboardX {value=__}"});
  CHECK(sink.errors.empty());
  // An empty value counts zeros.
  Collector empty;
  parser->Parse("Scoreboard:\n", empty);
  CHECK(empty.records == Lines{"Scoreboard._=0 {value=0}", "Scoreboard.W=0 {value=0}",
                               "Scoreboard..=0 {value=0}", "Scoreboard.K=0 {value=0}"});

  CHECK(CreateError({{"count_key", "Scoreboard"}}) ==
        "keyvalue: count_key and count_characters go together: set both or neither");
  CHECK(CreateError({{"count_characters", "_"}}) ==
        "keyvalue: count_key and count_characters go together: set both or neither");
  CHECK(CreateError({{"count_key", "S"}, {"count_characters", "_W_"}}) ==
        "keyvalue: count_characters lists \"_\" twice");
}

TEST_CASE("keyvalue: registry entry and option validation") {
  const ParserInfo* info = FindParser("keyvalue");
  REQUIRE(info != nullptr);
  CHECK(info->unit == ParserUnit::kBody);
  for (const char* option :
       {"separator", "comment_prefix", "line_prefix", "subfields", "subfield_separator",
        "skip_lines_without_separator", "count_key", "count_characters"}) {
    CHECK(info->HasOption(option));
  }
  CHECK(info->Defaults().Get("separator") == ":");
  CHECK(info->Defaults().Get("comment_prefix") == "#");
  CHECK(info->Defaults().Get("subfield_separator") == "=");
  CHECK(info->Defaults().Get("skip_lines_without_separator") == "false");

  CHECK(CreateError({{"skip_lines_without_separator", "yes"}}) ==
        "keyvalue: skip_lines_without_separator must be true or false, not \"yes\"");
  CHECK(CreateError({{"skip_lines_without_separator", ""}}) ==
        "keyvalue: skip_lines_without_separator must be true or false, not \"\"");

  CHECK(CreateError({{"separator", ""}}) == "keyvalue: separator must not be empty");
  CHECK(CreateError({{"subfields", ","}, {"subfield_separator", ""}}) ==
        "keyvalue: subfield_separator must not be empty when subfields is set");
  CHECK(CreateError({{"subfields", "="}}) ==
        "keyvalue: subfields and subfield_separator must differ");
}

}  // namespace
}  // namespace metrics_adapter
