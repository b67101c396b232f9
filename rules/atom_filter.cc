#include "rules/atom_filter.h"

#include <algorithm>
#include <map>

#include "rules/literal_bounds.h"

namespace metrics_adapter {

std::unique_ptr<AtomFilter> AtomFilter::Create(const std::vector<const RE2*>& regexes,
                                               int min_atom_length, std::string* error) {
  std::unique_ptr<AtomFilter> result(new AtomFilter());
  if (regexes.empty()) return result;
  RE2::Options options = regexes.front()->options();
  options.set_literal(true);
  options.set_longest_match(false);
  options.set_never_capture(true);
  auto atom_set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  std::map<std::string, int> atom_index;  // distinct atoms, by their index in the set
  for (std::size_t regex = 0; regex < regexes.size(); ++regex) {
    const std::string atom = RequiredLiteral(regexes[regex]->pattern());
    if (atom.size() < static_cast<std::size_t>(min_atom_length)) {
      result->without_atom_.push_back(static_cast<int>(regex));
      continue;
    }
    auto [it, inserted] = atom_index.emplace(atom, -1);
    if (inserted) {
      it->second = atom_set->Add(atom, error);
      if (it->second < 0) return nullptr;
      result->regexes_by_atom_.emplace_back();
    }
    result->regexes_by_atom_[static_cast<std::size_t>(it->second)].push_back(
        static_cast<int>(regex));
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
