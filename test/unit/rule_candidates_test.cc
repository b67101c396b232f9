// RuleSet's candidate selection (cheap checks, the atom filter, the set of
// whole patterns) against brute force: every rule tried in turn, in file
// order, its labels checked and its regex run. Random rule sets and records
// from a fixed seed mix every kind of rule the selection treats apart:
// literal prefixes and suffixes, rules anchored at both ends, exact literals,
// rules with and without atoms, alternatives, case-insensitive rules,
// match_labels and continue.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "rules/atom_filter.h"
#include "rules/rule_loader.h"
#include "rules/rule_set.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

// splitmix64: the same sequence on every platform, unlike <random>'s
// distributions.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Chance(int percent) { return Below(100) < static_cast<std::size_t>(percent); }
  std::string Number(std::size_t n) { return std::to_string(Below(n)); }

 private:
  std::uint64_t state_;
};

// A pattern of one of the shapes rule files use; `k` tells rules apart, so
// the records below hit some and miss most.
std::string RandomPattern(Random& random) {
  const std::string k = random.Number(12);
  switch (random.Below(14)) {
    case 0:  // access log, no literal prefix, an atom in the middle
      return R"(^\S+ \S+ "(?P<m>[A-Z]+) /svc)" + k + R"(/[^"]*" (?P<s>\d{3})$)";
    case 1:  // the same without captures beyond the status
      return R"(^\S+ \S+ "[A-Z]+ /svc)" + k + R"(/[^"]*" (?P<s>\d{3}) )";
    case 2:  // a literal prefix
      return R"(^svc)" + k + R"(\.(?P<x>\w+))";
    case 3:  // a literal suffix
      return R"(\.count)" + k + "$";
    case 4:  // an exact literal: matched without running the regex
      return "^up" + k + "$";
    case 5:  // anchored at both ends with a class
      return R"(^up\d$)";
    case 6:  // alternatives: no single atom
      return "(foo|bar)" + k;
    case 7:  // case-insensitive
      return "(?i)err" + k;
    case 8:  // no literal text at all
      return R"(^\d+$)";
    case 9:  // matches every record (only with continue, else it shadows)
      return ".";
    case 10:  // an atom anywhere
      return "timeout=" + k;
    case 11:  // an optional part: its literal is not needed
      return "(?:pre" + k + ")?post";
    case 12:  // a short literal, below the atom length
      return "x" + k.substr(0, 1);
    default:  // an unanchored access-log rule with a suffix
      return R"("[A-Z]+ /svc)" + k + R"(/\S*" \d+$)";
  }
}

std::string RandomText(Random& random) {
  const std::string k = random.Number(12);
  switch (random.Below(14)) {
    case 0:
      return "10.0.0." + k + " - \"GET /svc" + k + "/a?b=1\" 200";
    case 1:
      return "10.0.0.1 bob \"POST /svc" + k + "/ HTTP/1.1\" 404 ";
    case 2:
      return "svc" + k + ".requests";
    case 3:
      return "upstream.count" + k;
    case 4:
      return "up" + k;
    case 5:
      return "up" + k.substr(0, 1);
    case 6:
      return (random.Chance(50) ? "foo" : "bar") + k;
    case 7:
      return (random.Chance(50) ? "ERR" : "Err") + k + " in module";
    case 8:
      return k + "12";
    case 9:
      return "timeout=" + k + " pre" + k + "post";
    case 10:
      return "post";
    case 11:
      return "x" + k;
    case 12:
      return "";
    default:
      return "\"GET /svc" + k + "/x\" 5";
  }
}

struct RandomRules {
  std::string yaml;
  std::vector<std::string> names;
};

// `count` rules with distinct patterns, each emitting its own name.
RandomRules MakeRules(Random& random, std::size_t count) {
  RandomRules out;
  out.yaml =
      "metrics:\n  - {name: app_events_total, type: counter, help: Events., labels: [rule]}\n"
      "rules:\n";
  std::set<std::string> patterns;
  while (out.names.size() < count) {
    const std::string pattern = RandomPattern(random);
    if (!patterns.insert(pattern).second) continue;
    const std::string name = "r" + std::to_string(out.names.size());
    out.names.push_back(name);
    out.yaml += "  - name: " + name + "\n    match: '" + pattern + "'\n";
    // "." matches every record: without continue it would shadow later rules.
    if (pattern == "." || random.Chance(30)) out.yaml += "    continue: true\n";
    if (random.Chance(20)) {
      out.yaml +=
          std::string("    match_labels: {type: ") + (random.Chance(50) ? "c" : "g") + "}\n";
    }
    out.yaml += "    emit: [{metric: app_events_total, labels: {rule: " + name + "}}]\n";
  }
  return out;
}

