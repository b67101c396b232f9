// The `logfmt` parser: one logfmt line, `key=value key2="quoted \"value\""
// flag`, yields one record per pair. A record's text is the pair's key, its
// value is the pair's value if that is a number, and its labels are all the
// pairs of the line (so a rule for `duration` can label by ${label.route}).
// See parsers/README.md.
#pragma once

#include <string>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class LogfmtParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  // Reused for every line so that records cost no allocation in the steady
  // state. unescaped_ is reserved to the line's length before use (escapes
  // only shorten), so views into it stay valid for the whole line.
  std::string unescaped_;
  std::vector<RecordLabel> pairs_;
};

}  // namespace metrics_adapter
