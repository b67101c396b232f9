// Explain shows a rule author what the rules make of one record: which rules
// were tried, which matched, what each capture held, which updates were
// emitted (after unit conversion and label bounds), and for a rule that did
// not match, how far its pattern got (`metrics-adapter explain`).
//
// Usage:
//   std::cout << Explain(*rule_set, schema, Record{"10.0.0.1 - - [...] \"GET / HTTP/1.1\" 200
//   ..."});
//
//   rule "request" (rules/nginx.yaml:12:5): matched
//     $method = "GET"
//     ...
//     http_server_requests_total{http_request_method="GET",...} inc 1
//   rule "request_without_method" (rules/nginx.yaml:30:5): not tried: an earlier rule matched
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapter/pipeline/input_driver.h"
#include "adapter/sources/record_joiner.h"
#include "parsers/parser_config.h"
#include "rules/rule_set.h"
#include "rules/schema.h"

namespace metrics_adapter {

// A report of what `rules` do with `record`, one line per fact.
std::string Explain(const RuleSet& rules, const Schema& schema, const Record& record);

// Runs `input` through `parser` as a source with `framing` (and `multiline`)
// would (whole, for body parsers on pulled sources; framed into lines, or
// records of lines, otherwise: see InputDriver) and explains every record it
// yields, every parse error, lines dropped as too long and multi-line
// records cut.
std::string ExplainInput(const RuleSet& rules, const Schema& schema, const ParserChoice& parser,
                         const InputFraming& framing, std::string_view input,
                         const std::optional<MultilineOptions>& multiline = std::nullopt);

// For a pattern that does not match `text`: the longest prefix of the
// pattern that ends just after a top-level capture group and still matches,
// as {group name, the text it matched up to}; empty if none does. Tells the
// author where the match breaks down.
struct PartialMatch {
  std::string last_group;
  std::string::size_type matched_up_to = 0;  // offset in text after that group
};
PartialMatch FindPartialMatch(const RE2& regex, std::string_view text);

}  // namespace metrics_adapter
