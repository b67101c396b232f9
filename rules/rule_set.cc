#include "rules/rule_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iterator>

#include "adapter/base/strings.h"
#include "adapter/base/utf8.h"
#include "rules/atom_filter.h"
#include "rules/literal_bounds.h"

namespace metrics_adapter {

std::string_view UpdateOpName(UpdateOp op) {
  switch (op) {
    case UpdateOp::kInc:
      return "inc";
    case UpdateOp::kAdd:
      return "add";
    case UpdateOp::kSet:
      return "set";
    case UpdateOp::kObserve:
      return "observe";
  }
  return "unknown";
}

RE2::Options RuleRegexOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  // Logs are bytes, not always valid UTF-8. In UTF-8 mode `.`, `\S` and
  // `[^"]` never match an invalid byte, so one bad byte would silently drop
  // a whole line. Matching bytes keeps such lines; captured label values are
  // made valid UTF-8 afterwards. (A literal non-ASCII character in a pattern
  // still matches its UTF-8 bytes.)
  options.set_encoding(RE2::Options::EncodingLatin1);
  // RE2's default; stated so the budget per rule is a decision, not an accident.
  options.set_max_mem(8 << 20);
  return options;
}

MatchScratch::MatchScratch(const RuleSet& rules)
    : captures(static_cast<std::size_t>(rules.max_captures()) + 1),
      label_values(static_cast<std::size_t>(rules.max_labels())),
      label_storage(static_cast<std::size_t>(rules.max_labels())) {
  candidates.reserve(rules.rules().size());
  set_matches.reserve(rules.rules().size());
  atoms.reserve(rules.key_atom_count());
}

MatchCounts::MatchCounts(const RuleSet& rules) : rule_matches(rules.rules().size(), 0) {}

void MatchCounts::Add(const MatchCounts& other) {
  for (std::size_t i = 0; i < rule_matches.size() && i < other.rule_matches.size(); ++i) {
    rule_matches[i] += other.rule_matches[i];
  }
  unmatched += other.unmatched;
  invalid_values += other.invalid_values;
  invalid_utf8 += other.invalid_utf8;
  for (std::size_t i = 0; i < update_errors.size(); ++i) update_errors[i] += other.update_errors[i];
}

void MatchCounts::Reset() {
  std::fill(rule_matches.begin(), rule_matches.end(), 0);
  unmatched = invalid_values = invalid_utf8 = 0;
  update_errors.fill(0);
}

void CompiledRule::SetBounds(RegexBounds bounds) {
  range_min = std::move(bounds.range_min);
  range_max = std::move(bounds.range_max);
  literal_prefix = std::move(bounds.literal_prefix);
  literal_suffix = std::move(bounds.literal_suffix);
  exact_literal = bounds.exact_literal;
  bounds_found = true;
}

std::string_view BoundLabelValue(const LabelExpr& label, std::string_view raw,
                                 std::string& storage) {
  std::string_view result = raw;
  for (const auto& [from, mapped] : label.label_map) {
    if (result == from) {
      result = mapped;
      break;
    }
  }
  if (label.bound.fold != LabelBound::Fold::kNone) {
    if (result.data() != storage.data()) storage.assign(result);
    for (char& c : storage) {
      c = static_cast<char>(label.bound.fold == LabelBound::Fold::kLower
                                ? std::tolower(static_cast<unsigned char>(c))
                                : std::toupper(static_cast<unsigned char>(c)));
    }
    result = storage;
  }
  if (!label.bound.values.empty() && std::find(label.bound.values.begin(), label.bound.values.end(),
                                               result) == label.bound.values.end()) {
    result = label.bound.other;
  }
  return result;
}

namespace {

// Whether two emits' labels always give the same values for one match:
// equal pieces, maps and bounds, and no `$(...)` piece (its text lives in
// the expression scratch, which the next emit resets).
bool SameLabels(const std::vector<LabelExpr>& a, const std::vector<LabelExpr>& b) {
  const auto same_piece = [](const LabelExpr::Piece& x, const LabelExpr::Piece& y) {
    return x.kind == y.kind && x.kind != LabelExpr::Piece::Kind::kExpression && x.text == y.text &&
           x.capture == y.capture;
  };
  const auto same_label = [&](const LabelExpr& x, const LabelExpr& y) {
    return std::equal(x.pieces.begin(), x.pieces.end(), y.pieces.begin(), y.pieces.end(),
                      same_piece) &&
           x.label_map == y.label_map && x.bound == y.bound;
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), same_label);
}

