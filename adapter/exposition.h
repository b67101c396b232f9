// Rendering metrics in the Prometheus text exposition format, and reading
// sample lines back (for rule-file tests).
//
// Usage:
//   std::string body = RenderExposition({&store, self.registry().get()});
#pragma once

#include <prometheus/collectable.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Collects every collectable and serializes the result in the text format.
std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables);

// One sample line of the text format, with its labels in a canonical order.
struct Sample {
  std::string series;  // name{label="value",...}, labels sorted by name
  double value = 0;
};

// Parses `name{a="x",b="y"} 12.5`; returns nullopt for comments, blank lines
// and malformed lines.
std::optional<Sample> ParseSampleLine(std::string_view line);

}  // namespace metrics_adapter
