#include "adapter/pipeline/explain.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "adapter/base/strings.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/input_driver.h"

namespace metrics_adapter {
namespace {

// Offsets just after each top-level named group's closing parenthesis, with
// the group's name, in pattern order.
std::vector<std::pair<std::string, std::size_t>> TopLevelGroupEnds(const std::string& pattern) {
  std::vector<std::pair<std::string, std::size_t>> ends;
  std::vector<std::string> open;  // names of the groups open now ("" if unnamed)
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;  // the escaped character
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;  // "[]...]"
    } else if (c == '(') {
      std::string name;
      if (pattern.compare(i, 4, "(?P<") == 0) {
        const std::size_t close = pattern.find('>', i + 4);
        if (close != std::string::npos) name = pattern.substr(i + 4, close - i - 4);
      }
      open.push_back(name);
    } else if (c == ')' && !open.empty()) {
      const std::string name = open.back();
      open.pop_back();
      if (open.empty() && !name.empty()) ends.emplace_back(name, i + 1);
    }
  }
  return ends;
}

}  // namespace

PartialMatch FindPartialMatch(const RE2& regex, std::string_view text) {
  PartialMatch best;
  for (const auto& [name, end] : TopLevelGroupEnds(regex.pattern())) {
    RE2 prefix(regex.pattern().substr(0, end), RuleRegexOptions());
    re2::StringPiece whole;
    if (!prefix.ok() || !prefix.Match(text, 0, text.size(), RE2::UNANCHORED, &whole, 1)) {
      break;
    }
    best.last_group = name;
    best.matched_up_to = static_cast<std::size_t>(whole.data() - text.data()) + whole.size();
  }
  return best;
}

// "record: "text" value 5 ${label.x}="y"" and a newline.
void WriteRecord(const Record& record, std::ostringstream& out) {
  out << "record: " << Quoted(record.text);
  if (const std::optional<double> number = record.Number()) out << " value " << *number;
  for (const RecordLabel& label : record.labels) {
    out << " ${label." << label.name << "}=" << Quoted(label.value);
  }
  out << "\n";
}

void WriteLabelsDoNotHold(const CompiledRule& rule, std::ostringstream& out) {
  out << "no match: its match_labels do not hold (";
  for (std::size_t i = 0; i < rule.match_labels.size(); ++i) {
    out << (i ? ", " : "") << rule.match_labels[i].first << " = "
        << Quoted(rule.match_labels[i].second);
  }
  out << ")\n";
}

// Where the pattern stops matching `text`.
void WriteNoMatch(const CompiledRule& rule, std::string_view text, std::ostringstream& out) {
  out << "no match\n";
  PartialMatch partial = FindPartialMatch(*rule.regex, text);
  if (partial.last_group.empty()) {
    out << "  the pattern fails before its first capture group\n";
  } else {
    out << "  the pattern matches up to and including (?P<" << partial.last_group
        << ">...), then fails at offset " << partial.matched_up_to << ": "
        << Quoted(text.substr(partial.matched_up_to, 40)) << "\n";
  }
}

// Writes each update a rule's emit makes, as "name{labels} op value unit".
class UpdateWriter : public UpdateSink {
 public:
  UpdateWriter(const Schema& schema, std::ostringstream& out) : schema_(schema), out_(out) {}
  void Apply(const Update& update) override {
    const FamilySpec& family = schema_.at(update.family);
    out_ << "  " << family.name << "{";
    for (std::size_t i = 0; i < update.label_values.size(); ++i) {
      out_ << (i ? "," : "") << family.labels[i] << "=" << Quoted(update.label_values[i]);
    }
    out_ << "} " << UpdateOpName(update.op) << " " << update.value
         << (family.unit.empty() ? "" : " " + family.unit) << "\n";
  }

 private:
  const Schema& schema_;
  std::ostringstream& out_;
};

