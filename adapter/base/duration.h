// Durations as Prometheus writes them in its configs: "250ms", "5s", "1m",
// "1h30m" (units ms, s, m, h; no fractions).
//
// Usage:
//   std::optional<std::chrono::milliseconds> d = ParseDuration("1m30s");  // 90000ms
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace metrics_adapter {

// Returns nullopt for an empty string, an unknown unit or a number without one.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace metrics_adapter
