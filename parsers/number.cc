#include "parsers/number.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace metrics_adapter {

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') {
    text.remove_prefix(1);
    if (text.empty() || text.front() == '-') return std::nullopt;
  }
  // Most numbers in logs and status pages are integers: read them directly,
  // several times faster than from_chars. Up to 19 digits the integer fits
  // 64 bits, and converting it to double rounds correctly: the same double
  // from_chars gives.
  if (text.size() <= 20) {
    const bool negative = text.front() == '-';
    const std::size_t start = negative ? 1 : 0;
    if (text.size() > start && text.size() - start <= 19) {
      std::uint64_t digits = 0;
      std::size_t i = start;
      for (; i < text.size(); ++i) {
        const unsigned d = static_cast<unsigned char>(text[i]) - '0';
        if (d > 9) break;
        digits = digits * 10 + d;
      }
      if (i == text.size()) {
        const double magnitude = static_cast<double>(digits);
        return negative ? -magnitude : magnitude;  // "-0" is -0.0, as from_chars reads it
      }
    }
  }
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace metrics_adapter
