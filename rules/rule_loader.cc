#include "rules/rule_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "adapter/base/background_release.h"
#include "adapter/base/duration.h"
#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"
#include "parsers/parser_config.h"
#include "rules/expression/compile.h"
#include "rules/named_patterns.h"
#include "rules/precompiled_regexes.h"
#include "rules/units.h"

namespace metrics_adapter {
namespace {

// In a label template, ${label.NAME} names a label the parser gave the record.
constexpr std::string_view kRecordLabelPrefix = "label.";

// Line `number` (from 1) of `file`, or "" if it cannot be read.
std::string ReadLine(const std::string& file, int number) {
  std::ifstream in(file);
  std::string line;
  for (int i = 0; i < number && std::getline(in, line); ++i) {
  }
  return in ? line : "";
}

// The operations an emit can name, by their key.
const std::map<std::string, UpdateOp>& UpdateOps() {
  static const std::map<std::string, UpdateOp> kOps = {{"inc", UpdateOp::kInc},
                                                       {"add", UpdateOp::kAdd},
                                                       {"set", UpdateOp::kSet},
                                                       {"observe", UpdateOp::kObserve}};
  return kOps;
}

// A state table a rule file declares: its index in the rule set's tables.
struct DeclaredState {
  std::string name;
  int index;
  int key_parts;
};

// Everything about one rule file that compiling its rules needs.
struct ParsedFile {
  std::string path;
  YAML::Node rules;
  YAML::Node tests;
  // The shipped named patterns plus those of the file's `patterns:` files.
  PatternLibrary patterns;
  std::string timezone;  // `timezone:`, "" for UTC
  std::vector<DeclaredState> states;
};

// Compiles one rule: its regex, and the plan for each of its emits.
class RuleCompiler : private ExpressionNames {
 public:
  // `regexes`: the rules' regexes compiled ahead, taken by pattern.
  RuleCompiler(const ParsedFile& parsed, const Schema& schema, Diagnostics& diags,
               PrecompiledRegexes& regexes)
      : file_(parsed.path),
        parsed_(parsed),
        schema_(schema),
        patterns_(parsed.patterns),
        diags_(diags),
        regexes_(regexes) {}

  std::optional<CompiledRule> Compile(const YAML::Node& node) {
    YamlMap map(node, file_, diags_, "rule");
    if (!map.valid()) return std::nullopt;
    const int errors_before = diags_.error_count();
    CompiledRule rule;
    rule.file = file_;
    rule.position = PositionOf(file_, node);
    rule.name = map.String("name", Required::kYes).value_or("");
    what_ = "rule " + Quoted(rule.name);
    rule.continue_matching = map.Bool("continue").value_or(false);
    ReadMatchLabels(map.Node("match_labels"), rule);
    pattern_captures_.clear();
    if (auto pattern = map.String("match", Required::kYes)) {
      rule.uses_named_patterns = PatternLibrary::UsesPatterns(*pattern);
      if (std::optional<std::string> regex = ExpandPatterns(*pattern, map.Node("match"))) {
        rule.regex = CompileRegex(*regex, map.Node("match"), rule);
      }
    }
    YAML::Node state_set = map.Node("state_set");
    YAML::Node state_delete = map.Node("state_delete");
    // A rule that only keeps state (a session's start) emits nothing.
    YAML::Node emits = map.Node(
        "emit", state_set.IsDefined() || state_delete.IsDefined() ? Required::kNo : Required::kYes);
    const std::optional<std::string> when = map.String("when");
    YAML::Node time = map.Node("time");
    map.RejectUnknownKeys();
    if (!rule.regex) return std::nullopt;

    used_captures_.clear();
    regex_ = rule.regex.get();
    has_time_ = false;
    if (time.IsDefined()) CompileTime(time, rule);
    if (when) rule.when = CompileExpr(*when, map.Node("when"), 0, ExprUse::kCondition);
    CompileStateActions(state_set, false, rule);
    CompileStateActions(state_delete, true, rule);
    if (emits.IsDefined() && !emits.IsSequence()) {
      diags_.Error(PositionOf(file_, emits), what_ + ": \"emit\" must be a list");
    } else if (emits.IsDefined()) {
      for (const YAML::Node& emit_node : emits) {
        if (auto plan = CompileEmit(emit_node, *rule.regex)) rule.emits.push_back(std::move(*plan));
      }
    }
    const bool emits_ok = diags_.error_count() == errors_before;
    for (const auto& [name, index] : rule.regex->NamedCapturingGroups()) {
      // After a broken emit, "never used" would only echo that error.
      // A named pattern's own captures (COMBINEDAPACHELOG's) need no use.
      if (emits_ok && !used_captures_.contains(name) && !pattern_captures_.contains(name)) {
        diags_.Warning(PositionOf(file_, map.Node("match")),
                       what_ + ": capture " + Quoted(name) + " is never used");
      }
    }
    if (diags_.error_count() != errors_before) return std::nullopt;
    return rule;
  }

 private:
  // Record labels that must have exactly these values for the rule to match
  // (`match_labels: {type: c}`).
  void ReadMatchLabels(const YAML::Node& labels, CompiledRule& rule) {
    if (!labels.IsDefined()) return;
    if (!labels.IsMap()) {
      diags_.Error(PositionOf(file_, labels),
                   what_ + ": \"match_labels\" must map record label names to values");
    } else {
      for (const auto& entry : labels) {
        if (!entry.second.IsScalar()) {
          diags_.Error(PositionOf(file_, entry.second),
                       what_ + ": a match_labels value must be a string");
          continue;
        }
        rule.match_labels.emplace_back(entry.first.Scalar(), entry.second.Scalar());
      }
    }
  }

