// The `line` parser: each log line is one record whose text is the line.
// Rules do all the work with their regexes.
#pragma once

#include "parsers/parser.h"

namespace metrics_adapter {

class LineParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;
};

}  // namespace metrics_adapter
