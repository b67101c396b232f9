// AtomFilter: picks, among many regexes, the few that can match a text, by
// literal texts ("atoms") they need. A thousand access-log rules that differ
// only in their URL prefix (`^\S+ ... "GET /svc42/...`) have no literal
// prefix, so no cheap check tells them apart, and one RE2::Set of the whole
// patterns costs about ten microseconds a line; but each needs a text such
// as " /svc42/" somewhere in the line.
//
// At construction, RE2's FilteredRE2 computes each regex's prefilter: a
// boolean formula of atoms (lower-case literals) that holds for every text
// the regex matches. From it the filter takes, per regex, one "key atom":
// an atom the formula cannot do without (the longest such), found by asking
// FilteredRE2 which regexes remain possible when that atom alone is missing.
// A regex whose formula needs no single atom (an alternative of literals, a
// pattern with no literal text) has no key atom and is always a candidate.
//
// Per text, one pass of an RE2::Set of the key atoms (as literals, ignoring
// case, since the atoms are lower case) names the atoms it holds; the
// candidates are the regexes of those atoms and those without one. This is
// exact in the sense that matters: a regex left out cannot match the text
// (its key atom is missing, so its prefilter fails). Candidates still have
// to be matched.
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
  // Above this many distinct atoms, finding the key atoms (one FilteredRE2
  // query per atom, each over all atoms) would cost more than it saves at
  // start-up: no regex gets a key atom.
  static constexpr std::size_t kMaxAtoms = 4096;

  // The filter over `regexes` (indexes as given; each compiled with the
  // options its atoms are matched with, bytes or UTF-8). Atoms shorter than
  // `min_atom_length` are not looked for. Null, with `*error` set, if RE2
  // cannot build it (a regex FilteredRE2 refuses, or the atom set over
  // RE2's memory budget).
  static std::unique_ptr<AtomFilter> Create(const std::vector<const RE2*>& regexes,
                                            int min_atom_length, std::string* error);

  // Into `out`, in increasing order: the indexes of the regexes that may
  // match `text`. `found` is a buffer for the atoms found. Allocates nothing
  // once `out` has room for every regex and `found` for every key atom
  // (RE2::Set's own pass allocates its match set).
  void Candidates(std::string_view text, std::vector<int>& out, std::vector<int>& found) const;

  std::size_t key_atom_count() const { return regexes_by_atom_.size(); }
  // The regexes that have a key atom.
  std::size_t filtered_count() const { return filtered_; }

 private:
  AtomFilter() = default;

  std::unique_ptr<RE2::Set> atoms_;  // the key atoms; null when there are none
  std::vector<std::vector<int>> regexes_by_atom_;  // by key atom, in increasing order
  std::vector<int> without_atom_;                  // in increasing order
  std::size_t filtered_ = 0;
};

}  // namespace metrics_adapter
