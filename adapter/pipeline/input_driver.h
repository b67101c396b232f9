// InputDriver is the one way a whole input reaches a parser: a pulled
// source's response body (SourcePipeline::ProcessBody), the input of
// `explain` and /-/explain (ExplainInput), and a rule test's input
// (`metrics-adapter test`). For a pulled source, a body parser gets the input
// whole; otherwise (a line parser, or any parser standing for a streamed
// source) the parser gets the lines a LineFramer cuts it into
// (Parser::ParseStreamLine), the end of the input ending the last line (or,
// for a file source with `multiline`, the records a RecordJoiner joins them
// into, the end of the input ending the last one). Since all three go through
// here with the framing of the source they stand for, what `explain` and
// `test` show is what production does.
//
// Usage:
//   InputDriver driver(parser_choice.info->unit, FramingFor(source_config));
//   std::unique_ptr<Parser> parser = parser_choice.Create();
//   InputCounts counts = driver.Feed(body, *parser, sink);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "adapter/config/config.h"
#include "adapter/sources/line_framer.h"
#include "adapter/sources/record_joiner.h"
#include "parsers/parser.h"
#include "parsers/parser_config.h"

namespace metrics_adapter {

// How input reaches a parser: its line framing, and whether it stands for a
// streamed source, whose every parser reads lines.
struct InputFraming {
  LineFramer::Options lines;
  // file, udp, tcp_listener: every parser gets lines (Parser::ParseStreamLine),
  // whatever unit it takes from a pulled source.
  bool streamed = false;
};

// The framing of input that stands for a response body, as a pulled source
// has always split its body: a '\r' before each '\n' stripped, empty lines
// kept (the parser decides what they mean), no limit on a line (max_body_bytes
// bounds the body). Also the framing of input that belongs to no source: a
// rule test's input, `explain RULEFILE`.
InputFraming BodyFraming();

// How `source` frames its input into lines: as its tailer (file), its
// listener (udp, tcp_listener; for udp the limit is on the whole datagram,
// here on each line) or a response body (http, tcp).
InputFraming FramingFor(const SourceConfig& source);

// How `source` joins lines into records: a file source's `multiline`, else
// none.
std::optional<MultilineOptions> MultilineFor(const SourceConfig& source);

// What one Feed did.
struct InputCounts {
  std::size_t lines = 0;        // lines (or records) handed to a line parser (0 for a body parser)
  std::size_t too_long = 0;     // lines dropped for being longer than max_line_bytes
  RecordJoiner::Counts joined;  // with multiline: records cut or without their start
};

class InputDriver {
 public:
  // `unit`: the parser's unit on a pulled source (ParserInfo::unit). With
  // `multiline`, the parser gets records of lines instead of lines.
  InputDriver(ParserUnit unit, const InputFraming& framing,
              const std::optional<MultilineOptions>& multiline = std::nullopt);

  // Hands `input`, whole, to `parser` as its units; the parser reports to
  // `sink`. Keeps its buffers between calls, so feeding the same kind of
  // input again allocates nothing. Not thread-safe.
  InputCounts Feed(std::string_view input, Parser& parser, RecordSink& sink);

 private:
  void ParseLines(Parser& parser, RecordSink& sink, InputCounts& counts);

  bool whole_;  // the input goes to Parser::Parse whole
  LineFramer framer_;
  std::unique_ptr<RecordJoiner> joiner_;  // with multiline
  std::vector<std::string_view> lines_;
  std::vector<std::string_view> records_;  // lines_ joined by joiner_
};

}  // namespace metrics_adapter
