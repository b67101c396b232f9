#include "parsers/text_parser.h"

namespace metrics_adapter {

void TextParser::Parse(std::string_view unit, RecordSink& sink) {
  sink.OnRecord(Record{unit, std::nullopt, {}});
}

}  // namespace metrics_adapter