// Points each emit at the first earlier one of its rule with the same labels.
void ShareLabels(CompiledRule& rule) {
  for (std::size_t k = 0; k < rule.emits.size(); ++k) {
    EmitPlan& emit = rule.emits[k];
    emit.same_labels_as = -1;
    for (std::size_t j = 0; j < k; ++j) {
      if (rule.emits[j].same_labels_as < 0 && SameLabels(rule.emits[j].labels, emit.labels)) {
        emit.same_labels_as = static_cast<int>(j);
        break;
      }
    }
  }
}

}  // namespace

std::shared_ptr<const RuleSet> RuleSet::Create(
    std::vector<CompiledRule> rules, Diagnostics& diags,
    std::vector<std::shared_ptr<StateTable>> state_tables) {
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->state_tables_ = std::move(state_tables);
  for (const CompiledRule& rule : rules) {
    set->max_captures_ = std::max(set->max_captures_, rule.regex->NumberOfCapturingGroups());
    for (const EmitPlan& emit : rule.emits) {
      set->max_labels_ = std::max(set->max_labels_, static_cast<int>(emit.labels.size()));
    }
  }
  if (rules.size() >= kPrefilterMinRules) {
    std::vector<const RE2*> regexes;
    regexes.reserve(rules.size());
    for (const CompiledRule& rule : rules) regexes.push_back(rule.regex.get());
    std::string error;
    set->atom_filter_ = AtomFilter::Create(regexes, kMinAtomLength, &error);
    if (!set->atom_filter_) {
      diags.Error(rules.front().position, "the rules of this source: " + error + "; split them");
      return nullptr;
    }
  }
  for (CompiledRule& rule : rules) {
    if (!rule.bounds_found) rule.SetBounds(BoundsOf(*rule.regex));
    ShareLabels(rule);
  }
  set->IndexChecks(rules);
  set->rules_ = std::move(rules);
  return set;
}

void RuleSet::IndexChecks(const std::vector<CompiledRule>& rules) {
  unchecked_.assign(rules.size(), 0);
  // Rules by the first byte a record must start with, when some rule says:
  // a record then meets only the rules that can match it, without a check
  // per rule (a CSV page has 100 columns, its rules want a handful).
  const bool any_prefix = std::any_of(
      rules.begin(), rules.end(), [](const auto& rule) { return !rule.literal_prefix.empty(); });
  checked_by_first_byte_.assign(any_prefix ? kNoFirstByte + 1 : 1, {});
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const CompiledRule& rule = rules[i];
    if (!rule.HasChecks()) {
      unchecked_[i] = 1;
      unchecked_rules_.push_back(static_cast<int>(i));
      continue;
    }
    for (std::size_t byte = 0; byte < checked_by_first_byte_.size(); ++byte) {
      if (rule.literal_prefix.empty() ||
          static_cast<unsigned char>(rule.literal_prefix.front()) == byte) {
        checked_by_first_byte_[byte].push_back(static_cast<int>(i));
      }
    }
  }
}

const std::vector<int>& RuleSet::FindCandidates(const Record& record, std::vector<int>& out,
                                                std::vector<int>& set_matches,
                                                std::vector<int>& atoms) const {
  // A few byte comparisons per rule drop most records of a status page
  // before any regex runs. Only rules that have such checks are visited:
  // a rule without any passes every record, and with many of them (one
  // access-log rule per URL prefix) visiting each would cost more than the
  // pre-filter that actually tells them apart.
  out.clear();
  std::size_t first = 0;
  if (checked_by_first_byte_.size() > 1) {
    first = record.text.empty() ? kNoFirstByte : static_cast<unsigned char>(record.text.front());
  }
  for (int i : checked_by_first_byte_[first]) {
    if (rules_[static_cast<std::size_t>(i)].MayMatch(record)) out.push_back(i);
  }
  if (out.size() + unchecked_rules_.size() < kPrefilterMinRules || !atom_filter_) {
    // Fewer than kPrefilterMinRules candidates in all (without a
    // pre-filter there are fewer rules than that): each is tried in turn.
    // `out` has room for every rule (MatchScratch reserves it), so the
    // inserts allocate nothing.
    for (int i : unchecked_rules_) out.insert(std::lower_bound(out.begin(), out.end(), i), i);
    return out;
  }
  KeepByAtoms(record.text, out, set_matches, atoms);
  if (out.size() >= kPrefilterMinRules) KeepByPatterns(record.text, out, set_matches);
  return out;
}

