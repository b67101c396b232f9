// ParseNumber: the one way text becomes a number, for parsers (a statsd
// value, a CSV cell) and rules (a captured value) alike.
//
// Usage:
//   std::optional<double> v = ParseNumber("0.004");  // 0.004
//   ParseNumber("-");                                // nullopt
#pragma once

#include <optional>
#include <string_view>

namespace metrics_adapter {

// Parses a finite decimal number such as "512", "0.004", "1e3", "+2" or
// "-2". Returns nullopt for anything else: "-", "", "+-5", "inf", "nan",
// surrounding spaces.
std::optional<double> ParseNumber(std::string_view text);

}  // namespace metrics_adapter
