#include "parsers/line_parser.h"

namespace metrics_adapter {

void LineParser::Parse(std::string_view unit, const std::function<void(const Record&)>& emit) {
  emit(Record{unit, std::nullopt});
}

}  // namespace metrics_adapter
