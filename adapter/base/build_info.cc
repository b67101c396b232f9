#include "adapter/base/build_info.h"

namespace metrics_adapter {

// Defined in the build tree's build_revision.cc, written by
// cmake/build_revision.cmake at every build.
extern const char kBuildRevision[];
extern const char kBuildBranch[];

namespace {

#if defined(__clang__)
constexpr std::string_view kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
constexpr std::string_view kCompiler = "gcc " __VERSION__;
#else
constexpr std::string_view kCompiler = "unknown";
#endif

}  // namespace

const BuildInfo& GetBuildInfo() {
  static const BuildInfo info{METRICS_ADAPTER_VERSION, kBuildRevision, kBuildBranch, kCompiler};
  return info;
}

}  // namespace metrics_adapter
