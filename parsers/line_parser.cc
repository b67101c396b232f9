#include "parsers/line_parser.h"

namespace metrics_adapter {

void LineParser::Parse(std::string_view unit, RecordSink& sink) {
  sink.OnRecord(Record{unit, std::nullopt, {}});
}

}  // namespace metrics_adapter
