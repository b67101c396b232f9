// The `text` parser: the whole body is one record (text = the body, no value,
// no labels), for multi-line regexes over a status page such as nginx
// stub_status. An empty body is still one record, with empty text, so rules
// that count scrapes or match "^$" see it. It reports no parse errors.
#pragma once

#include "parsers/parser.h"

namespace metrics_adapter {

class TextParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;
};

}  // namespace metrics_adapter
