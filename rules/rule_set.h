// RuleSet: the compiled, immutable form of one or more rule files. It matches
// a record's text against the rules in order and turns each match into
// updates of schema families.
//
// Matching: first each rule's cheap checks (literal prefix and suffix, match
// range, record labels) drop the rules a record cannot match; rules without
// such checks are not visited at all. If kPrefilterMinRules or more remain,
// an AtomFilter narrows them down: one pass of an RE2::Set of literal texts
// the rules need (such as " /api/v2/") over the text keeps the rules whose
// text occurs, and those that need none. If that still leaves kPrefilterMinRules or
// more (rules without atoms, or atoms every record has), one pass of an
// RE2::Set of the whole patterns finds those that match. Only the rules left
// run their own RE2 to extract captures, in rule order. Every step only drops
// rules that cannot match, so the result is that of trying every rule in
// turn. The first matching rule wins unless it says `continue: true`. A
// RuleSet is immutable after Create (the set of whole patterns is built on
// first use, once) and safe to share between threads; per-thread mutable
// state lives in a MatchScratch.
//
// Usage:
//   MatchScratch scratch(*rules);
//   MatchCounts counts(*rules);
//   rules->Match("GET /a 200 0.004", scratch, counts, sink);
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "parsers/number.h"
#include "parsers/parser.h"
#include "rules/atom_filter.h"
#include "rules/expression/evaluator.h"
#include "rules/expression/expression.h"
#include "rules/literal_bounds.h"
#include "rules/schema.h"
#include "rules/state/state_table.h"
#include "rules/time/time_layout.h"