// The rules that match `record`, in order, trying every rule in turn.
std::vector<int> BruteForce(const RuleSet& rules, const Record& record) {
  std::vector<int> matched;
  for (std::size_t i = 0; i < rules.rules().size(); ++i) {
    const CompiledRule& rule = rules.rules()[i];
    if (!rule.LabelsHold(record) || !RE2::PartialMatch(record.text, *rule.regex)) continue;
    matched.push_back(static_cast<int>(i));
    if (!rule.continue_matching) break;
  }
  return matched;
}

// Every rule whose labels hold and whose regex matches, ignoring `continue`.
std::vector<int> AllMatching(const RuleSet& rules, const Record& record) {
  std::vector<int> matching;
  for (std::size_t i = 0; i < rules.rules().size(); ++i) {
    const CompiledRule& rule = rules.rules()[i];
    if (rule.LabelsHold(record) && RE2::PartialMatch(record.text, *rule.regex)) {
      matching.push_back(static_cast<int>(i));
    }
  }
  return matching;
}

// Records which rules emitted, in order (each rule emits its own index).
class RuleOrderSink : public UpdateSink {
 public:
  explicit RuleOrderSink(const std::vector<std::string>& names) : names_(names) {}
  void Apply(const Update& update) override {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == update.label_values[0]) order.push_back(static_cast<int>(i));
    }
  }
  std::vector<int> order;

 private:
  const std::vector<std::string>& names_;
};

TEST_CASE("candidate selection gives the matches of trying every rule, on random rule sets") {
  Random random(20261203);
  const RecordLabel counter[] = {{"type", "c"}};
  const RecordLabel gauge[] = {{"host", "a"}, {"type", "g"}};
  std::size_t matched_records = 0, filtered_sets = 0;
  for (int round = 0; round < 60; ++round) {
    const std::size_t count = 1 + random.Below(round < 30 ? 8 : 60);
    const RandomRules generated = MakeRules(random, count);
    const TempDir dir("rule-candidates-test");
    Schema schema;
    Diagnostics diags;
    const RuleFiles files = LoadRuleFiles({dir.Write("rules.yaml", generated.yaml)}, schema, diags);
    INFO(generated.yaml);
    INFO(diags.Format());
    REQUIRE_FALSE(diags.HasErrors());
    const RuleSet& rules = *files.rule_set;
    if (rules.key_atom_count() > 0) ++filtered_sets;
    MatchScratch scratch(rules);
    MatchCounts counts(rules);
    for (int r = 0; r < 80; ++r) {
      const std::string text = RandomText(random);
      std::span<const RecordLabel> labels;
      if (const std::size_t which = random.Below(3); which == 1) {
        labels = counter;
      } else if (which == 2) {
        labels = gauge;
      }
      const Record record(text, std::nullopt, labels);
      INFO("record: \"" << text << "\" with " << labels.size() << " label(s)");
      RuleOrderSink sink(generated.names);
      const std::vector<int> expected = BruteForce(rules, record);
      CHECK(rules.Match(record, scratch, counts, sink) == !expected.empty());
      CHECK(sink.order == expected);
      matched_records += expected.empty() ? 0 : 1;
      // What `explain` is shown: in rule order, and every rule that matches.
      std::vector<int> candidates;
      const std::vector<int>& possible = rules.CandidatesForExplain(record, candidates);
      CHECK(std::is_sorted(possible.begin(), possible.end()));
      for (int index : AllMatching(rules, record)) {
        CHECK(std::find(possible.begin(), possible.end(), index) != possible.end());
      }
    }
  }
  // The test is worth something only if records match and atoms filter.
  CHECK(matched_records > 1000);
  CHECK(filtered_sets > 20);
}

TEST_CASE("the atom filter keeps every regex that matches, and drops those whose atom is missing") {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  const RE2 svc1(R"(^\S+ "GET /svc1/[^"]*")", options);
  const RE2 svc2(R"(^\S+ "GET /svc2/[^"]*")", options);
  const RE2 either("(?:alpha|beta)-x", options);  // its only literal text is too short
  const RE2 folded("(?i)Timeout=", options);      // case folds: no atom
  std::string error;
  const std::unique_ptr<AtomFilter> filter =
      AtomFilter::Create({&svc1, &svc2, &either, &folded}, 3, &error);
  REQUIRE(filter != nullptr);
  CHECK(filter->filtered_count() == 2);
  std::vector<int> out, found;
  filter->Candidates(R"(1.2.3.4 "GET /svc2/a")", out, found);
  CHECK(out == std::vector<int>{1, 2, 3});
  filter->Candidates(R"(x "GET /svc1/ "GET /svc2/)", out, found);
  CHECK(out == std::vector<int>{0, 1, 2, 3});
  filter->Candidates(R"(x "get /svc1/)", out, found);  // the atom's bytes, exactly
  CHECK(out == std::vector<int>{2, 3});
}

}  // namespace
}  // namespace metrics_adapter
