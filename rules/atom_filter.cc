#include "rules/atom_filter.h"

#include <re2/filtered_re2.h>

#include <algorithm>
#include <numeric>
#include <optional>

namespace metrics_adapter {
namespace {

// Per regex, the index of its key atom in `atoms`: the longest atom without
// which FilteredRE2 rules the regex out; nullopt if there is none.
std::vector<std::optional<std::size_t>> KeyAtoms(const re2::FilteredRE2& filter,
                                                 const std::vector<std::string>& atoms,
                                                 std::size_t regex_count) {
  std::vector<std::optional<std::size_t>> key(regex_count);
  if (atoms.empty() || atoms.size() > AtomFilter::kMaxAtoms) return key;
  std::vector<int> all(atoms.size());
  std::iota(all.begin(), all.end(), 0);
  // The regexes possible when every atom occurs (all of them, unless
  // FilteredRE2 rules some out for good); only they can need an atom.
  std::vector<int> possible;
  filter.AllPotentials(all, &possible);
  std::vector<int> others, without;
  for (std::size_t atom = 0; atom < atoms.size(); ++atom) {
    others = all;
    others.erase(others.begin() + static_cast<std::ptrdiff_t>(atom));
    filter.AllPotentials(others, &without);  // sorted, as `possible` is
    // The regexes possible with every atom but not without this one need it.
    auto next = without.cbegin();
    for (int regex : possible) {
      next = std::lower_bound(next, without.cend(), regex);
      if (next != without.cend() && *next == regex) continue;
      std::optional<std::size_t>& best = key[static_cast<std::size_t>(regex)];
      if (!best || atoms[*best].size() < atoms[atom].size()) best = atom;
    }
  }
  return key;
}

}  // namespace

std::unique_ptr<AtomFilter> AtomFilter::Create(const std::vector<const RE2*>& regexes,
                                               int min_atom_length, std::string* error) {
  std::unique_ptr<AtomFilter> result(new AtomFilter());
  if (regexes.empty()) return result;
  re2::FilteredRE2 filter(min_atom_length);
  for (std::size_t i = 0; i < regexes.size(); ++i) {
    int id = -1;
    if (filter.Add(regexes[i]->pattern(), regexes[i]->options(), &id) != RE2::NoError ||
        id != static_cast<int>(i)) {
      *error = "RE2 cannot compute the literal texts of pattern " + regexes[i]->pattern();
      return nullptr;
    }
  }
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  const std::vector<std::optional<std::size_t>> key = KeyAtoms(filter, atoms, regexes.size());

  // Only the atoms that are some regex's key are looked for.
  std::vector<int> key_index(atoms.size(), -1);
  RE2::Options options = regexes.front()->options();
  options.set_literal(true);
  options.set_case_sensitive(false);  // the atoms are lower case
  options.set_longest_match(false);
  options.set_never_capture(true);
  auto atom_set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  for (std::size_t regex = 0; regex < regexes.size(); ++regex) {
    if (!key[regex]) {
      result->without_atom_.push_back(static_cast<int>(regex));
      continue;
    }
    int& index = key_index[*key[regex]];
    if (index < 0) {
      index = atom_set->Add(atoms[*key[regex]], error);
      if (index < 0) return nullptr;
      result->regexes_by_atom_.emplace_back();
    }
    result->regexes_by_atom_[static_cast<std::size_t>(index)].push_back(static_cast<int>(regex));
    ++result->filtered_;
  }
  if (!result->regexes_by_atom_.empty()) {
    if (!atom_set->Compile()) {
      *error = "the literal texts of the patterns exceed RE2's memory budget";
      return nullptr;
    }
    result->atoms_ = std::move(atom_set);
  }
  return result;
}

void AtomFilter::Candidates(std::string_view text, std::vector<int>& out,
                            std::vector<int>& found) const {
  out.assign(without_atom_.begin(), without_atom_.end());
  if (!atoms_) return;
  found.clear();
  atoms_->Match(text, &found);
  std::size_t lists = out.empty() ? 0 : 1;
  for (int atom : found) {
    const std::vector<int>& regexes = regexes_by_atom_[static_cast<std::size_t>(atom)];
    out.insert(out.end(), regexes.begin(), regexes.end());
    ++lists;
  }
  // Each list is in increasing order; so is their concatenation if only one
  // list contributed.
  if (lists > 1) std::sort(out.begin(), out.end());
}

}  // namespace metrics_adapter