namespace metrics_adapter {

enum class UpdateOp { kInc, kAdd, kSet, kObserve };

std::string_view UpdateOpName(UpdateOp op);

// One change to one series. `label_values` follow the family's label order
// and are valid UTF-8; they are valid only during UpdateSink::Apply.
struct Update {
  int family;
  UpdateOp op;
  double value;
  std::span<const std::string_view> label_values;
  // Whether `label_values` are those of the update applied just before to
  // the same sink (the emits of one rule that share labels): a sink that
  // keeps a copy may refer to the one it made then.
  bool same_labels = false;
};

class UpdateSink {
 public:
  virtual ~UpdateSink() = default;
  virtual void Apply(const Update& update) = 0;
};

// Where an emit's value comes from, converted to the family's base unit.
struct ValueExpr {
  // kExpression: anything but the plain forms (`$total - $body`), compiled.
  enum class Source { kConstant, kCapture, kRecordValue, kRecordLabel, kExpression };
  Source source = Source::kConstant;
  int capture = -1;   // kCapture: the capture group index
  std::string label;  // kRecordLabel: the record label's name
  double constant = 1;
  // Into the base unit: multiplied by `scale`, or, for units below it
  // (ms, percent), divided by the exact power of ten `divisor` (103 ms is
  // 0.103, where 103 * 0.001 would be 0.10300000000000001).
  double scale = 1;
  double divisor = 1;
  std::shared_ptr<const Expression> expression;  // kExpression
  // Text to number (`value_map: {UP: 1, DOWN: 0}`): a captured or labelled
  // text is looked up here instead of read as a number; text not in the map
  // is an invalid value.
  std::vector<std::pair<std::string, double>> value_map;
};

// A label value: literal text with capture references and record labels
// spliced in.
struct LabelExpr {
  struct Piece {
    enum class Kind { kLiteral, kCapture, kRecordLabel, kExpression };
    Kind kind = Kind::kLiteral;
    std::string text;  // kLiteral: the text; kRecordLabel: the label's name
    int capture = -1;  // kCapture: the capture group index
    std::shared_ptr<const Expression> expression;  // kExpression: `$(...)`
  };
  std::vector<Piece> pieces;
  // `label_map`: raw values to the ones the schema's bound knows, applied
  // before case folding and the bound; a value not in it is kept.
  std::vector<std::pair<std::string, std::string>> label_map;
  LabelBound bound;  // the schema's bound on this label (no values: unbounded)
};

// What the exposition shows for a label whose pieces joined to `raw`: mapped
// by `label_map`, case-folded and held to the schema's bound. The result views
// `raw`, `storage` (which it may overwrite; `raw` may view it) or the label's
// own strings. It is not yet made valid UTF-8: callers do that, and count it.
std::string_view BoundLabelValue(const LabelExpr& label, std::string_view raw,
                                 std::string& storage);

struct EmitPlan {
  int family = -1;
  UpdateOp op = UpdateOp::kInc;
  ValueExpr value;
  std::vector<LabelExpr> labels;           // in the family's label order
  bool non_negative = false;               // counters only go up
  std::shared_ptr<const Expression> when;  // `when:`: the emit applies only when it holds
  SourcePosition position;
  // The first emit of the same rule with these very labels (pieces, maps and
  // bounds alike, no `$(...)` piece), set by RuleSet::Create; -1 if this is
  // the first. A match works the values out once for all of them.
  int same_labels_as = -1;
};

struct CompiledRule {
  std::string name;
  std::string file;  // the rule file as named in the config
  std::unique_ptr<RE2> regex;
  // Record labels that must have exactly these values for the rule to match
  // (`match_labels: {type: c}`): statsd types, gauge deltas, CSV rows.
  std::vector<std::pair<std::string, std::string>> match_labels;
  bool continue_matching = false;
  // Whether `match` used named patterns: `regex` is then their expansion.
  bool uses_named_patterns = false;
  // `when:`: a line the regex matches is the rule's only when this holds;
  // else the rule counts as not matching and later rules are tried.
  std::shared_ptr<const Expression> when;
  std::vector<EmitPlan> emits;
  SourcePosition position;
  // `time:`: the capture that holds the line's time and how to read it, for
  // $time; read at most once per match, when an expression asks.
  int time_capture = -1;
  std::shared_ptr<const TimeLayout> time_layout;
  // `state_set` and `state_delete`: after the emits, sets, then deletes.
  struct StateAction {
    int table = -1;  // index into RuleSet::state_tables()
    bool remove = false;
    std::vector<std::shared_ptr<const Expression>> key;
    std::shared_ptr<const Expression> value;  // sets only
  };
  std::vector<StateAction> state_actions;
  // Every text the regex can match lies in [range_min, range_max] (from
  // RE2::PossibleMatchRange, for patterns anchored at both ends), starts
  // with literal_prefix (what the range's ends share) and ends with
  // literal_suffix (see literal_bounds.h). Empty means no bound. They let
  // most records of a status page skip the rule without running its regex.
  std::string range_min, range_max;
  std::string literal_prefix, literal_suffix;
  // The regex matches range_min and nothing else (a literal such as
  // `^status$`, the usual rule for a JSON or CSV record) and has no capture
  // group: passing the range check is the match, and the regex is not run.
  bool exact_literal = false;
  // Whether the five above are set: where the regex was compiled
  // (precompiled_regexes.h), else by RuleSet::Create.
  bool bounds_found = false;

  // Sets the bounds above from BoundsOf(*regex) (literal_bounds.h).
  void SetBounds(RegexBounds bounds);

