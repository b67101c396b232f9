// LogLimiter keeps bad input from flooding the log: each kind of message is
// logged at most once per interval, and the next one says how many were
// suppressed in between. Counters, not logs, carry the exact numbers.
//
// Usage:
//   LogLimiter limiter(std::chrono::seconds(10));
//   if (auto suppressed = limiter.Allow("too_long")) {
//     spdlog::warn("line too long ({} similar suppressed)", *suppressed);
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace metrics_adapter {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // Returns the number of messages of this kind suppressed since the last
  // one allowed if a message may be logged now, else nullopt. Thread-safe.
  std::optional<std::uint64_t> Allow(std::string_view kind);

 private:
  struct State {
    std::chrono::steady_clock::time_point last;
    std::uint64_t suppressed = 0;
  };
  std::chrono::steady_clock::duration interval_;
  std::mutex mu_;
  std::map<std::string, State, std::less<>> states_;
};

}  // namespace metrics_adapter
