// ParserChoice: a parser named in a rule file or an adapter config, with its
// options, checked against the parser's option table.
//
// Both spellings are accepted:
//   parser: line
//   parser: {name: keyvalue, separator: ":", comment_prefix: "#"}
//
// Usage:
//   std::optional<ParserChoice> choice = ReadParserChoice(node, "rules/redis.yaml", diags);
//   std::unique_ptr<Parser> parser = choice->Create();
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapter/base/diagnostics.h"
#include "parsers/registry.h"

// Only the YAML readers (the .cc files) see yaml-cpp itself.
namespace YAML {
class Node;
}

namespace metrics_adapter {

struct ParserChoice {
  const ParserInfo* info = nullptr;
  ParserOptions options;  // every option of the parser, defaults filled in
  SourcePosition position;

  // A new parser with these options. Never null: the options were checked.
  std::unique_ptr<Parser> Create() const;
  // "keyvalue {separator: \":\"}" for messages, options only where not default.
  std::string Describe() const;
  bool operator==(const ParserChoice& other) const {
    return info == other.info && options == other.options;
  }
};

// The default parser: `line`, no options.
ParserChoice DefaultParserChoice();

// Reads `node` (a name, or a mapping with `name` and options). Reports an
// unknown parser, unknown options (with a suggestion) and invalid option
// values, and returns nullopt after any of them.
std::optional<ParserChoice> ReadParserChoice(const YAML::Node& node, const std::string& file,
                                             Diagnostics& diags);

}  // namespace metrics_adapter