  // Whether `record` passes the rule's cheap checks: its bounds and labels.
  bool MayMatch(const Record& record) const;
  // Whether the rule has any such check; without one, MayMatch is always true.
  bool HasChecks() const;
  // Whether `record` has the labels match_labels asks for.
  bool LabelsHold(const Record& record) const;
};

class RuleSet;

// Per-thread buffers reused across Match calls, so matching allocates nothing
// in the steady state.
struct MatchScratch {
  explicit MatchScratch(const RuleSet& rules);
  std::vector<int> candidates;
  std::vector<int> set_matches;            // what a pre-filter step reports
  std::vector<int> atoms;                  // the atoms found in the text
  std::vector<re2::StringPiece> captures;  // group 0 is the whole match
  std::vector<std::string_view> label_values;
  std::vector<std::string> label_storage;
  EvalScratch eval;  // text expressions build, reset per update
  // The matched rule's $time: not read yet, read into `time`, or unreadable.
  enum class TimeState { kUnread, kRead, kInvalid } time_state = TimeState::kUnread;
  double time = 0;
};

// What a caller counts while matching; flushed into self-metrics in batches.
struct MatchCounts {
  explicit MatchCounts(const RuleSet& rules);
  void Reset();
  // Adds `other`'s counts to these (counts made by several threads over one
  // read). Both must count the same RuleSet.
  void Add(const MatchCounts& other);
  std::vector<std::uint64_t> rule_matches;  // by rule index
  std::uint64_t unmatched = 0;
  std::uint64_t invalid_values = 0;  // a captured value that is not a number
  std::uint64_t invalid_utf8 = 0;    // label values with invalid UTF-8 replaced
  // Updates an expression skipped, by EvalError (kInvalidValue is counted
  // in invalid_values instead, as the plain forms count it).
  std::array<std::uint64_t, kEvalErrorCount> update_errors{};
  void Count(EvalError error) {
    if (error == EvalError::kInvalidValue) {
      ++invalid_values;
    } else if (error != EvalError::kNone && error != EvalError::kAbsent) {
      ++update_errors[static_cast<std::size_t>(error)];
    }
  }
};

class RuleSet {
 public:
  // From this many candidates on, the pre-filter picks among them. Below
  // it, a matching line costs one regex match instead of two.
  static constexpr std::size_t kPrefilterMinRules = 4;
  // Literal texts shorter than this are not looked for: a rule that needs
  // only shorter ones passes the atom step.
  static constexpr int kMinAtomLength = 3;

  // Takes the compiled rules; builds the cheap-check index and the atom
  // pre-filter. Reports to `diags` if the pre-filter cannot be built.
  // `state_tables` are the tables the rules' state indices refer to.
  static std::shared_ptr<const RuleSet> Create(
      std::vector<CompiledRule> rules, Diagnostics& diags,
      std::vector<std::shared_ptr<StateTable>> state_tables = {});

  // Matches `text` and sends every resulting update to `sink`. Returns true
  // if at least one rule matched. Never throws.
  bool Match(const Record& record, MatchScratch& scratch, MatchCounts& counts,
             UpdateSink& sink) const;
  // A record that is just `text`, as the `line` parser makes.
  bool Match(std::string_view text, MatchScratch& scratch, MatchCounts& counts,
             UpdateSink& sink) const {
    return Match(Record{text, std::nullopt, {}}, scratch, counts, sink);
  }

  const std::vector<CompiledRule>& rules() const { return rules_; }
  const std::vector<std::shared_ptr<StateTable>>& state_tables() const { return state_tables_; }

  // For `explain`: the rules the pre-filter lets through (all without one),
  // and the updates one matched rule emits from the captures in `scratch`.
  const std::vector<int>& CandidatesForExplain(const Record& record, std::vector<int>& out) const {
    std::vector<int> set_matches, atoms;
    return FindCandidates(record, out, set_matches, atoms);
  }
  void EmitForExplain(const CompiledRule& rule, const Record& record, MatchScratch& scratch,
                      MatchCounts& counts, UpdateSink& sink) const {
    Emit(rule, record, scratch, counts, sink);
  }
  // For `explain`: what the rule's state actions would set and delete, one
  // line each ("set state.sessions[\"10.0.0.1\"] = 1700000000"). Nothing is
  // written: explaining a line never changes a running adapter's state.
  void StateActionsForExplain(const CompiledRule& rule, const Record& record, MatchScratch& scratch,
                              std::vector<std::string>& out) const;
  // For `explain`: `expr` of `rule` evaluated for the match in `scratch`,
  // with the inputs it read and its result in `trace`. Resets the time the
  // match's expressions share, as a new match does.
  EvalError EvaluateForExplain(const CompiledRule& rule, const Expression& expr,
                               const Record& record, MatchScratch& scratch, ExprTrace& trace,
                               Value& out) const;
  int max_captures() const { return max_captures_; }
  std::size_t key_atom_count() const { return atom_filter_ ? atom_filter_->key_atom_count() : 0; }
  int max_labels() const { return max_labels_; }

