// Parser: turns one unit of input from a source into records that rules
// match. The unit is a line for line-oriented formats (log lines, statsd and
// graphite packets split into lines) and a whole response body for pulled
// status pages (JSON, CSV, key-value dumps).
//
// A record is the text rules match (a log line, a flattened JSON path such
// as `connections.active`, a CSV column name, a statsd metric name), an
// optional numeric value the format carries, and labels the format gives
// (statsd tags, a CSV row's key columns). Records hold views into the input
// and into the parser's own buffers: they are valid only during the
// callback, and a parser copies nothing in the common case.
//
// Parsers are listed explicitly in registry.cc (no static self-registration,
// which silently vanishes from static libraries). Adding one is a file pair
// here, one entry in that list, and its section in parsers/README.md.
//
// Usage:
//   struct Matcher : RecordSink {
//     void OnRecord(const Record& record) override { rules.Match(record, ...); }
//     void OnParseError(std::string_view reason) override { ++errors[reason]; }
//   } matcher;
//   parser->Parse(body, matcher);
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "parsers/number.h"

namespace metrics_adapter {

// A label the format itself gives a record (rules use it as ${label.NAME}).
struct RecordLabel {
  std::string_view name;
  std::string_view value;
};

struct Record {
  Record() = default;
  explicit Record(std::string_view text_in, std::optional<double> value_in = std::nullopt,
                  std::span<const RecordLabel> labels_in = {}, std::string_view number_text_in = {})
      : text(text_in), value(value_in), labels(labels_in), number_text(number_text_in) {}

  std::string_view text;
  std::optional<double> value;          // a value the format itself carries ($value)
  std::span<const RecordLabel> labels;  // labels the format gives, in no particular order
  // Instead of `value`: text read as a number only when a rule asks for
  // $value (ParseNumber; text that is not a number gives no value). For
  // formats such as CSV, most of whose cells no rule wants.
  std::string_view number_text;

  // $value: `value`, else `number_text` read as a number, else none.
  std::optional<double> Number() const {
    if (value || number_text.empty()) return value;
    return ParseNumber(number_text);
  }
};

// Receives records. An interface rather than a std::function: the per-line
// path must not allocate, and a capturing lambda in a std::function can.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnRecord(const Record& record) = 0;
  // Input the parser could not read, skipped. `reason` is a short
  // snake_case constant ("invalid_json", "bad_value", ...): it becomes the
  // `reason` label of metrics_adapter_parse_errors_total, so it must come
  // from a small fixed set, never from the input.
  virtual void OnParseError(std::string_view reason) = 0;
};

class Parser {
 public:
  virtual ~Parser() = default;
  // Calls `sink` for each record in `unit`, in order. Never throws; input
  // the parser cannot read is reported with OnParseError and skipped, and
  // the rest of the unit is still parsed where the format allows.
  virtual void Parse(std::string_view unit, RecordSink& sink) = 0;

  // Calls `sink` for each record of `line`, one line of a stream (a followed
  // file, a listener's lines): every parser reads streams line by line,
  // whatever unit Parse takes on a pulled source. The default parses the line
  // as a unit of its own (a JSON document per line, a one-line keyvalue
  // body). A parser whose format spans lines keeps its state between calls
  // (csv: the header); the lines of one stream go to one parser object.
  virtual void ParseStreamLine(std::string_view line, RecordSink& sink) { Parse(line, sink); }
};

}  // namespace metrics_adapter
