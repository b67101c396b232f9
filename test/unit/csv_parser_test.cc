// The csv parser: haproxy stats with key columns and the trailing
// separator, RFC 4180 quoting, ragged rows, missing key columns, bad
// quotes, and option validation.
#include "parsers/csv_parser.h"

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
  return MakeRegisteredParser("csv", overrides);
}

std::string CreateError(const std::map<std::string, std::string>& overrides) {
  return RegisteredParserCreateError("csv", overrides);
}

using Lines = std::vector<std::string>;

Collector ParseWith(Parser& parser, std::string_view body) {
  Collector sink;
  parser.Parse(body, sink);
  return sink;
}

TEST_CASE("csv: haproxy stats with key columns and a trailing separator") {
  std::unique_ptr<Parser> parser =
      MakeParser({{"header_prefix", "# "}, {"key_columns", "pxname,svname"}});
  Collector sink = ParseWith(*parser,
                             "# pxname,svname,qcur,scur,status,weight,\n"
                             "http-in,FRONTEND,,3,OPEN,,\n"
                             "app,web1,0,1,UP,1,\n"
                             "\n");
  CHECK(sink.records == Lines{
                            "scur=3 {pxname=http-in, svname=FRONTEND, value=3}",
                            "status {pxname=http-in, svname=FRONTEND, value=OPEN}",
                            "qcur=0 {pxname=app, svname=web1, value=0}",
                            "scur=1 {pxname=app, svname=web1, value=1}",
                            "status {pxname=app, svname=web1, value=UP}",
                            "weight=1 {pxname=app, svname=web1, value=1}",
                        });
  CHECK(sink.errors.empty());
}

TEST_CASE("csv: without key columns, records have only the value label, numbers too") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, "a,b\n1,x\n").records == Lines{"a=1 {value=1}", "b {value=x}"});
}

TEST_CASE("csv: key columns may sit anywhere, and a header prefix need not be there") {
  std::unique_ptr<Parser> parser =
      MakeParser({{"header_prefix", "# "}, {"key_columns", " name , zone "}});
  CHECK(ParseWith(*parser, "hits,name,zone\n5,a,eu\n").records ==
        Lines{"hits=5 {name=a, value=5, zone=eu}"});
}

TEST_CASE("csv: RFC 4180 quoting") {
  std::unique_ptr<Parser> parser = MakeParser({{"key_columns", "name"}});
  Collector sink = ParseWith(*parser,
                             "name,\"de\"\"sc\",n\n"
                             "\"a,b\",\"say \"\"hi\"\"\",5\n"
                             "\"multi\nline\",\"\",\"7\"\n"
                             "\"\"\"\",\"x\"\r\n"
                             "plain\"quote,y,8\n");
  CHECK(sink.records == Lines{
                            "de\"sc {name=a,b, value=say \"hi\"}",
                            "n=5 {name=a,b, value=5}",
                            "n=7 {name=multi\nline, value=7}",
                            "de\"sc {name=plain\"quote, value=y}",
                            "n=8 {name=plain\"quote, value=8}",
                        });
  // The row `""""","x"` has two cells.
  CHECK(sink.errors == Lines{"ragged_row"});
}

TEST_CASE("csv: many escaped cells in one row") {
  std::unique_ptr<Parser> parser = MakeParser();
  std::string header, row;
  Lines expected;
  for (int i = 0; i < 40; ++i) {
    if (i > 0) header += ',', row += ',';
    header += "c" + std::to_string(i);
    row += "\"v\"\"" + std::to_string(i) + "\"";
    expected.push_back("c" + std::to_string(i) + " {value=v\"" + std::to_string(i) + "}");
  }
  for (int round = 0; round < 2; ++round) {
    CHECK(ParseWith(*parser, header + "\n" + row + "\n").records == expected);
  }
}

TEST_CASE("csv: ragged rows are skipped and parsing goes on") {
  std::unique_ptr<Parser> parser = MakeParser({{"key_columns", "k"}});
  Collector sink = ParseWith(*parser, "k,a,b\nx,1\ny,2,3\nz,1,2,3\nw,4,5");
  CHECK(sink.records == Lines{"a=2 {k=y, value=2}", "b=3 {k=y, value=3}", "a=4 {k=w, value=4}",
                              "b=5 {k=w, value=5}"});
  CHECK(sink.errors == Lines{"ragged_row", "ragged_row"});
}

TEST_CASE("csv: a trailing separator must be on the header and the rows alike") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector sink = ParseWith(*parser, "a,b,\n1,2\n3,4,\n");
  CHECK(sink.records == Lines{"a=3 {value=3}", "b=4 {value=4}"});
  CHECK(sink.errors == Lines{"ragged_row"});
}

