// TimeLayout: how a rule reads the time a log line carries (`time:`), so
// expressions can use it as $time (seconds since the epoch).
//
// Layouts: strftime-style formats as absl::ParseTime reads them (%Y %m %d
// %H %M %S %b %z %Ez, %E*S for fractional seconds, %s ...), and the names
//   unix     seconds since the epoch, with an optional fraction ("1700000000.25")
//   unix_ms  milliseconds since the epoch ("1700000000250")
//   rfc3339  "2026-12-03T10:00:00Z", "2026-12-03T10:00:00.5+01:00"
// A format without a UTC offset (%z) is read in the time zone: the rule
// file's `timezone:` (an IANA name such as Europe/Berlin, read from the
// system's tz database through absl/cctz), UTC without one.
//
// Usage:
//   std::string error;
//   auto layout = TimeLayout::Create("%d/%b/%Y:%H:%M:%S %z", "UTC", error);
//   double seconds;
//   if (layout->Parse("25/Nov/2026:10:00:00 +0000", seconds)) ...
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace metrics_adapter {

class TimeLayout {
 public:
  // Null with `error` set for an unknown time zone or an empty layout.
  static std::shared_ptr<const TimeLayout> Create(const std::string& layout,
                                                  const std::string& zone, std::string& error);
  ~TimeLayout();
  TimeLayout(const TimeLayout&) = delete;
  TimeLayout& operator=(const TimeLayout&) = delete;

  // Reads `text`; false when it does not fit the layout. Thread-safe.
  bool Parse(std::string_view text, double& seconds) const;

  const std::string& layout() const { return layout_; }
  const std::string& zone() const { return zone_name_; }

 private:
  enum class Kind { kFormat, kUnix, kUnixMs, kRfc3339 };
  struct Zone;
  TimeLayout() = default;

  Kind kind_ = Kind::kFormat;
  std::string layout_;
  std::string zone_name_;
  std::unique_ptr<Zone> zone_;
};

}  // namespace metrics_adapter