void RuleSet::KeepByAtoms(std::string_view text, std::vector<int>& out,
                          std::vector<int>& potentials, std::vector<int>& atoms) const {
  // The rules the atoms of `text` allow, in rule order ...
  atom_filter_->Candidates(text, potentials, atoms);
  // ... of which the unchecked ones and those that passed their checks
  // (`out`, in rule order) are kept, into `potentials`; that becomes `out`.
  std::size_t kept = 0;
  auto passed = out.cbegin();
  for (int index : potentials) {
    if (unchecked_[static_cast<std::size_t>(index)] == 0) {
      passed = std::lower_bound(passed, out.cend(), index);
      if (passed == out.cend() || *passed != index) continue;
    }
    potentials[kept++] = index;
  }
  potentials.resize(kept);
  out.swap(potentials);
}

void RuleSet::KeepByPatterns(std::string_view text, std::vector<int>& out,
                             std::vector<int>& set_matches) const {
  const RE2::Set* patterns = PatternSet();
  if (patterns == nullptr) return;
  set_matches.clear();
  patterns->Match(text, &set_matches);
  // RE2::Set reports matches in no particular order; rules run in file order.
  std::sort(set_matches.begin(), set_matches.end());
  std::size_t kept = 0;
  auto next = set_matches.cbegin();
  for (int index : out) {
    next = std::lower_bound(next, set_matches.cend(), index);
    if (next == set_matches.cend()) break;
    if (*next == index) out[kept++] = index;
  }
  out.resize(kept);
}

const RE2::Set* RuleSet::PatternSet() const {
  std::call_once(pattern_set_once_, [this] {
    auto patterns = std::make_unique<RE2::Set>(RuleRegexOptions(), RE2::UNANCHORED);
    for (const CompiledRule& rule : rules_) {
      // Every pattern compiled on its own with the same options.
      if (patterns->Add(rule.regex->pattern(), nullptr) < 0) return;
    }
    if (patterns->Compile()) pattern_set_ = std::move(patterns);
  });
  return pattern_set_.get();
}

bool CompiledRule::HasChecks() const {
  return !literal_prefix.empty() || !literal_suffix.empty() || !range_min.empty() ||
         !match_labels.empty();
}

bool CompiledRule::MayMatch(const Record& record) const {
  const std::string_view text = record.text;
  // The first and last bytes settle most records without a call to memcmp.
  if (!literal_prefix.empty() && (text.empty() || text.front() != literal_prefix.front() ||
                                  !text.starts_with(literal_prefix))) {
    return false;
  }
  if (!literal_suffix.empty() &&
      (text.empty() || text.back() != literal_suffix.back() || !text.ends_with(literal_suffix))) {
    return false;
  }
  if (!range_min.empty() && (text < range_min || text > range_max)) return false;
  return LabelsHold(record);
}