TEST_CASE("csv: cells under a nameless column are ignored") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, "a,,b\n1,2,3\n").records == Lines{"a=1 {value=1}", "b=3 {value=3}"});
}

TEST_CASE("csv: a missing key column is reported once and the body skipped") {
  std::unique_ptr<Parser> parser = MakeParser({{"key_columns", "pxname,nope"}});
  Collector sink = ParseWith(*parser, "pxname,a\nx,1\ny,2\n");
  CHECK(sink.records.empty());
  CHECK(sink.errors == Lines{"missing_key_column"});
}

TEST_CASE("csv: bad quotes") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector junk = ParseWith(*parser, "a,b\n\"1\"x,2\n3,4\n");
  CHECK(junk.records == Lines{"a=3 {value=3}", "b=4 {value=4}"});
  CHECK(junk.errors == Lines{"bad_quote"});

  Collector unclosed = ParseWith(*parser, "a,b\n1,2\n\"3,4\n5,6\n");
  CHECK(unclosed.records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
  CHECK(unclosed.errors == Lines{"bad_quote"});

  Collector header = ParseWith(*parser, "\"a,b\n1,2\n");
  CHECK(header.records.empty());
  CHECK(header.errors == Lines{"bad_quote"});
}

TEST_CASE("csv: line ends, blank lines and the last line") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, "\r\n\na,b\r\n\r\n1,2\r\n\n3,\"4\"\r\n").records ==
        Lines{"a=1 {value=1}", "b=2 {value=2}", "a=3 {value=3}", "b=4 {value=4}"});
  CHECK(ParseWith(*parser, "a,b\n1,\"2\"").records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
  CHECK(ParseWith(*parser, "a,b\n1,\"2\"\r").records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
  CHECK(ParseWith(*parser, "a,b\n1,2\r").records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
}

TEST_CASE("csv: empty bodies and header-only bodies") {
  std::unique_ptr<Parser> parser = MakeParser();
  Collector empty = ParseWith(*parser, "");
  CHECK(empty.records.empty());
  CHECK(empty.errors == Lines{"missing_header"});
  CHECK(ParseWith(*parser, "\n\r\n").errors == Lines{"missing_header"});

  Collector header_only = ParseWith(*parser, "a,b\n");
  CHECK(header_only.records.empty());
  CHECK(header_only.errors.empty());
}

TEST_CASE("csv: other separators; cells are not trimmed") {
  std::unique_ptr<Parser> parser = MakeParser({{"separator", ";"}, {"key_columns", "k"}});
  CHECK(ParseWith(*parser, "k;a;b\nx,y; 1;2\n").records ==
        Lines{"a {k=x,y, value= 1}", "b=2 {k=x,y, value=2}"});
  parser = MakeParser({{"separator", "\t"}});
  CHECK(ParseWith(*parser, "a\tb\n1\t2\n").records == Lines{"a=1 {value=1}", "b=2 {value=2}"});
}

TEST_CASE("csv: a parser is reused across bodies with different headers") {
  std::unique_ptr<Parser> parser = MakeParser();
  CHECK(ParseWith(*parser, "a,b,c\n1,2,3\n").records ==
        Lines{"a=1 {value=1}", "b=2 {value=2}", "c=3 {value=3}"});
  CHECK(ParseWith(*parser, "\"x\"\"\"\n9\n").records == Lines{"x\"=9 {value=9}"});
  CHECK(ParseWith(*parser, "a,b,c\n1,2,3\n").records ==
        Lines{"a=1 {value=1}", "b=2 {value=2}", "c=3 {value=3}"});
}

TEST_CASE("csv: registry entry and option validation") {
  const ParserInfo* info = FindParser("csv");
  REQUIRE(info != nullptr);
  CHECK(info->unit == ParserUnit::kBody);
  CHECK(info->Defaults().Get("separator") == ",");
  CHECK(info->HasOption("header_prefix"));
  CHECK(info->HasOption("key_columns"));

  const std::string kSeparatorError =
      "csv: separator must be one character other than a quote or a line end";
  CHECK(CreateError({{"separator", ""}}) == kSeparatorError);
  CHECK(CreateError({{"separator", ";;"}}) == kSeparatorError);
  CHECK(CreateError({{"separator", "\""}}) == kSeparatorError);
  CHECK(CreateError({{"separator", "\n"}}) == kSeparatorError);
  CHECK(CreateError({{"key_columns", "a,,b"}}) == "csv: key_columns has an empty column name");
  CHECK(CreateError({{"key_columns", "a,"}}) == "csv: key_columns has an empty column name");
  CHECK(CreateError({{"key_columns", "a,b,a"}}) == "csv: key_columns names \"a\" twice");
}

}  // namespace
}  // namespace metrics_adapter
