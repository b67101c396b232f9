// Units a rule's value may be written in, and their conversion to the base
// units Prometheus metrics use (seconds, bytes, ratios).
//
// Usage:
//   auto ms = LookupUnit("ms");      // {dimension "seconds", factor 0.001}
//   double seconds = 250 * ms->factor;
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace metrics_adapter {

struct UnitInfo {
  // The base unit this unit measures: "seconds", "bytes", "ratio", or "" for
  // plain counts.
  std::string_view base;
  // Multiply a value in this unit by `factor` to get the base unit.
  double factor;
  // For units below the base unit (ms, percent): the exact power of ten to
  // divide by instead, which rounds once (103 ms is 0.103 seconds, where
  // 103 * 0.001 is 0.10300000000000001). 1 for the others.
  double divisor = 1;
};

// Accepts base units ("seconds", "bytes", "ratio") and their common spellings:
// ns, us, µs, ms, s, m/min, h; B, kB/KB, KiB, MB, MiB, GB, GiB; percent/%.
// Returns nullopt for an unknown name.
std::optional<UnitInfo> LookupUnit(std::string_view name);

// The names LookupUnit accepts, for error messages.
std::string KnownUnitNames();

}  // namespace metrics_adapter
