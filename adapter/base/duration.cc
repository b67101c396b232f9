#include "adapter/base/duration.h"

#include <map>
#include <string>

namespace metrics_adapter {

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  using std::chrono::milliseconds;
  static const std::map<std::string_view, long long> kUnitMs = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits = i;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == i || digits - i > 9) return std::nullopt;
    const long long number = std::stoll(std::string(text.substr(i, digits - i)));
    std::size_t unit_end = digits;
    while (unit_end < text.size() && !(text[unit_end] >= '0' && text[unit_end] <= '9')) {
      ++unit_end;
    }
    auto unit = kUnitMs.find(text.substr(digits, unit_end - digits));
    if (unit == kUnitMs.end()) return std::nullopt;
    total += number * unit->second;
    i = unit_end;
  }
  return milliseconds(total);
}

}  // namespace metrics_adapter
