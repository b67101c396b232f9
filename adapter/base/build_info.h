// What this binary was built from: the version, the git revision and branch
// of the source tree at build time, the compiler. The revision comes from a
// source file the build regenerates whenever the checkout's HEAD moves (not
// from the configure step), so it does not go stale; outside a git checkout,
// and where git is not installed, revision and branch are "unknown".
//
// Usage:
//   const BuildInfo& build = GetBuildInfo();
//   std::cout << build.version << " (" << build.revision << ")\n";
#pragma once

#include <string_view>

namespace metrics_adapter {

struct BuildInfo {
  std::string_view version;   // the project's version, e.g. "0.1.0"
  std::string_view revision;  // the full commit hash, or "unknown"
  std::string_view branch;    // e.g. "main"; "HEAD" on a detached checkout, or "unknown"
  std::string_view compiler;  // e.g. "gcc 12.2.0"
};

// The same object for the life of the process.
const BuildInfo& GetBuildInfo();

}  // namespace metrics_adapter