  // ExpressionNames, for the rule being compiled.
  int Capture(std::string_view name, std::string& error) override {
    const auto& groups = regex_->NamedCapturingGroups();
    if (auto it = groups.find(std::string(name)); it != groups.end()) {
      used_captures_.insert(it->first);
      return it->second;
    }
    error = "no capture named " + Quoted(name) + " (its captures: " + KnownCaptures() + ")";
    return -1;
  }
  bool IsCapture(std::string_view name) const override {
    return regex_->NamedCapturingGroups().contains(std::string(name));
  }
  bool HasTime() const override { return has_time_; }
  int StateTable(std::string_view name, int& key_parts, std::string& error) override {
    std::vector<std::string> known;
    for (const DeclaredState& state : parsed_.states) {
      if (state.name == name) {
        key_parts = state.key_parts;
        return state.index;
      }
      known.push_back(state.name);
    }
    const std::string hint = ClosestMatch(name, known);
    error = "no state table named " + Quoted(name) +
            (hint.empty() ? " (declare it in the file's \"state\" section)"
                          : " (did you mean " + Quoted(hint) + "?)");
    return -1;
  }

  // `time: {capture: ts, layout: "%d/%b/%Y:%H:%M:%S %z"}`, in the file's time zone.
  void CompileTime(const YAML::Node& node, CompiledRule& rule) {
    YamlMap map(node, file_, diags_, what_ + " time");
    if (!map.valid()) return;
    const std::optional<std::string> capture = map.String("capture", Required::kYes);
    const std::optional<std::string> layout = map.String("layout", Required::kYes);
    map.RejectUnknownKeys();
    if (!capture || !layout) return;
    std::string error;
    rule.time_capture = Capture(*capture, error);
    if (rule.time_capture < 0) {
      diags_.Error(map.PositionOfKey("capture"), what_ + ": " + error);
      return;
    }
    rule.time_layout = TimeLayout::Create(*layout, parsed_.timezone, error);
    if (!rule.time_layout) {
      diags_.Error(map.PositionOfKey("layout"), what_ + ": " + error);
      return;
    }
    has_time_ = true;
  }

  // `state_set: [{state: NAME, key: [$a, ...], value: EXPR}]`, or
  // `state_delete` (no value).
  void CompileStateActions(const YAML::Node& node, bool remove, CompiledRule& rule) {
    const std::string key_name = remove ? "state_delete" : "state_set";
    if (!node.IsDefined()) return;
    if (!node.IsSequence()) {
      diags_.Error(PositionOf(file_, node), what_ + ": " + Quoted(key_name) + " must be a list");
      return;
    }
    for (const YAML::Node& item : node) {
      YamlMap map(item, file_, diags_, what_ + " " + key_name);
      if (!map.valid()) continue;
      const std::optional<std::string> name = map.String("state", Required::kYes);
      YAML::Node key = map.Node("key", Required::kYes);
      const std::optional<std::string> value =
          map.String("value", remove ? Required::kNo : Required::kYes);
      map.RejectUnknownKeys();
      if (!name || !key.IsDefined()) continue;
      if (remove && value) {
        diags_.Error(map.PositionOfKey("value"), what_ + ": state_delete takes no value");
      }
      CompiledRule::StateAction action;
      action.remove = remove;
      int key_parts = 0;
      std::string error;
      action.table = StateTable(*name, key_parts, error);
      if (action.table < 0) {
        diags_.Error(map.PositionOfKey("state"), what_ + ": " + error);
        continue;
      }
      std::vector<YAML::Node> parts;
      if (key.IsSequence()) {
        for (const YAML::Node& part : key) parts.push_back(part);
      } else {
        parts.push_back(key);
      }
      if (static_cast<int>(parts.size()) != key_parts) {
        diags_.Error(PositionOf(file_, key), what_ + ": state table " + Quoted(*name) +
                                                 " takes a key of " + std::to_string(key_parts) +
                                                 " part(s), not " + std::to_string(parts.size()));
        continue;
      }
      bool ok = true;
      for (const YAML::Node& part : parts) {
        if (!part.IsScalar()) {
          diags_.Error(PositionOf(file_, part), what_ + ": a key part must be an expression");
          ok = false;
          continue;
        }
        action.key.push_back(CompileExpr(part.Scalar(), part, 0, ExprUse::kText));
        ok = action.key.back() != nullptr && ok;
      }
      if (!remove && value) {
        action.value = CompileExpr(*value, map.Node("value"), 0, ExprUse::kNumber);
        ok = action.value != nullptr && ok;
      }
      if (ok) rule.state_actions.push_back(std::move(action));
    }
  }

  std::string KnownCaptures() const {
    std::string known;
    for (const auto& [group, index] : regex_->NamedCapturingGroups()) {
      known += (known.empty() ? "" : ", ") + group;
    }
    return known.empty() ? "none" : known;
  }

  // Where byte `offset` of the scalar `node` is in the file: after its
  // opening quote, if it has one. (Escapes in a double-quoted scalar, and
  // block scalars, make this approximate.)
  SourcePosition ScalarPosition(const YAML::Node& node, int offset) const {
    SourcePosition position = PositionOf(file_, node);
    const std::string line = ReadLine(file_, position.line);
    const auto column = static_cast<std::size_t>(position.column - 1);
    if (column < line.size() && (line[column] == '\'' || line[column] == '"')) ++offset;
    return position.Shifted(offset);
  }

  // Compiles the expression `text`, found at byte `offset` of scalar `node`;
  // null when it has an error (reported at its place in the file).
  std::shared_ptr<const Expression> CompileExpr(const std::string& text, const YAML::Node& node,
                                                int offset, ExprUse use) {
    ExprSyntaxError error;
    auto expr = CompileExpression(text, *this, use, error);
    if (!expr)
      diags_.Error(ScalarPosition(node, offset + error.offset), what_ + ": " + error.message);
    return expr;
  }

