// HTTP header lists with quality values (RFC 9110 sections 5.6.1 and
// 12.4.2): Accept, Accept-Encoding and the like. The one reader of them;
// each header's own rules (which coding, which media type wins) live with
// whoever reads the header.
//
// Usage:
//   for (const HeaderElement& e : ParseHeaderList("gzip;q=0.5, br")) {
//     if (EqualsIgnoreCase(e.value, "gzip") && e.q > 0) ...
//   }
#pragma once

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace metrics_adapter {

// A parameter: name (compare case-insensitively) and value, surrounding
// double quotes removed (backslash escapes inside are kept as written).
using HeaderParam = std::pair<std::string_view, std::string_view>;

struct HeaderElement {
  std::string_view value;           // "gzip", "text/plain": trimmed, as written
  std::vector<HeaderParam> params;  // every parameter but q, in order
  // q in thousandths (0..1000) so comparisons stay exact: 1000 when absent,
  // 0 when malformed (an unreadable preference is no preference for it).
  int q = 1000;
};

// Parses an RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")].
// Returns thousandths (0..1000), or nullopt.
std::optional<int> ParseQValue(std::string_view q);

// The list's elements in order, empty elements ("a,,b") skipped. A comma
// inside a quoted parameter value splits the element (no media type the
// adapter reads has one). Views point into `header`.
std::vector<HeaderElement> ParseHeaderList(std::string_view header);

}  // namespace metrics_adapter