bool CompiledRule::LabelsHold(const Record& record) const {
  for (const auto& [name, value] : match_labels) {
    bool found = false;
    for (const RecordLabel& label : record.labels) {
      if (label.name == name) {
        found = label.value == value;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

bool RuleSet::Match(const Record& record, MatchScratch& scratch, MatchCounts& counts,
                    UpdateSink& sink) const {
  const std::string_view text = record.text;
  bool matched = false;
  for (int index : FindCandidates(record, scratch.candidates, scratch.set_matches, scratch.atoms)) {
    const CompiledRule& rule = rules_[static_cast<std::size_t>(index)];
    const int groups = rule.regex->NumberOfCapturingGroups() + 1;
    if (rule.exact_literal) {
      scratch.captures[0] = text;  // the whole match, as the regex would give it
    } else if (!rule.regex->Match(text, 0, text.size(), RE2::UNANCHORED, scratch.captures.data(),
                                  groups)) {
      continue;
    }
    scratch.time_state = MatchScratch::TimeState::kUnread;
    if (rule.when && !Holds(rule, *rule.when, record, scratch, counts, nullptr)) continue;
    matched = true;
    ++counts.rule_matches[static_cast<std::size_t>(index)];
    Emit(rule, record, scratch, counts, sink);
    if (!rule.state_actions.empty()) ApplyStateActions(rule, record, scratch, counts, nullptr);
    if (!rule.continue_matching) break;
  }
  if (!matched) ++counts.unmatched;
  return matched;
}

namespace {

// The value of the record label `name`; empty if the record has none.
std::string_view RecordLabelValue(const Record& record, std::string_view name) {
  for (const RecordLabel& label : record.labels) {
    if (label.name == name) return label.value;
  }
  return {};
}

// A `$(...)` label piece's text. Out of line, so that PieceValue, which
// every label of every update runs, stays small enough to inline.
[[gnu::noinline]] std::string_view ExpressionPieceValue(const Expression& expression,
                                                        const EvalInput& input, EvalScratch& eval,
                                                        EvalError& error) {
  Value value;
  std::string_view text;
  error = Evaluate(expression, input, eval, value);
  if (error == EvalError::kNone) error = ValueText(value, eval, text);
  return text;
}

[[gnu::always_inline]] inline std::string_view PieceValue(const LabelExpr::Piece& piece,
                                                          const EvalInput& input, EvalScratch& eval,
                                                          EvalError& error) {
  switch (piece.kind) {
    case LabelExpr::Piece::Kind::kLiteral:
      return piece.text;
    case LabelExpr::Piece::Kind::kCapture:
      return input.captures[piece.capture];
    case LabelExpr::Piece::Kind::kRecordLabel:
      return RecordLabelValue(*input.record, piece.text);
    case LabelExpr::Piece::Kind::kExpression:
      return ExpressionPieceValue(*piece.expression, input, eval, error);
  }
  return {};
}

// The number an expression gives, for an emit's value: false (counted) when
// it gives none.
bool ExpressionNumber(const Expression& expression, const EvalInput& input, EvalScratch& eval,
                      MatchCounts& counts, double* number) {
  Value value;
  EvalError error = Evaluate(expression, input, eval, value);
  if (error == EvalError::kNone && value.kind == ValueKind::kText &&
      !TextToNumber(value.text, value)) {
    error = EvalError::kInvalidValue;
  }
  if (error == EvalError::kNone && !std::isfinite(value.AsDouble())) {
    error = EvalError::kInvalidValue;
  }
  counts.Count(error);
  *number = value.AsDouble();
  return error == EvalError::kNone;
}

// What the expressions of one matched rule read besides captures: its time,
// the clock, the rule set's state tables.
class RuleEnvironment final : public EvalEnvironment {
 public:
  RuleEnvironment(const CompiledRule& rule, const std::vector<std::shared_ptr<StateTable>>& tables,
                  MatchScratch& scratch)
      : rule_(rule), tables_(tables), scratch_(scratch) {}

  EvalError Time(double& seconds) override {
    if (scratch_.time_state == MatchScratch::TimeState::kUnread) {
      const re2::StringPiece text =
          rule_.time_layout && rule_.time_capture >= 0
              ? scratch_.captures[static_cast<std::size_t>(rule_.time_capture)]
              : re2::StringPiece();
      const bool ok =
          text.data() != nullptr &&
          rule_.time_layout->Parse(std::string_view(text.data(), text.size()), scratch_.time);
      scratch_.time_state = ok ? MatchScratch::TimeState::kRead : MatchScratch::TimeState::kInvalid;
    }
    seconds = scratch_.time;
    return scratch_.time_state == MatchScratch::TimeState::kRead ? EvalError::kNone
                                                                 : EvalError::kInvalidTime;
  }

  double Now() override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  EvalError StateRead(int table, std::span<const std::string_view> key, Value& out) override {
    return tables_[static_cast<std::size_t>(table)]->Read(key, out, scratch_.eval);
  }

 private:
  const CompiledRule& rule_;
  const std::vector<std::shared_ptr<StateTable>>& tables_;
  MatchScratch& scratch_;
};

// The value `emit` applies for this match, in its family's base unit, into
// *value; false when the update is skipped: an optional group that did not
// take part (e.g. "-" for no bytes) or a record with no number means "no
// value", not an error; a value that is not a usable number (or a negative
// counter increment) is counted in `counts`. Written as one flat function on
// purpose: it runs for every emit of every matched line.
bool EmitValue(const ValueExpr& expr, bool non_negative, const EvalInput& input, EvalScratch& eval,
               MatchCounts& counts, double* value) {
  const Record& record = *input.record;
  *value = expr.constant;
  if (expr.source == ValueExpr::Source::kCapture ||
      expr.source == ValueExpr::Source::kRecordLabel) {
    std::string_view text;
    if (expr.source == ValueExpr::Source::kCapture) {
      const re2::StringPiece group = input.captures[expr.capture];
      if (group.data() == nullptr) return false;
      text = group;
    } else {
      text = RecordLabelValue(record, expr.label);
    }
    std::optional<double> number;
    if (expr.value_map.empty()) {
      number = ParseNumber(text);
    } else {
      for (const auto& [key, mapped] : expr.value_map) {
        if (key == text) number = mapped;
      }
    }
    if (!number) {
      ++counts.invalid_values;
      return false;
    }
    *value = *number;
  } else if (expr.source == ValueExpr::Source::kRecordValue) {
    const std::optional<double> number = record.Number();
    if (!number) return false;
    if (!std::isfinite(*number)) {
      ++counts.invalid_values;  // NaN or ±Inf from a format that allows them
      return false;
    }
    *value = *number;
  } else if (expr.source == ValueExpr::Source::kExpression) {
    if (!ExpressionNumber(*expr.expression, input, eval, counts, value)) return false;
  }
  *value = expr.divisor == 1 ? *value * expr.scale : *value / expr.divisor;
  if (non_negative && *value < 0) {
    ++counts.invalid_values;
    return false;
  }
  return true;
}

// A label's value for one match: its pieces joined, case-folded, held to the
// schema's bound and made valid UTF-8. It may view `storage`, the label's own
// buffer, so it is valid until that changes. Flat, as EmitValue.
// An expression that fails sets `error`.
std::string_view LabelValue(const LabelExpr& label, const EvalInput& input, EvalScratch& eval,
                            std::string& storage, MatchCounts& counts, EvalError& error) {
  std::string_view result;
  if (label.pieces.size() == 1) {
    result = PieceValue(label.pieces[0], input, eval, error);
  } else {
    storage.clear();
    for (const LabelExpr::Piece& piece : label.pieces) {
      storage.append(PieceValue(piece, input, eval, error));
    }
    result = storage;
  }
  result = BoundLabelValue(label, result, storage);
  if (!IsValidUtf8(result)) {
    ++counts.invalid_utf8;
    std::string fixed;
    AppendSanitizedUtf8(result, fixed);
    storage = std::move(fixed);
    result = storage;
  }
  return result;
}

}  // namespace

namespace {

// "set state.NAME[k1, k2] = v" (or "delete ...", or why neither), for explain.
std::string DescribeStateAction(const StateTable& table, bool remove,
                                std::span<const std::string_view> key, const Value& value,
                                EvalError error, MatchScratch& scratch) {
  std::string out =
      std::string(remove ? "delete" : "set") + " state." + table.declaration().name + "[";
  for (std::size_t i = 0; i < key.size(); ++i) {
    out += (i ? ", \"" : "\"") + std::string(key[i]) + "\"";
  }
  out += "]";
  if (error != EvalError::kNone) {
    return out + ": skipped (" +
           (error == EvalError::kAbsent ? std::string("a capture did not take part")
                                        : std::string(EvalErrorName(error))) +
           ")";
  }
  if (!remove) {
    std::string_view text;
    if (ValueText(value, scratch.eval, text) == EvalError::kNone) out += " = " + std::string(text);
  }
  return out;
}

}  // namespace

void RuleSet::StateActionsForExplain(const CompiledRule& rule, const Record& record,
                                     MatchScratch& scratch, std::vector<std::string>& out) const {
  MatchCounts counts(*this);
  ApplyStateActions(rule, record, scratch, counts, &out);
}

bool RuleSet::Holds(const CompiledRule& rule, const Expression& condition, const Record& record,
                    MatchScratch& scratch, MatchCounts& counts, ExprTrace* trace) const {
  RuleEnvironment environment(rule, state_tables_, scratch);
  const EvalInput input{&record, scratch.captures.data(), &environment};
  scratch.eval.Reset();
  Value value;
  const EvalError error = Evaluate(condition, input, scratch.eval, value, trace);
  counts.Count(error);
  return error == EvalError::kNone && value.boolean;
}

EvalError RuleSet::EvaluateForExplain(const CompiledRule& rule, const Expression& expr,
                                      const Record& record, MatchScratch& scratch, ExprTrace& trace,
                                      Value& out) const {
  scratch.time_state = MatchScratch::TimeState::kUnread;
  RuleEnvironment environment(rule, state_tables_, scratch);
  const EvalInput input{&record, scratch.captures.data(), &environment};
  scratch.eval.Reset();
  return Evaluate(expr, input, scratch.eval, out, &trace);
}

void RuleSet::Emit(const CompiledRule& rule, const Record& record, MatchScratch& scratch,
                   MatchCounts& counts, UpdateSink& sink) const {
  RuleEnvironment environment(rule, state_tables_, scratch);
  const EvalInput input{&record, scratch.captures.data(), &environment};
  // The emit whose labels scratch.label_values holds (the first of those
  // that share them), and the invalid UTF-8 values working them out counted.
  int labels_of = -1;
  std::uint64_t labels_invalid_utf8 = 0;
  for (std::size_t e = 0; e < rule.emits.size(); ++e) {
    const EmitPlan& emit = rule.emits[e];
    if (emit.when && !Holds(rule, *emit.when, record, scratch, counts, nullptr)) continue;
    scratch.eval.Reset();
    double value = 0;
    if (!EmitValue(emit.value, emit.non_negative, input, scratch.eval, counts, &value)) {
      continue;
    }
    const int labels = emit.same_labels_as >= 0 ? emit.same_labels_as : static_cast<int>(e);
    const bool same_labels = labels == labels_of;  // then also the last update's
    if (same_labels) {
      // Worked out for an earlier emit: the same values, counted again as
      // if worked out anew.
      counts.invalid_utf8 += labels_invalid_utf8;
    } else {
      const std::uint64_t invalid_utf8 = counts.invalid_utf8;
      EvalError error = EvalError::kNone;
      for (std::size_t i = 0; i < emit.labels.size(); ++i) {
        scratch.label_values[i] = LabelValue(emit.labels[i], input, scratch.eval,
                                             scratch.label_storage[i], counts, error);
      }
      if (error != EvalError::kNone) {
        counts.Count(error);
        labels_of = -1;
        continue;
      }
      labels_of = labels;
      labels_invalid_utf8 = counts.invalid_utf8 - invalid_utf8;
    }
    sink.Apply(
        Update{emit.family, emit.op, value,
               std::span<const std::string_view>(scratch.label_values.data(), emit.labels.size()),
               same_labels});
  }
}

void RuleSet::ApplyStateActions(const CompiledRule& rule, const Record& record,
                                MatchScratch& scratch, MatchCounts& counts,
                                std::vector<std::string>* explain) const {
  RuleEnvironment environment(rule, state_tables_, scratch);
  const EvalInput input{&record, scratch.captures.data(), &environment};
  for (const CompiledRule::StateAction& action : rule.state_actions) {
    scratch.eval.Reset();
    std::string_view key[EvalScratch::kMaxKeyParts];
    EvalError error = EvalError::kNone;
    for (std::size_t i = 0; i < action.key.size() && error == EvalError::kNone; ++i) {
      Value part;
      error = Evaluate(*action.key[i], input, scratch.eval, part);
      if (error == EvalError::kNone) error = ValueText(part, scratch.eval, key[i]);
    }
    const std::span<const std::string_view> parts(key, action.key.size());
    StateTable& table = *state_tables_[static_cast<std::size_t>(action.table)];
    Value value;
    if (error == EvalError::kNone && !action.remove) {
      error = Evaluate(*action.value, input, scratch.eval, value);
      if (error == EvalError::kNone && value.kind == ValueKind::kText &&
          !TextToNumber(value.text, value)) {
        error = EvalError::kInvalidValue;
      }
    }
    if (explain) {
      explain->push_back(DescribeStateAction(table, action.remove, parts, value, error, scratch));
      continue;
    }
    if (error == EvalError::kNone) {
      if (action.remove) {
        table.Delete(parts, scratch.eval);
      } else {
        error = table.Set(parts, value, scratch.eval);
      }
    }
    counts.Count(error);
  }
}

}  // namespace metrics_adapter
