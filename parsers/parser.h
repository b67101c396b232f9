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
//   std::unique_ptr<Parser> parser = CreateParser("line");
//   parser->Parse(line, [&](const Record& record) { rules.Match(record.text, ...); });
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace metrics_adapter {

struct Record {
  std::string_view text;
  std::optional<double> value;  // a value the format itself carries
};

class Parser {
 public:
  virtual ~Parser() = default;
  // Calls `emit` for each record in `unit`, in order. Never throws; input
  // the parser cannot read yields no record (the caller counts it).
  virtual void Parse(std::string_view unit, const std::function<void(const Record&)>& emit) = 0;
};

}  // namespace metrics_adapter
