#include "rules/units.h"

#include <array>

namespace metrics_adapter {
namespace {

struct NamedUnit {
  std::string_view name;
  UnitInfo info;
};

constexpr std::array kUnits = {
    NamedUnit{"", {"", 1}},
    NamedUnit{"seconds", {"seconds", 1}},
    NamedUnit{"s", {"seconds", 1}},
    NamedUnit{"ns", {"seconds", 1e-9, 1e9}},
    NamedUnit{"us", {"seconds", 1e-6, 1e6}},
    NamedUnit{"µs", {"seconds", 1e-6, 1e6}},
    NamedUnit{"ms", {"seconds", 1e-3, 1e3}},
    NamedUnit{"m", {"seconds", 60}},
    NamedUnit{"min", {"seconds", 60}},
    NamedUnit{"h", {"seconds", 3600}},
    NamedUnit{"bytes", {"bytes", 1}},
    NamedUnit{"B", {"bytes", 1}},
    NamedUnit{"kB", {"bytes", 1e3}},
    NamedUnit{"KB", {"bytes", 1e3}},
    NamedUnit{"MB", {"bytes", 1e6}},
    NamedUnit{"GB", {"bytes", 1e9}},
    NamedUnit{"KiB", {"bytes", 1024.0}},
    NamedUnit{"MiB", {"bytes", 1024.0 * 1024}},
    NamedUnit{"GiB", {"bytes", 1024.0 * 1024 * 1024}},
    NamedUnit{"ratio", {"ratio", 1}},
    NamedUnit{"percent", {"ratio", 0.01, 100}},
    NamedUnit{"%", {"ratio", 0.01, 100}},
};

}  // namespace

std::optional<UnitInfo> LookupUnit(std::string_view name) {
  for (const NamedUnit& unit : kUnits) {
    if (unit.name == name) return unit.info;
  }
  return std::nullopt;
}

std::string KnownUnitNames() {
  std::string out;
  for (const NamedUnit& unit : kUnits) {
    if (unit.name.empty()) continue;
    if (!out.empty()) out += ", ";
    out += unit.name;
  }
  return out;
}

}  // namespace metrics_adapter