  // `pattern` with its named patterns (%{NAME:capture}) expanded; nullopt
  // when one is unknown or malformed (reported where it is in the file).
  std::optional<std::string> ExpandPatterns(const std::string& pattern, const YAML::Node& node) {
    if (!PatternLibrary::UsesPatterns(pattern)) return pattern;
    std::vector<PatternError> errors;
    std::optional<Expansion> expansion = patterns_.Expand(pattern, errors);
    for (const PatternError& error : errors) {
      diags_.Error(PositionInFile(node, error.fragment), what_ + ": " + error.message);
    }
    if (!expansion) return std::nullopt;
    pattern_captures_.insert(expansion->pattern_captures.begin(),
                             expansion->pattern_captures.end());
    return std::move(expansion->regex);
  }

  // Where `fragment` of the scalar `node` is in the file: its first
  // occurrence on the scalar's lines, else the scalar's own position
  // (quoting and escapes make offsets into the scalar's value unreliable).
  SourcePosition PositionInFile(const YAML::Node& node, const std::string& fragment) {
    SourcePosition position = PositionOf(file_, node);
    // A block scalar (`match: >-`) starts on the lines after its mark.
    for (int line = position.line; !fragment.empty() && line > 0 && line < position.line + 4;
         ++line) {
      const std::string text = ReadLine(file_, line);
      const std::size_t from =
          line == position.line ? static_cast<std::size_t>(position.column - 1) : 0;
      const std::size_t at = from <= text.size() ? text.find(fragment, from) : std::string::npos;
      if (at != std::string::npos) {
        position.line = line;
        position.column = static_cast<int>(at) + 1;
        break;
      }
    }
    return position;
  }

  // The rule's regex; its bounds too when a helper found them.
  std::unique_ptr<RE2> CompileRegex(const std::string& pattern, const YAML::Node& node,
                                    CompiledRule& rule) {
    PrecompiledRegexes::Compiled compiled = regexes_.Take(pattern);
    std::unique_ptr<RE2> regex = std::move(compiled.regex);
    if (!regex) {
      regex = std::make_unique<RE2>(pattern, RuleRegexOptions());
    } else if (regex->ok()) {
      rule.SetBounds(std::move(compiled.bounds));
    }
    if (regex->ok()) return regex;
    // Point at the part of the pattern RE2 names, as written in the file.
    diags_.Error(PositionInFile(node, regex->error_arg()),
                 what_ + ": invalid regex: " + regex->error());
    return nullptr;
  }

  // Resolves "$name" / "${name}" to a capture index, reporting unknown names.
  int CaptureIndex(std::string_view name, const RE2& regex, const YAML::Node& node) {
    const auto& groups = regex.NamedCapturingGroups();
    if (auto it = groups.find(std::string(name)); it != groups.end()) {
      used_captures_.insert(it->first);
      return it->second;
    }
    std::string known;
    for (const auto& [group, index] : groups) known += (known.empty() ? "" : ", ") + group;
    diags_.Error(PositionOf(file_, node),
                 what_ + ": no capture named " + Quoted(name) +
                     " (its captures: " + (known.empty() ? "none" : known) + ")");
    return -1;
  }

  // A `$name` or `${name}` in a label template: the name is
  // text[start, end), the template goes on at `next`.
  struct Reference {
    std::size_t start;
    std::size_t end;
    std::size_t next;
  };

  // The reference whose `$` is text[dollar]; nullopt (reported) when no name
  // follows the `$` or a `${` is not closed.
  std::optional<Reference> FindReference(const std::string& text, std::size_t dollar,
                                         const YAML::Node& node) {
    std::size_t start = dollar + 1, end;
    const bool braced = start < text.size() && text[start] == '{';
    if (braced) {
      ++start;
      end = text.find('}', start);
      if (end == std::string::npos) {
        diags_.Error(PositionOf(file_, node), what_ + ": unclosed \"${\" in " + Quoted(text));
        return std::nullopt;
      }
    } else {
      end = start;
      while (end < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
        ++end;
      }
    }
    if (end == start) {
      diags_.Error(PositionOf(file_, node),
                   what_ +
                       ": \"$\" must be followed by a capture name (write \"$$\" for a "
                       "literal \"$\") in " +
                       Quoted(text));
      return std::nullopt;
    }
    return Reference{start, end, braced ? end + 1 : end};
  }

  // Adds the piece the reference `name` stands for to `expr`: a record label
  // (`label.NAME`) or a capture. False (reported) when it names neither; the
  // piece is added anyway.
  bool AddReferencePiece(const std::string& name, const RE2& regex, const YAML::Node& node,
                         LabelExpr& expr) {
    using Kind = LabelExpr::Piece::Kind;
    if (name.starts_with(kRecordLabelPrefix)) {
      // ${label.NAME}: a label the parser gave the record (statsd tags, CSV keys).
      const std::string label = name.substr(kRecordLabelPrefix.size());
      expr.pieces.push_back({Kind::kRecordLabel, label, -1, nullptr});
      if (label.empty()) {
        diags_.Error(PositionOf(file_, node), what_ + ": \"${label.}\" needs a label name");
        return false;
      }
      return true;
    }
    const int index = CaptureIndex(name, regex, node);
    expr.pieces.push_back({Kind::kCapture, "", index, nullptr});
    return index >= 0;
  }

