// Rendering metrics in the Prometheus text exposition format, and reading
// sample lines back (for rule-file tests).
//
// Usage:
//   const CollectableExposable self(*registry);
//   std::string body = RenderExposition({&store, &self});
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/exposition/exposable.h"

namespace metrics_adapter {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Writes the families of every exposable in the text format. Several may
// hold one family (a log and a status page both counting requests): it is
// written once, merged in first-seen order; of two identical series the
// first exposable's wins; a family of another type under a name already
// seen is dropped.
std::string RenderExposition(const std::vector<const Exposable*>& exposables);

// One sample line of the text format, with its labels in a canonical order.
struct Sample {
  std::string series;  // name{label="value",...}, labels sorted by name
  double value = 0;
};

// Reads `name{a="x",b="y"} 12.5` with the prometheus parser (parsers/) and
// writes its labels sorted by name, escaped as the text format escapes them.
// Returns nullopt for comments, blank lines and lines the parser refuses.
std::optional<Sample> ParseSampleLine(std::string_view line);

}  // namespace metrics_adapter
