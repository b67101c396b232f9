// InputDriver: what units a parser gets from a whole input, for body and
// line parsers, and that framing across its internal slices loses nothing.
#include "adapter/pipeline/input_driver.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "adapter/sources/file_tailer.h"

namespace metrics_adapter {
namespace {

using Units = std::vector<std::string>;

// Records the units it is given; yields no record.
class UnitRecorder : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink&) override { units.emplace_back(unit); }
  Units units;
};

class NullSink : public RecordSink {
 public:
  void OnRecord(const Record&) override {}
  void OnParseError(std::string_view) override {}
};

TEST_CASE("a body parser gets the input whole, line ends and all") {
  InputDriver driver(ParserUnit::kBody, BodyFraming());
  UnitRecorder parser;
  NullSink sink;
  const InputCounts counts = driver.Feed("a\r\nb\n\nc", parser, sink);
  CHECK(parser.units == Units{"a\r\nb\n\nc"});
  CHECK(counts.lines == 0);
  CHECK(counts.too_long == 0);
}

TEST_CASE("a line parser gets framed lines; the end of the input ends the last one") {
  InputDriver driver(ParserUnit::kLine, BodyFraming());
  UnitRecorder parser;
  NullSink sink;
  const InputCounts counts = driver.Feed("a\r\nb\n\nc\r", parser, sink);
  CHECK(parser.units == Units{"a", "b", "", "c"});
  CHECK(counts.lines == 4);
}

TEST_CASE("the framing is the one given: a file source's removes CR and drops long lines") {
  TailerOptions tailer;
  tailer.max_line_bytes = 4;
  InputDriver driver(ParserUnit::kLine, {.lines = TailerFraming(tailer), .streamed = true});
  UnitRecorder parser;
  NullSink sink;
  const InputCounts counts = driver.Feed("ab\r\ntoo long\nok", parser, sink);
  CHECK(parser.units == Units{"ab", "ok"});
  CHECK(counts.lines == 2);
  CHECK(counts.too_long == 1);
}

TEST_CASE("a streamed source's framing hands even a body parser its lines, one at a time") {
  TailerOptions tailer;
  InputDriver driver(ParserUnit::kBody, {.lines = TailerFraming(tailer), .streamed = true});
  UnitRecorder parser;
  NullSink sink;
  const InputCounts counts = driver.Feed("{\"a\":1}\r\n{\"a\":2}\n", parser, sink);
  CHECK(parser.units == Units{"{\"a\":1}", "{\"a\":2}"});
  CHECK(counts.lines == 2);
}

TEST_CASE("lines across the driver's slices arrive whole, and each Feed starts afresh") {
  std::string input;
  Units expected;
  for (int i = 0; i < 3000; ++i) {
    expected.push_back(std::string(static_cast<std::size_t>(i % 97), 'x') + std::to_string(i));
    input += expected.back() + "\n";
  }
  expected.push_back(std::string(200 * 1024, 'y'));  // longer than a slice, unterminated
  input += expected.back();
  InputDriver driver(ParserUnit::kLine, BodyFraming());
  for (int feed = 0; feed < 2; ++feed) {
    CAPTURE(feed);
    UnitRecorder parser;
    NullSink sink;
    CHECK(driver.Feed(input, parser, sink).lines == expected.size());
    CHECK(parser.units == expected);
  }
}

}  // namespace
}  // namespace metrics_adapter
