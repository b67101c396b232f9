// The registry of built-in parsers, by name.
//
// Usage:
//   if (const ParserInfo* info = FindParser("line")) auto parser = info->create();
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

struct ParserInfo {
  std::string_view name;
  std::string_view help;  // one line, for --help and error messages
  std::unique_ptr<Parser> (*create)();
};

// Every built-in parser, in the order documented.
const std::vector<ParserInfo>& BuiltinParsers();

// The parser called `name`, or nullptr.
const ParserInfo* FindParser(std::string_view name);

// "line, json, ..." for error messages.
std::string ParserNames();

}  // namespace metrics_adapter
