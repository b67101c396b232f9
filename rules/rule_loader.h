// Loading rule files: YAML in, a checked RuleSet out, with every problem
// reported as file:line:col.
//
// A rule file has these sections:
//   parser:   the parser whose records it matches (optional)
//   schema:   schema files declaring shared families, relative to the rule file
//   metrics:  families declared in the rule file itself (see schema.h)
//   source_labels: the constant label names a config's sources may add to
//             the families declared here (see ReadSourceLabels in schema.h)
//   rules:    regexes with named captures, and what each match emits
//   tests:    input lines and the exposition they must produce
//   timezone: the IANA time zone of the rules' `time:` layouts without an offset
//   state:    state tables the rules set, delete and read
//
// Usage:
//   Schema schema;
//   Diagnostics diags;
//   RuleFiles files = LoadRuleFiles({"rules/library/nginx/combined.yaml"}, schema, diags);
//   if (diags.HasErrors()) { ... refuse ... }
//   files.rule_set->Match(line, scratch, counts, sink);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/base/yaml_reader.h"
#include "parsers/parser_config.h"
#include "rules/rule_set.h"
#include "rules/schema.h"
#include "rules/state/state_pool.h"

namespace metrics_adapter {

// A test embedded in a rule file.
struct RuleTest {
  std::string file;
  std::string name;
  std::string input;  // a body for body parsers, else one line per unit
  // The input read as a streamed source (file, udp, tcp_listener) reads it:
  // line by line whatever the parser (a JSON-lines log, a csv stream).
  bool stream = false;
  // The test's `multiline:` block, as a file source's (start/continue and
  // limits), kept unread: the rules layer does not know record joining; the
  // `test` command reads it with the config's reader (LoadMultiline) and
  // joins the input into records with it. Undefined when absent.
  YAML::Node multiline;
  std::string expect;            // exposition lines the input must produce
  std::optional<int> unmatched;  // how many input lines no rule may match
  SourcePosition position;
};

struct RuleFiles {
  // Null when any file had an error.
  std::shared_ptr<const RuleSet> rule_set;
  std::vector<RuleTest> tests;
  // Every rule and schema file read, for change detection.
  std::vector<std::string> files_read;
  // The parser the files are written for, if any says (they must agree).
  std::optional<ParserChoice> parser;
};

// Loads `paths` in order into one RuleSet (rules of later files come after
// those of earlier ones) and their families into `schema`. Files naming
// different parsers (or options) are an error. With `pool`, the files' state
// tables are taken from it for `owner` (a source's name), so a reload that
// leaves a table's declaration unchanged keeps its entries; without, they
// start empty. The rules' regexes are compiled on up to `threads` threads
// (PrecompiledRegexes); the result is the same for any number.
RuleFiles LoadRuleFiles(const std::vector<std::string>& paths, Schema& schema, Diagnostics& diags,
                        StatePool* pool = nullptr, const std::string& owner = "",
                        std::size_t threads = 1);

}  // namespace metrics_adapter
