#include "rules/precompiled_regexes.h"

#include <system_error>

namespace metrics_adapter {

PrecompiledRegexes::PrecompiledRegexes(const RE2::Options& options, std::size_t threads)
    : options_(options), threads_(threads) {}

PrecompiledRegexes::~PrecompiledRegexes() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  added_.notify_all();
  for (std::thread& helper : helpers_) helper.join();
}

void PrecompiledRegexes::Add(std::string pattern) {
  Slot* slot = nullptr;
  {
    std::lock_guard lock(mu_);
    slot = &slots_.emplace_back();
    slot->pattern = std::move(pattern);
  }
  by_pattern_[slot->pattern].first.push_back(slot);
  added_.notify_one();
  const std::size_t helpers = helpers_.size();
  if (helpers + 1 < threads_ && slots_.size() >= (helpers + 1) * kMinPatternsPerThread) {
    try {
      helpers_.emplace_back([this] { Help(); });
    } catch (const std::system_error&) {
      threads_ = helpers + 1;  // no thread to be had: the loading thread compiles the rest
    }
  }
}

bool PrecompiledRegexes::Claim(Slot& slot) {
  int expected = kWaiting;
  if (!slot.state.compare_exchange_strong(expected, kCompiling)) return false;
  slot.compiled.regex = std::make_unique<RE2>(slot.pattern, options_);
  if (slot.compiled.regex->ok()) slot.compiled.bounds = BoundsOf(*slot.compiled.regex);
  slot.state.store(kDone);
  slot.state.notify_all();
  return true;
}

void PrecompiledRegexes::Help() {
  for (;;) {
    Slot* slot = nullptr;
    {
      std::unique_lock lock(mu_);
      added_.wait(lock, [this] { return stop_ || next_ < slots_.size(); });
      if (stop_) return;
      slot = &slots_[next_++];
    }
    Claim(*slot);
  }
}

PrecompiledRegexes::Compiled PrecompiledRegexes::Take(const std::string& pattern) {
  const auto it = by_pattern_.find(pattern);
  if (it == by_pattern_.end()) return {};
  auto& [slots, taken] = it->second;
  if (taken == slots.size()) return {};
  Slot& slot = *slots[taken++];
  if (!Claim(slot)) {
    // A helper has it: wait until it is done.
    for (int state = slot.state.load(); state != kDone; state = slot.state.load()) {
      slot.state.wait(state);
    }
  }
  return std::move(slot.compiled);
}

}  // namespace metrics_adapter