// "`$a - $b` = 200 ($a = "500", $b = "300")": an expression, its result
// (or why it gave none) and the inputs it read.
void WriteExpression(const RuleSet& rules, const CompiledRule& rule, const Expression& expr,
                     const Record& record, MatchScratch& scratch, std::ostringstream& out) {
  ExprTrace trace;
  Value value;
  const EvalError error = rules.EvaluateForExplain(rule, expr, record, scratch, trace, value);
  out << "`" << expr.source << "`";
  if (error == EvalError::kAbsent) {
    out << ": no value (a capture did not take part)";
  } else if (error != EvalError::kNone) {
    out << ": no value (" << EvalErrorName(error) << "; the update is skipped and counted)";
  } else {
    std::string_view text;
    if (value.kind == ValueKind::kBool) {
      text = value.boolean ? "true" : "false";
    } else if (ValueText(value, scratch.eval, text) != EvalError::kNone) {
      text = "(too long)";
    }
    out << " = " << (value.kind == ValueKind::kText ? Quoted(text) : std::string(text));
  }
  // The inputs (the result, which the trace ends with, is written above).
  std::string inputs;
  for (const auto& [what, result] : trace) {
    if (what == expr.source) continue;
    if (!inputs.empty()) inputs += ", ";
    inputs.append(what).append(" = ").append(result);
  }
  if (!inputs.empty()) out << " (" << inputs << ")";
  out << "\n";
}

// The expressions of each emit: its condition, its value, its label
// expressions; then what the rule's state actions would write.
void WriteExpressions(const RuleSet& rules, const Schema& schema, const CompiledRule& rule,
                      const Record& record, MatchScratch& scratch, std::ostringstream& out) {
  for (std::size_t i = 0; i < rule.emits.size(); ++i) {
    const EmitPlan& emit = rule.emits[i];
    const std::string what =
        "  emit " + std::to_string(i + 1) + " (" + schema.at(emit.family).name + ") ";
    if (emit.when) {
      out << what << "when ";
      WriteExpression(rules, rule, *emit.when, record, scratch, out);
    }
    if (emit.value.expression) {
      out << what << UpdateOpName(emit.op) << " ";
      WriteExpression(rules, rule, *emit.value.expression, record, scratch, out);
    }
    for (std::size_t l = 0; l < emit.labels.size(); ++l) {
      for (const LabelExpr::Piece& piece : emit.labels[l].pieces) {
        if (!piece.expression) continue;
        out << what << "label " << schema.at(emit.family).labels[l] << ": ";
        WriteExpression(rules, rule, *piece.expression, record, scratch, out);
      }
    }
  }
  if (rule.state_actions.empty()) return;
  std::vector<std::string> actions;
  rules.StateActionsForExplain(rule, record, scratch, actions);
  for (const std::string& action : actions) out << "  would " << action << "\n";
  out << "  (explain shows state writes without making them)\n";
}

// A matched rule: its captures in pattern order, then the updates it emits.
void WriteMatch(const RuleSet& rules, const Schema& schema, const CompiledRule& rule,
                const Record& record, MatchScratch& scratch, std::ostringstream& out) {
  std::map<int, std::string> by_position;  // captures in pattern order
  for (const auto& [name, group] : rule.regex->NamedCapturingGroups()) by_position[group] = name;
  for (const auto& [group, name] : by_position) {
    const re2::StringPiece value = scratch.captures[static_cast<std::size_t>(group)];
    out << "  $" << name << " = "
        << (value.data() == nullptr ? std::string("(did not take part)")
                                    : Quoted(std::string_view(value)))
        << "\n";
  }
  WriteExpressions(rules, schema, rule, record, scratch, out);
  MatchCounts counts(rules);
  UpdateWriter writer(schema, out);
  scratch.time_state = MatchScratch::TimeState::kUnread;
  rules.EmitForExplain(rule, record, scratch, counts, writer);
  if (counts.invalid_values > 0) {
    out << "  (" << counts.invalid_values
        << " update(s) skipped: a captured value was not a number, or negative for a counter)\n";
  }
  for (std::size_t reason = 0; reason < counts.update_errors.size(); ++reason) {
    if (counts.update_errors[reason] == 0) continue;
    out << "  (" << counts.update_errors[reason]
        << " update(s) skipped: " << EvalErrorName(static_cast<EvalError>(reason)) << ")\n";
  }
}

