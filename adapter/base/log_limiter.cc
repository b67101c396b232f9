#include "adapter/base/log_limiter.h"

namespace metrics_adapter {

std::optional<std::uint64_t> LogLimiter::Allow(std::string_view kind) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(kind);
  if (it == states_.end()) {
    states_.emplace(std::string(kind), State{now, 0});
    return 0;
  }
  State& state = it->second;
  if (now - state.last < interval_) {
    ++state.suppressed;
    return std::nullopt;
  }
  const std::uint64_t suppressed = state.suppressed;
  state = State{now, 0};
  return suppressed;
}

}  // namespace metrics_adapter
