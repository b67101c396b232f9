// The pattern files of rules/patterns/, compiled into the program (the
// build generates their definition from the files), so the named-pattern
// library is the same wherever the binary runs.
#pragma once

#include <string_view>
#include <vector>

namespace metrics_adapter {

struct ShippedPatternFile {
  std::string_view name;  // as a path in the source tree: "rules/patterns/base.patterns"
  std::string_view text;
};

// In the order of their names.
const std::vector<ShippedPatternFile>& ShippedPatternFiles();

}  // namespace metrics_adapter
