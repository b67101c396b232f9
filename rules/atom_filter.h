// AtomFilter: picks, among many regexes, the few that can match a text, by
// a literal text each needs. A thousand access-log rules that differ only
// in their URL prefix (`^\S+ ... "[A-Z]+ /svc42/[^"]*" ...`) have no literal
// prefix, so no cheap check tells them apart, and one RE2::Set of the whole
// patterns costs about ten microseconds a line; but each needs " /svc42/"
// somewhere in the line.
//
// Each regex's "atom" is the longest literal text every match contains
// (RequiredLiteral, literal_bounds.h); a regex without one of at least
// `min_atom_length` bytes is always a candidate. Per text, one pass of an
// RE2::Set of the atoms (as literals: a multi-string matcher) names the
// atoms it holds; the candidates are the regexes of those atoms and those
// without one. A regex left out cannot match the text: its atom is missing.
// Candidates still have to be matched.
//
// (RE2's FilteredRE2 computes richer prefilters, alternatives and case
// folding included, but building it compiles every regex a second time and
// finding a single needed atom per regex costs a query per atom: for a
// thousand rules it tripled the rules' load time. The atom set here is what
// FilteredRE2 leaves to its caller anyway.)
//
// Thread-safe after construction (const methods only).
//
// Usage:
//   std::string error;
//   std::unique_ptr<AtomFilter> filter = AtomFilter::Create(regexes, 3, &error);
//   filter->Candidates(line, candidates, found);  // indexes into `regexes`
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

class AtomFilter {
 public:
  // The filter over `regexes` (indexes as given; the atom set is compiled
  // with the first one's options, bytes or UTF-8). Atoms shorter than
  // `min_atom_length` are not looked for. Null, with `*error` set, if the
  // atom set is over RE2's memory budget.
  static std::unique_ptr<AtomFilter> Create(const std::vector<const RE2*>& regexes,
                                            int min_atom_length, std::string* error);

  // Into `out`, in increasing order: the indexes of the regexes that may
  // match `text`. `found` is a buffer for the atoms found. Allocates nothing
  // once `out` has room for every regex and `found` for every key atom
  // (RE2::Set's own pass allocates its match set).
  void Candidates(std::string_view text, std::vector<int>& out, std::vector<int>& found) const;

  std::size_t key_atom_count() const { return regexes_by_atom_.size(); }
  // The regexes that have an atom.
  std::size_t filtered_count() const { return filtered_; }

 private:
  AtomFilter() = default;

  std::unique_ptr<RE2::Set> atoms_;                // the distinct atoms; null when there are none
  std::vector<std::vector<int>> regexes_by_atom_;  // by atom, in increasing order
  std::vector<int> without_atom_;                  // in increasing order
  std::size_t filtered_ = 0;
};

}  // namespace metrics_adapter
