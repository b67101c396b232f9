// Parser: turns one unit of input from a source (a log line for streamed
// sources) into records that rules match.
//
// A record is the text rules match plus, where the format carries one, a
// numeric value. Records hold views into the input: they are valid only
// during the callback, and a parser copies nothing in the common case.
//
// Parsers are listed explicitly in registry.cc (no static self-registration,
// which silently vanishes from static libraries). Adding one is a file pair
// here, one line in that list, and its section in parsers/README.md.
//
// Usage:
//   struct Matcher : RecordSink {
//     void OnRecord(const Record& record) override { rules.Match(record.text, ...); }
//   } matcher;
//   FindParser("line")->create()->Parse(line, matcher);
#pragma once

#include <memory>
#include <optional>
#include <string_view>

namespace metrics_adapter {

struct Record {
  std::string_view text;
  std::optional<double> value;  // a value the format itself carries
};

// Receives records. An interface rather than a std::function: the per-line
// path must not allocate, and a capturing lambda in a std::function can.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void OnRecord(const Record& record) = 0;
};

class Parser {
 public:
  virtual ~Parser() = default;
  // Calls `sink` for each record in `unit`, in order. Never throws; input
  // the parser cannot read yields no record (the caller counts it).
  virtual void Parse(std::string_view unit, RecordSink& sink) = 0;
};

}  // namespace metrics_adapter