 private:
  RuleSet() = default;
  // The rules that may match `record`, in rule order: those whose cheap
  // checks it passes and, when that leaves several, that the pre-filter
  // keeps. Returns `out` or `set_matches`, swapped into `out`;
  // `set_matches` and `atoms` are buffers for the pre-filter's steps.
  const std::vector<int>& FindCandidates(const Record& record, std::vector<int>& out,
                                         std::vector<int>& set_matches,
                                         std::vector<int>& atoms) const;
  // Keeps, in rule order, the candidates the atoms of `text` allow.
  void KeepByAtoms(std::string_view text, std::vector<int>& out, std::vector<int>& potentials,
                   std::vector<int>& atoms) const;
  // Keeps, in rule order, the candidates whose whole pattern matches `text`.
  void KeepByPatterns(std::string_view text, std::vector<int>& out,
                      std::vector<int>& set_matches) const;
  // The RE2::Set of every rule's pattern, built on first use; null if it
  // does not fit RE2's memory budget (candidates are then tried in turn).
  const RE2::Set* PatternSet() const;
  void Emit(const CompiledRule& rule, const Record& record, MatchScratch& scratch,
            MatchCounts& counts, UpdateSink& sink) const;
  // Whether `condition` of `rule` holds for the match in `scratch`; an error
  // is counted and does not hold.
  bool Holds(const CompiledRule& rule, const Expression& condition, const Record& record,
             MatchScratch& scratch, MatchCounts& counts, ExprTrace* trace) const;

  // The rule's state_set and state_delete, after its emits. With
  // `explain`, describes each instead of applying it.
  void ApplyStateActions(const CompiledRule& rule, const Record& record, MatchScratch& scratch,
                         MatchCounts& counts, std::vector<std::string>* explain) const;

  // Fills the indexes below from the rules' checks.
  void IndexChecks(const std::vector<CompiledRule>& rules);

  std::vector<CompiledRule> rules_;
  std::vector<std::shared_ptr<StateTable>> state_tables_;
  // Picks the rules a record's literal texts allow (see atom_filter.h);
  // null below kPrefilterMinRules rules.
  std::unique_ptr<AtomFilter> atom_filter_;
  // The set of whole patterns: compiling it costs as much as compiling every
  // rule again, and with atoms that tell the rules apart it is never needed.
  mutable std::once_flag pattern_set_once_;
  mutable std::unique_ptr<RE2::Set> pattern_set_;
  // The rules that have cheap checks (CompiledRule::HasChecks) and that a
  // record may match, in rule order, by the record's first byte (index
  // kNoFirstByte for the empty text); a single list when no rule has a
  // literal prefix.
  static constexpr std::size_t kNoFirstByte = 256;
  std::vector<std::vector<int>> checked_by_first_byte_;
  // The rules without checks, which every record passes: in rule order, and
  // by rule index (1: unchecked).
  std::vector<int> unchecked_rules_;
  std::vector<char> unchecked_;
  int max_captures_ = 0;
  int max_labels_ = 0;
};

// Options every rule regex is compiled with: matching bytes (Latin-1), so
// lines with invalid UTF-8 still match; no logging to stderr (errors are
// reported through Diagnostics); a bounded memory budget.
RE2::Options RuleRegexOptions();

}  // namespace metrics_adapter
