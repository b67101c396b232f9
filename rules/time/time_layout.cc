#include "rules/time/time_layout.h"

#include <absl/time/time.h>

#include <cmath>
#include <cstdint>

#include "parsers/number.h"

namespace metrics_adapter {

struct TimeLayout::Zone {
  absl::TimeZone zone;
};

TimeLayout::~TimeLayout() = default;

std::shared_ptr<const TimeLayout> TimeLayout::Create(const std::string& layout,
                                                     const std::string& zone, std::string& error) {
  std::shared_ptr<TimeLayout> result(new TimeLayout());
  result->layout_ = layout;
  result->zone_name_ = zone.empty() ? "UTC" : zone;
  result->zone_ = std::make_unique<Zone>();
  if (layout.empty()) {
    error = "a time layout must not be empty";
    return nullptr;
  }
  if (!absl::LoadTimeZone(result->zone_name_, &result->zone_->zone)) {
    error = "unknown time zone \"" + result->zone_name_ +
            "\" (an IANA name such as UTC or Europe/Berlin, from the system's tz database)";
    return nullptr;
  }
  if (layout == "unix") {
    result->kind_ = Kind::kUnix;
  } else if (layout == "unix_ms") {
    result->kind_ = Kind::kUnixMs;
  } else if (layout == "rfc3339") {
    result->kind_ = Kind::kRfc3339;
  } else if (layout.find('%') == std::string::npos) {
    error = "time layout \"" + layout +
            "\" has no % field: write a strftime-style format, unix, unix_ms or rfc3339";
    return nullptr;
  }
  return result;
}

bool TimeLayout::Parse(std::string_view text, double& seconds) const {
  switch (kind_) {
    case Kind::kUnix:
    case Kind::kUnixMs: {
      const std::optional<double> number = ParseNumber(text);
      if (!number) return false;
      seconds = kind_ == Kind::kUnix ? *number : *number / 1000;
      return true;
    }
    case Kind::kRfc3339:
    case Kind::kFormat: {
      absl::Time time;
      const absl::string_view format =
          kind_ == Kind::kRfc3339 ? absl::string_view(absl::RFC3339_full) : layout_;
      if (!absl::ParseTime(format, absl::string_view(text.data(), text.size()), zone_->zone, &time,
                           nullptr)) {
        return false;
      }
      if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return false;
      // Whole seconds, then the fraction: one double of the whole would round
      // the fraction through absl's Duration arithmetic.
      const std::int64_t whole = absl::ToUnixSeconds(time);
      seconds =
          static_cast<double>(whole) + absl::ToDoubleSeconds(time - absl::FromUnixSeconds(whole));
      return std::isfinite(seconds);
    }
  }
  return false;
}

}  // namespace metrics_adapter
