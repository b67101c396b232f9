// LookupUnit and KnownUnitNames: every documented spelling, its base unit
// and the factor into it.
#include "rules/units.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

struct Expected {
  std::string_view name;
  std::string_view base;
  double factor;
};

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(", ", start);
    if (end == std::string::npos) end = text.size();
    names.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return names;
}

TEST_CASE("LookupUnit knows every spelling the header documents, with base and factor") {
  const Expected kExpected[] = {
      {"seconds", "seconds", 1},      {"s", "seconds", 1},
      {"ns", "seconds", 1e-9},        {"us", "seconds", 1e-6},
      {"\xC2\xB5s", "seconds", 1e-6},  // µs with U+00B5 MICRO SIGN
      {"ms", "seconds", 1e-3},        {"m", "seconds", 60},
      {"min", "seconds", 60},         {"h", "seconds", 3600},
      {"bytes", "bytes", 1},          {"B", "bytes", 1},
      {"kB", "bytes", 1000},          {"KB", "bytes", 1000},
      {"MB", "bytes", 1e6},           {"GB", "bytes", 1e9},
      {"KiB", "bytes", 1024},         {"MiB", "bytes", 1048576},
      {"GiB", "bytes", 1073741824},   {"ratio", "ratio", 1},
      {"percent", "ratio", 0.01},     {"%", "ratio", 0.01},
  };
  for (const Expected& want : kExpected) {
    CAPTURE(want.name);
    std::optional<UnitInfo> unit = LookupUnit(want.name);
    REQUIRE(unit.has_value());
    CHECK(unit->base == want.base);
    CHECK(unit->factor == want.factor);
  }
}

TEST_CASE("LookupUnit converts values into the base unit by multiplying by the factor") {
  CHECK(250 * LookupUnit("ms")->factor == doctest::Approx(0.25));
  CHECK(1500 * LookupUnit("us")->factor == doctest::Approx(0.0015));
  CHECK(2 * LookupUnit("KiB")->factor == 2048);
  CHECK(3 * LookupUnit("MB")->factor == 3e6);
  CHECK(42 * LookupUnit("%")->factor == doctest::Approx(0.42));
  CHECK(2 * LookupUnit("h")->factor == 7200);
}

TEST_CASE("LookupUnit rejects unknown names, other cases and surrounding spaces") {
  for (std::string_view name : {"furlongs", "S", "MS", "kib", "kb", "sec", " s", "s ", "Seconds"}) {
    CAPTURE(name);
    CHECK_FALSE(LookupUnit(name).has_value());
  }
}

TEST_CASE("KnownUnitNames lists every accepted spelling once, comma-separated") {
  const std::string text = KnownUnitNames();
  CHECK(text ==
        "seconds, s, ns, us, \xC2\xB5s, ms, m, min, h, bytes, B, kB, KB, MB, GB, KiB, MiB, GiB, "
        "ratio, percent, %");
  for (const std::string& name : SplitNames(text)) {
    CAPTURE(name);
    CHECK_FALSE(name.empty());
    CHECK(LookupUnit(name).has_value());
  }
}

}  // namespace
}  // namespace metrics_adapter
