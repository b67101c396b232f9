#include "rules/precompiled_regexes.h"

#include <algorithm>
#include <system_error>

namespace metrics_adapter {

PrecompiledRegexes::PrecompiledRegexes(std::vector<std::string> patterns,
                                       const RE2::Options& options, std::size_t threads)
    : options_(options), slots_(patterns.size()) {
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    by_pattern_[patterns[i]].first.push_back(i);
    slots_[i].pattern = std::move(patterns[i]);
  }
  const std::size_t wanted = std::min(threads, slots_.size() / kMinPatternsPerThread + 1);
  for (std::size_t i = 1; i < wanted; ++i) {
    try {
      helpers_.emplace_back([this] { Help(); });
    } catch (const std::system_error&) {
      break;  // no thread to be had: the loading thread compiles what is left
    }
  }
}

PrecompiledRegexes::~PrecompiledRegexes() {
  stop_ = true;
  for (std::thread& helper : helpers_) helper.join();
}

bool PrecompiledRegexes::Claim(Slot& slot) {
  int expected = kWaiting;
  if (!slot.state.compare_exchange_strong(expected, kCompiling)) return false;
  slot.regex = std::make_unique<RE2>(slot.pattern, options_);
  slot.state.store(kDone);
  slot.state.notify_all();
  return true;
}

void PrecompiledRegexes::Help() {
  for (std::size_t i = next_++; i < slots_.size() && !stop_; i = next_++) Claim(slots_[i]);
}

std::unique_ptr<RE2> PrecompiledRegexes::Take(const std::string& pattern) {
  const auto it = by_pattern_.find(pattern);
  if (it == by_pattern_.end()) return nullptr;
  auto& [indexes, taken] = it->second;
  if (taken == indexes.size()) return nullptr;
  Slot& slot = slots_[indexes[taken++]];
  if (!Claim(slot)) {
    // A helper has it: wait until it is done.
    for (int state = slot.state.load(); state != kDone; state = slot.state.load()) {
      slot.state.wait(state);
    }
  }
  return std::move(slot.regex);
}

}  // namespace metrics_adapter