std::string Explain(const RuleSet& rules, const Schema& schema, const Record& record) {
  const std::string_view text = record.text;
  std::ostringstream out;
  WriteRecord(record, out);
  MatchScratch scratch(rules);
  std::vector<int> candidates;
  // Which rules the pre-filter lets through, if there is one.
  const std::vector<int>& possible = rules.CandidatesForExplain(record, candidates);
  bool stopped = false;
  for (std::size_t index = 0; index < rules.rules().size(); ++index) {
    const CompiledRule& rule = rules.rules()[index];
    out << "rule " << Quoted(rule.name) << " (" << rule.position.ToString() << "): ";
    if (rule.uses_named_patterns) {
      out << "its named patterns expanded:\n  " << rule.regex->pattern() << "\n  ";
    }
    if (stopped) {
      out << "not tried: an earlier rule matched (add `continue: true` to it to go on)\n";
      continue;
    }
    if (!rule.LabelsHold(record)) {
      WriteLabelsDoNotHold(rule, out);
      continue;
    }
    const bool candidate =
        std::find(possible.begin(), possible.end(), static_cast<int>(index)) != possible.end();
    const int groups = rule.regex->NumberOfCapturingGroups() + 1;
    if (!candidate || !rule.regex->Match(text, 0, text.size(), RE2::UNANCHORED,
                                         scratch.captures.data(), groups)) {
      WriteNoMatch(rule, text, out);
      continue;
    }
    if (rule.when) {
      ExprTrace trace;
      Value holds;
      const EvalError error =
          rules.EvaluateForExplain(rule, *rule.when, record, scratch, trace, holds);
      if (error != EvalError::kNone || !holds.boolean) {
        out << "its pattern matched, but its condition does not hold: later rules are tried\n"
            << "  when ";
        WriteExpression(rules, rule, *rule.when, record, scratch, out);
        continue;
      }
      out << "matched\n  when ";
      WriteExpression(rules, rule, *rule.when, record, scratch, out);
    } else {
      out << "matched\n";
    }
    WriteMatch(rules, schema, rule, record, scratch, out);
    stopped = !rule.continue_matching;
  }
  return out.str();
}

std::string ExplainInput(const RuleSet& rules, const Schema& schema, const ParserChoice& parser,
                         const InputFraming& framing, std::string_view input,
                         const std::optional<MultilineOptions>& multiline) {
  struct Printer : RecordSink {
    Printer(const RuleSet& r, const Schema& s) : rules(r), schema(s) {}
    void OnRecord(const Record& record) override { out += Explain(rules, schema, record) + "\n"; }
    void OnParseError(std::string_view reason) override {
      out += "parse error: " + std::string(reason) + " (input skipped)\n\n";
    }
    const RuleSet& rules;
    const Schema& schema;
    std::string out;
  } printer(rules, schema);
  std::unique_ptr<Parser> instance = parser.Create();
  InputDriver driver(parser.info->unit, framing, multiline);
  const InputCounts counts = driver.Feed(input, *instance, printer);
  if (counts.too_long > 0) {
    printer.out += std::to_string(counts.too_long) + " line(s) longer than " +
                   std::to_string(framing.lines.max_line_bytes) +
                   " bytes (max_line_bytes) skipped, as the source skips them\n\n";
  }
  if (const RecordJoiner::Counts& joined = counts.joined; joined.any()) {
    printer.out += "multiline: " + std::to_string(joined.cut_max_lines) +
                   " record(s) cut at max_lines, " + std::to_string(joined.cut_max_bytes) +
                   " at max_bytes, " + std::to_string(joined.without_start) +
                   " begun without a start line\n\n";
  }
  return printer.out;
}

}  // namespace metrics_adapter
