#include "parsers/registry.h"

#include "parsers/line_parser.h"

namespace metrics_adapter {

const std::vector<ParserInfo>& BuiltinParsers() {
  // The one list of built-in parsers.
  static const std::vector<ParserInfo> kParsers = {
      {"line", "each line of input is one record; rules match the whole line",
       [] { return std::unique_ptr<Parser>(new LineParser()); }},
  };
  return kParsers;
}

const ParserInfo* FindParser(std::string_view name) {
  for (const ParserInfo& info : BuiltinParsers()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string ParserNames() {
  std::string out;
  for (const ParserInfo& info : BuiltinParsers()) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

}  // namespace metrics_adapter