  // The end of the `$(...)` whose `(` is text[open]: the index of its `)`,
  // past nested parentheses and quoted strings; npos when it is not closed.
  static std::size_t ClosingParen(const std::string& text, std::size_t open) {
    int depth = 0;
    char quote = 0;
    for (std::size_t i = open; i < text.size(); ++i) {
      const char c = text[i];
      if (quote) {
        if (c == '\\') {
          ++i;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return std::string::npos;
  }

  // Splits a label template into literal text, capture references and
  // `$(expression)` pieces.
  std::optional<LabelExpr> CompileLabel(const std::string& text, const RE2& regex,
                                        const YAML::Node& node) {
    LabelExpr expr;
    std::string literal;
    bool ok = true;
    for (std::size_t i = 0; i < text.size();) {
      if (text[i] != '$') {
        literal += text[i++];
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '$') {
        literal += '$';
        i += 2;
        continue;
      }
      if (!literal.empty()) {
        expr.pieces.push_back({LabelExpr::Piece::Kind::kLiteral, std::move(literal), -1, nullptr});
      }
      literal.clear();
      if (i + 1 < text.size() && text[i + 1] == '(') {
        const std::size_t close = ClosingParen(text, i + 1);
        if (close == std::string::npos) {
          diags_.Error(ScalarPosition(node, static_cast<int>(i)),
                       what_ + ": \"$(\" is not closed in " + Quoted(text));
          return std::nullopt;
        }
        auto compiled = CompileExpr(text.substr(i + 2, close - i - 2), node,
                                    static_cast<int>(i + 2), ExprUse::kText);
        ok = compiled != nullptr && ok;
        expr.pieces.push_back({LabelExpr::Piece::Kind::kExpression, "", -1, std::move(compiled)});
        i = close + 1;
        continue;
      }
      const std::optional<Reference> reference = FindReference(text, i, node);
      if (!reference) return std::nullopt;
      const std::string name = text.substr(reference->start, reference->end - reference->start);
      ok = AddReferencePiece(name, regex, node, expr) && ok;
      i = reference->next;
    }
    if (!literal.empty() || expr.pieces.empty()) {
      expr.pieces.push_back({LabelExpr::Piece::Kind::kLiteral, std::move(literal), -1, nullptr});
    }
    if (!ok) return std::nullopt;
    return expr;
  }

  std::optional<EmitPlan> CompileEmit(const YAML::Node& node, const RE2& regex) {
    YamlMap map(node, file_, diags_, what_ + " emit");
    if (!map.valid()) return std::nullopt;
    const int errors_before = diags_.error_count();
    EmitPlan plan;
    plan.position = PositionOf(file_, node);
    plan.family = FamilyIndex(map);
    std::string op_key = ReadOp(map, plan.op);
    const std::optional<std::string> value_text = ReadOpValue(map, op_key);
    const std::string unit_text = map.String("unit").value_or("");
    YAML::Node labels = map.Node("labels");
    YAML::Node value_map = map.Node("value_map");
    YAML::Node label_map = map.Node("label_map");
    const std::optional<std::string> when = map.String("when");
    map.RejectUnknownKeys();
    if (plan.family < 0) return std::nullopt;
    if (when) plan.when = CompileExpr(*when, map.Node("when"), 0, ExprUse::kCondition);

    const FamilySpec& family = schema_.at(plan.family);
    CheckOpFitsType(op_key, family, map);
    plan.non_negative = family.type == MetricType::kCounter;
    CompileValue(value_text, op_key, regex, map, plan);
    CompileValueMap(value_map, plan.value);
    CompileUnit(unit_text, family, map, plan);
    CompileLabels(labels, family, regex, map, plan);
    CompileLabelMap(label_map, family, plan);
    if (diags_.error_count() != errors_before) return std::nullopt;
    return plan;
  }

  // The index of the family the emit's "metric" names; -1 when it names none
  // (reported, with the closest known name).
  int FamilyIndex(YamlMap& map) {
    const std::string metric = map.String("metric", Required::kYes).value_or("");
    const int family = metric.empty() ? -1 : schema_.IndexOf(metric);
    if (!metric.empty() && family < 0 && !schema_.IsInvalid(metric)) {
      std::string hint = ClosestMatch(metric, schema_.Names());
      diags_.Error(map.PositionOfKey("metric"),
                   what_ + ": unknown metric family " + Quoted(metric) +
                       (hint.empty() ? " (declare it in a schema file or the \"metrics\" section)"
                                     : " (did you mean " + Quoted(hint) + "?)"));
    }
    return family;
  }

  // The key of the operation the emit names (inc, add, set or observe), its
  // operation set into `op`; "" when it names none. Naming two is reported.
  std::string ReadOp(YamlMap& map, UpdateOp& op) {
    std::string op_key;
    for (const auto& [key, key_op] : UpdateOps()) {
      if (!map.Has(key)) continue;
      if (!op_key.empty()) {
        diags_.Error(map.PositionOfKey(key), what_ +
                                                 ": an emit takes one of inc, add, set or "
                                                 "observe, not both " +
                                                 Quoted(op_key) + " and " + Quoted(key));
      }
      op_key = key;
      op = key_op;
    }
    return op_key;
  }

  // The text given to operation `op_key`. Every operation key is read, so
  // that a second one is not also reported as an unknown key.
  std::optional<std::string> ReadOpValue(YamlMap& map, const std::string& op_key) {
    std::optional<std::string> value_text;
    for (const auto& [key, op] : UpdateOps()) {
      if (auto v = map.String(key); v && key == op_key) value_text = v;
    }
    return value_text;
  }

  // Whether `text` is one plain reference: `$name` or `${name}` and nothing else.
  static bool IsPlainReference(const std::string& text) {
    if (text.size() < 2 || text.front() != '$') return false;
    if (text[1] == '{') return text.back() == '}' && text.find('}') == text.size() - 1;
    return std::all_of(text.begin() + 1, text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  }

  // The emit's value from `value_text`: a plain reference (`$capture`,
  // `$value`, `${label.NAME}`), a number, or an expression; an operation
  // other than inc needs one.
  void CompileValue(const std::optional<std::string>& value_text, const std::string& op_key,
                    const RE2& regex, YamlMap& map, EmitPlan& plan) {
    // $time is an expression's input, unless the rule has a capture of that name.
    const bool time = (value_text == "$time" || value_text == "${time}") && !IsCapture("time");
    if (value_text && IsPlainReference(*value_text) && !time) {
      CompileValueReference(value_text->substr(1), op_key, regex, map, plan.value);
    } else if (value_text) {
      if (auto number = ParseNumber(*value_text)) {
        plan.value.constant = *number;
      } else {
        plan.value.source = ValueExpr::Source::kExpression;
        plan.value.expression = CompileExpr(*value_text, map.Node(op_key), 0, ExprUse::kNumber);
      }
    } else if (plan.op != UpdateOp::kInc) {
      diags_.Error(map.PositionOfKey(op_key), what_ + ": " + Quoted(op_key) + " needs a value");
    }
  }

  // A value reference, `name` or `{name}` (what follows the `$`): a record
  // label, the record's own value, or a capture.
  void CompileValueReference(std::string name, const std::string& op_key, const RE2& regex,
                             YamlMap& map, ValueExpr& value) {
    if (name.size() >= 2 && name.front() == '{' && name.back() == '}') {
      name = name.substr(1, name.size() - 2);
    }
    const auto& groups = regex.NamedCapturingGroups();
    if (name.starts_with(kRecordLabelPrefix)) {
      // ${label.NAME}: a label's text, read as a number or through value_map.
      value.source = ValueExpr::Source::kRecordLabel;
      value.label = name.substr(kRecordLabelPrefix.size());
    } else if (name == "value" && !groups.contains("value")) {
      // The number the record itself carries (statsd, JSON, CSV, ...).
      value.source = ValueExpr::Source::kRecordValue;
    } else {
      value.source = ValueExpr::Source::kCapture;
      value.capture = CaptureIndex(name, regex, map.Node(op_key));
    }
  }

  // `value_map: {UP: 1, DOWN: 0}`, which only a text value (a capture or a
  // record label) can go through.
  void CompileValueMap(const YAML::Node& value_map, ValueExpr& value) {
    if (!value_map.IsDefined()) return;
    if (value.source != ValueExpr::Source::kCapture &&
        value.source != ValueExpr::Source::kRecordLabel) {
      diags_.Error(PositionOf(file_, value_map),
                   what_ +
                       ": \"value_map\" maps text, so the value must be a \"$capture\" or "
                       "\"${label.NAME}\"");
      return;
    }
    if (!value_map.IsMap()) {
      diags_.Error(PositionOf(file_, value_map),
                   what_ + ": \"value_map\" must map texts to numbers, as {UP: 1, DOWN: 0}");
      return;
    }
    for (const auto& entry : value_map) {
      std::optional<double> number =
          entry.second.IsScalar() ? ParseNumber(entry.second.Scalar()) : std::nullopt;
      if (!number) {
        diags_.Error(PositionOf(file_, entry.second), what_ + ": value_map values must be numbers");
        continue;
      }
      value.value_map.emplace_back(entry.first.Scalar(), *number);
    }
  }

  // `label_map: {part: {hdr: header}}`: per label, raw values to the ones
  // the schema's bound knows.
  void CompileLabelMap(const YAML::Node& label_map, const FamilySpec& family, EmitPlan& plan) {
    if (!label_map.IsDefined()) return;
    if (!label_map.IsMap()) {
      diags_.Error(PositionOf(file_, label_map),
                   what_ + ": \"label_map\" must map label names to {raw: value} maps");
      return;
    }
    for (const auto& entry : label_map) {
      const std::string name = entry.first.Scalar();
      const auto at = std::find(family.labels.begin(), family.labels.end(), name);
      if (at == family.labels.end()) {
        diags_.Error(
            PositionOf(file_, entry.first),
            what_ + ": \"label_map\": " + Quoted(family.name) + " has no label " + Quoted(name));
        continue;
      }
      if (!entry.second.IsMap()) {
        diags_.Error(PositionOf(file_, entry.second),
                     what_ + ": \"label_map\" of " + Quoted(name) +
                         " must map raw values to label values, as {hdr: header}");
        continue;
      }
      const auto index = static_cast<std::size_t>(at - family.labels.begin());
      if (index >= plan.labels.size()) continue;  // the label itself had an error
      const LabelBound& bound = family.label_bounds[index];
      for (const auto& pair : entry.second) {
        if (!pair.second.IsScalar()) {
          diags_.Error(PositionOf(file_, pair.second),
                       what_ + ": label_map values must be strings");
          continue;
        }
        const std::string& mapped = pair.second.Scalar();
        if (!bound.values.empty() &&
            std::find(bound.values.begin(), bound.values.end(), mapped) == bound.values.end() &&
            mapped != bound.other) {
          diags_.Warning(PositionOf(file_, pair.second),
                         what_ + ": label_map gives " + Quoted(mapped) + ", which label " +
                             Quoted(name) + " does not list: it is exposed as " +
                             Quoted(bound.other));
        }
        plan.labels[index].label_map.emplace_back(pair.first.Scalar(), mapped);
      }
    }
  }

  void CheckOpFitsType(std::string& op_key, const FamilySpec& family, YamlMap& map) {
    if (op_key.empty()) {
      if (family.type == MetricType::kCounter) {
        op_key = "inc";  // counting matches is what a bare counter emit means
        return;
      }
      diags_.Error(map.position(),
                   what_ + ": emit into " + std::string(MetricTypeName(family.type)) + " " +
                       Quoted(family.name) + " needs " +
                       (family.type == MetricType::kGauge ? "set, add or inc" : "observe"));
      return;
    }
    const bool fits =
        family.type == MetricType::kHistogram ? op_key == "observe" : op_key != "observe";
    if (!fits) {
      diags_.Error(map.PositionOfKey(op_key),
                   what_ + ": " + Quoted(op_key) + " does not fit " +
                       std::string(MetricTypeName(family.type)) + " " + Quoted(family.name) +
                       (family.type == MetricType::kHistogram ? " (histograms take observe)"
                                                              : " (use inc, add or set)"));
    }
  }

  void CompileUnit(const std::string& unit_text, const FamilySpec& family, YamlMap& map,
                   EmitPlan& plan) {
    if (unit_text.empty()) return;  // the value is already in the family's unit
    std::optional<UnitInfo> unit = LookupUnit(unit_text);
    if (!unit) {
      diags_.Error(map.PositionOfKey("unit"), what_ + ": unknown unit " + Quoted(unit_text) +
                                                  " (known: " + KnownUnitNames() + ")");
    } else if (unit->base != family.unit) {
      diags_.Error(map.PositionOfKey("unit"),
                   what_ + ": a value in " + Quoted(unit_text) + " cannot convert into " +
                       Quoted(family.name) + ", which is in " +
                       (family.unit.empty() ? std::string("no unit") : family.unit));
    } else {
      plan.value.scale = unit->factor;
      plan.value.divisor = unit->divisor;
    }
  }

  void CompileLabels(const YAML::Node& labels, const FamilySpec& family, const RE2& regex,
                     YamlMap& map, EmitPlan& plan) {
    std::map<std::string, YAML::Node> given;
    if (labels.IsDefined() && !labels.IsMap()) {
      diags_.Error(PositionOf(file_, labels), what_ + ": \"labels\" must be a mapping");
      return;
    }
    if (labels.IsDefined()) {
      for (const auto& entry : labels) {
        const std::string name = entry.first.Scalar();
        if (std::find(family.labels.begin(), family.labels.end(), name) == family.labels.end()) {
          std::string known;
          for (const std::string& l : family.labels) known += (known.empty() ? "" : ", ") + l;
          diags_.Error(PositionOf(file_, entry.first),
                       what_ + ": " + Quoted(family.name) + " has no label " + Quoted(name) +
                           " (its labels: " + (known.empty() ? "none" : known) + ")");
        } else if (!entry.second.IsScalar()) {
          diags_.Error(PositionOf(file_, entry.second),
                       what_ + ": label " + Quoted(name) + " must be a string");
        } else {
          given.emplace(name, entry.second);
        }
      }
    }
    for (std::size_t index = 0; index < family.labels.size(); ++index) {
      const std::string& name = family.labels[index];
      auto it = given.find(name);
      if (it == given.end()) {
        diags_.Error(
            labels.IsDefined() ? PositionOf(file_, labels) : map.position(),
            what_ + ": label " + Quoted(name) + " of " + Quoted(family.name) + " is not set");
        continue;
      }
      if (auto expr = CompileLabel(it->second.Scalar(), regex, it->second)) {
        expr->bound = family.label_bounds[index];
        plan.labels.push_back(std::move(*expr));
      }
    }
  }

  const std::string& file_;
  const ParsedFile& parsed_;
  const Schema& schema_;
  const PatternLibrary& patterns_;
  Diagnostics& diags_;
  PrecompiledRegexes& regexes_;
  std::string what_;
  std::set<std::string> used_captures_;
  std::set<std::string> pattern_captures_;  // from inside named patterns' definitions
  const RE2* regex_ = nullptr;              // the regex of the rule being compiled
  bool has_time_ = false;                   // whether it has a `time:`
};

void LoadTests(const ParsedFile& parsed, Diagnostics& diags, std::vector<RuleTest>& out) {
  if (!parsed.tests.IsDefined()) return;
  if (!parsed.tests.IsSequence()) {
    diags.Error(PositionOf(parsed.path, parsed.tests), "\"tests\" must be a list");
    return;
  }
  int number = 0;
  for (const YAML::Node& node : parsed.tests) {
    ++number;
    YamlMap map(node, parsed.path, diags, "test");
    if (!map.valid()) continue;
    RuleTest test;
    test.file = parsed.path;
    test.position = PositionOf(parsed.path, node);
    test.name = map.String("name").value_or("test " + std::to_string(number));
    test.input = map.String("input", Required::kYes).value_or("");
    test.expect = map.String("expect", Required::kYes).value_or("");
    if (auto unmatched = map.Integer("unmatched")) test.unmatched = static_cast<int>(*unmatched);
    test.stream = map.Bool("stream").value_or(false);
    test.multiline = map.Node("multiline");
    map.RejectUnknownKeys();
    out.push_back(std::move(test));
  }
}

std::string ResolveBeside(const std::string& file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(file).parent_path() / path).lexically_normal().string();
}

void LoadSchemaFile(const std::string& path, Schema& schema, Diagnostics& diags) {
  std::optional<YAML::Node> root = LoadYamlFile(path, diags);
  if (!root) return;
  YamlMap map(*root, path, diags, "schema file");
  const std::vector<std::string> source_labels = ReadSourceLabels(map, diags);
  if (YAML::Node metrics = map.Node("metrics", Required::kYes); metrics.IsDefined()) {
    LoadFamilies(metrics, path, schema, diags, source_labels);
  }
  map.RejectUnknownKeys();
}

// The earlier rules that may keep a later one from ever matching: those
// that do not continue, by pattern, so that checking a rule costs a look-up
// rather than a pass over every earlier rule (a thousand rules would make
// that half a million comparisons).
class ShadowIndex {
 public:
  // An earlier rule (of `earlier`, the rules added so far) that always wins
  // over `rule`, where that is evident: it does not continue, has no label
  // conditions beyond the later rule's, and its pattern matches every text
  // (".*", "", "^") or is the same pattern. The first such rule, if several.
  const CompiledRule* Find(const std::vector<CompiledRule>& earlier,
                           const CompiledRule& rule) const {
    std::optional<std::size_t> first;
    const auto consider = [&](const std::vector<std::size_t>& indexes) {
      for (std::size_t index : indexes) {
        if (first && *first < index) return;
        if (LabelsCover(earlier[index], rule)) {
          first = index;
          return;
        }
      }
    };
    consider(matches_everything_);
    if (auto it = by_pattern_.find(rule.regex->pattern()); it != by_pattern_.end()) {
      consider(it->second);
    }
    return first ? &earlier[*first] : nullptr;
  }

  // Takes note of earlier[index], the rule just added.
  void Add(const std::vector<CompiledRule>& earlier, std::size_t index) {
    static const std::set<std::string> kMatchesEverything = {"",       ".*",      "^",   "^.*",
                                                             "(?s).*", "^(?s).*", ".*$", "^.*$"};
    const CompiledRule& rule = earlier[index];
    if (rule.continue_matching) return;
    const std::string& pattern = rule.regex->pattern();
    if (kMatchesEverything.contains(pattern)) matches_everything_.push_back(index);
    by_pattern_[pattern].push_back(index);
  }

 private:
  // Whether `rule` has every label condition `before` has.
  static bool LabelsCover(const CompiledRule& before, const CompiledRule& rule) {
    return std::all_of(
        before.match_labels.begin(), before.match_labels.end(), [&](const auto& condition) {
          return std::find(rule.match_labels.begin(), rule.match_labels.end(), condition) !=
                 rule.match_labels.end();
        });
  }

  // Rule indexes in rule order.
  std::unordered_map<std::string, std::vector<std::size_t>> by_pattern_;
  std::vector<std::size_t> matches_everything_;
};

// Sets the parser a rule file declares into `parser`; a second file naming a
// different one is an error.
void ReadDeclaredParser(const YAML::Node& node, const std::string& path,
                        std::optional<ParserChoice>& parser, Diagnostics& diags) {
  std::optional<ParserChoice> declared = ReadParserChoice(node, path, diags);
  if (!declared) return;
  if (!parser) {
    parser = std::move(declared);
  } else if (!(*parser == *declared)) {
    diags.Error(declared->position, "rule file is for parser " + Quoted(declared->Describe()) +
                                        ", but " + parser->position.ToString() + " is for " +
                                        Quoted(parser->Describe()) + "; one source has one parser");
  }
}

// Pass 1 over one rule file: its parser, schema files and families into
// `result` and `schema`; its rules and tests, for pass 2, into `parsed`.
// `state: [{name, keys: [client], ttl: 1h, max_keys: 10000}]`: the file's
// state tables, each into `tables` (from `pool`, which keeps a table's
// entries across reloads, when given) and `file.states`.
void ReadStateTables(const YAML::Node& node, ParsedFile& file, StatePool* pool,
                     const std::string& owner, Diagnostics& diags,
                     std::vector<std::shared_ptr<StateTable>>& tables) {
  if (!node.IsDefined()) return;
  if (!node.IsSequence()) {
    diags.Error(PositionOf(file.path, node), "\"state\" must be a list of state tables");
    return;
  }
  for (const YAML::Node& item : node) {
    YamlMap map(item, file.path, diags, "state table");
    if (!map.valid()) continue;
    StateDeclaration declaration;
    declaration.file = file.path;
    declaration.name = map.String("name", Required::kYes).value_or("");
    const std::vector<std::string> keys =
        map.StringList("keys", Required::kYes).value_or(std::vector<std::string>{});
    declaration.key_parts = static_cast<int>(keys.size());
    if (auto ttl = map.String("ttl")) {
      if (auto duration = ParseDuration(*ttl); duration && duration->count() > 0) {
        declaration.ttl_seconds = static_cast<double>(duration->count()) / 1000;
      } else {
        diags.Error(map.PositionOfKey("ttl"),
                    "state table: \"ttl\" must be a duration such as 30m");
      }
    }
    if (auto max_keys = map.Integer("max_keys")) {
      if (*max_keys < 1 || *max_keys > 10'000'000) {
        diags.Error(map.PositionOfKey("max_keys"),
                    "state table: \"max_keys\" must be between 1 and 10000000");
      } else {
        declaration.max_keys = static_cast<std::size_t>(*max_keys);
      }
    }
    map.RejectUnknownKeys();
    if (declaration.name.empty() || keys.empty() ||
        declaration.key_parts > static_cast<int>(EvalScratch::kMaxKeyParts)) {
      if (declaration.key_parts > static_cast<int>(EvalScratch::kMaxKeyParts)) {
        diags.Error(map.PositionOfKey("keys"), "state table: at most 8 key parts");
      }
      continue;
    }
    const bool twice =
        std::any_of(file.states.begin(), file.states.end(),
                    [&](const DeclaredState& s) { return s.name == declaration.name; });
    if (twice) {
      diags.Error(map.position(), "state table " + Quoted(declaration.name) + " is declared twice");
      continue;
    }
    file.states.push_back(
        {declaration.name, static_cast<int>(tables.size()), declaration.key_parts});
    tables.push_back(pool ? pool->Get(owner, declaration)
                          : std::make_shared<StateTable>(std::move(declaration)));
  }
}

// Adds the regexes of the rules of `file` whose `match` uses named patterns,
// expanded (the others were added as they were parsed). Whatever is wrong
// is left for the rule's compilation to report.
void AddExpandedPatterns(const ParsedFile& file, PrecompiledRegexes& regexes) {
  if (!file.rules.IsSequence()) return;
  for (const YAML::Node& node : file.rules) {
    if (!node.IsMap()) continue;
    // Absent, its look-up is an invalid node, whose type yaml-cpp throws for.
    const YAML::Node match = node["match"];
    if (!match.IsDefined() || !match.IsScalar() || !PatternLibrary::UsesPatterns(match.Scalar())) {
      continue;
    }
    std::vector<PatternError> errors;
    if (std::optional<Expansion> expansion = file.patterns.Expand(match.Scalar(), errors)) {
      regexes.Add(std::move(expansion->regex));
    }
  }
}

void ReadRuleFile(const std::string& path, Schema& schema, Diagnostics& diags, RuleFiles& result,
                  std::vector<ParsedFile>& parsed, StatePool* pool, const std::string& owner,
                  std::vector<std::shared_ptr<StateTable>>& tables, PrecompiledRegexes& regexes) {
  result.files_read.push_back(path);
  // Each rule's regex starts compiling on a helper as soon as its `match` is
  // parsed (rules: [{match: ...}] is at depth 3); those with named patterns
  // once the file's patterns are known (AddExpandedPatterns).
  const ScalarEntryObserver early_patterns = [&regexes](std::size_t depth, std::string_view key,
                                                        std::string_view value) {
    if (depth == 3 && key == "match" && !PatternLibrary::UsesPatterns(value)) {
      regexes.Add(std::string(value));
    }
  };
  std::optional<YAML::Node> root = LoadYamlFile(path, diags, &early_patterns);
  if (!root) return;
  YamlMap map(*root, path, diags, "rule file");
  if (!map.valid()) return;
  if (YAML::Node node = map.Node("parser"); node.IsDefined()) {
    ReadDeclaredParser(node, path, result.parser, diags);
  }
  // Shared family declarations, relative to this rule file.
  for (const std::string& schema_file :
       map.StringList("schema").value_or(std::vector<std::string>{})) {
    result.files_read.push_back(ResolveBeside(path, schema_file));
    LoadSchemaFile(result.files_read.back(), schema, diags);
  }
  const std::vector<std::string> source_labels = ReadSourceLabels(map, diags);
  if (YAML::Node metrics = map.Node("metrics"); metrics.IsDefined()) {
    LoadFamilies(metrics, path, schema, diags, source_labels);
  }
  // Named patterns of the rule writer's own, relative to this rule file.
  PatternLibrary patterns = PatternLibrary::Shipped();
  for (const std::string& patterns_file :
       map.StringList("patterns").value_or(std::vector<std::string>{})) {
    result.files_read.push_back(ResolveBeside(path, patterns_file));
    patterns.AddFile(result.files_read.back(), diags);
  }
  ParsedFile file{path,
                  map.Node("rules", Required::kYes),
                  map.Node("tests"),
                  std::move(patterns),
                  map.String("timezone").value_or(""),
                  {}};
  ReadStateTables(map.Node("state"), file, pool, owner, diags, tables);
  map.RejectUnknownKeys();
  AddExpandedPatterns(file, regexes);
  parsed.push_back(std::move(file));
}

// Pass 2 over one rule file: its rules compiled onto `rules`, their regexes
// taken from `regexes`. A rule defined twice, or one an earlier rule keeps
// from ever matching, is an error.
void CompileRules(const ParsedFile& file, const Schema& schema, Diagnostics& diags,
                  std::vector<CompiledRule>& rules, ShadowIndex& shadows,
                  PrecompiledRegexes& regexes) {
  if (!file.rules.IsDefined()) return;
  if (!file.rules.IsSequence()) {
    diags.Error(PositionOf(file.path, file.rules), "\"rules\" must be a list");
    return;
  }
  std::map<std::string, SourcePosition> names;
  RuleCompiler compiler(file, schema, diags, regexes);
  for (const YAML::Node& node : file.rules) {
    std::optional<CompiledRule> rule = compiler.Compile(node);
    if (!rule) continue;
    if (auto [it, inserted] = names.emplace(rule->name, rule->position); !inserted) {
      diags.Error(rule->position, "rule " + Quoted(rule->name) + " is defined twice (first at " +
                                      it->second.ToString() + ")");
      continue;
    }
    if (const CompiledRule* shadow = shadows.Find(rules, *rule)) {
      diags.Error(rule->position, "rule " + Quoted(rule->name) + " can never match: rule " +
                                      Quoted(shadow->name) + " at " + shadow->position.ToString() +
                                      " matches every record it would, and stops there (give "
                                      "that rule `continue: true`, or reorder them)");
      continue;
    }
    rules.push_back(std::move(*rule));
    shadows.Add(rules, rules.size() - 1);
  }
}

}  // namespace

RuleFiles LoadRuleFiles(const std::vector<std::string>& paths, Schema& schema, Diagnostics& diags,
                        StatePool* pool, const std::string& owner, std::size_t threads) {
  const int errors_before = diags.error_count();
  // Pass 1: every file's families, so a rule may write a family another file declares.
  std::vector<ParsedFile> parsed;
  RuleFiles result;
  std::vector<std::shared_ptr<StateTable>> tables;
  PrecompiledRegexes regexes(RuleRegexOptions(), threads);
  for (const std::string& path : paths) {
    ReadRuleFile(path, schema, diags, result, parsed, pool, owner, tables, regexes);
  }

  // Pass 2: the rules, in file order.
  std::vector<CompiledRule> rules;
  ShadowIndex shadows;
  for (const ParsedFile& file : parsed) {
    LoadTests(file, diags, result.tests);
    CompileRules(file, schema, diags, rules, shadows, regexes);
  }
  ReleaseInBackground(std::move(parsed));
  if (diags.error_count() == errors_before) {
    result.rule_set = RuleSet::Create(std::move(rules), diags, std::move(tables));
  }
  return result;
}

}  // namespace metrics_adapter
