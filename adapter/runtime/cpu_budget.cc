#include "adapter/runtime/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace metrics_adapter {
namespace {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ParseUnsigned(std::string_view text, unsigned long long& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The path of the cgroup v2 hierarchy ("0::/kubepods/pod1/abc") in the
// content of /proc/self/cgroup; nullopt on a cgroup v1 only machine.
std::optional<std::string> UnifiedCgroupPath(std::string_view proc_self_cgroup) {
  while (!proc_self_cgroup.empty()) {
    const std::size_t end = proc_self_cgroup.find('\n');
    const std::string_view line = proc_self_cgroup.substr(0, end);
    if (line.starts_with("0::")) return std::string(line.substr(3));
    if (end == std::string_view::npos) break;
    proc_self_cgroup.remove_prefix(end + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> ParseCpuMax(std::string_view content) {
  while (!content.empty() && (content.back() == '\n' || content.back() == ' ')) {
    content.remove_suffix(1);
  }
  const std::size_t space = content.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned long long quota = 0, period = 0;
  if (!ParseUnsigned(content.substr(space + 1), period) || period == 0) return std::nullopt;
  if (!ParseUnsigned(content.substr(0, space), quota) || quota == 0) return std::nullopt;
  return static_cast<double>(quota) / static_cast<double>(period);
}

std::optional<double> CgroupCpuLimit(std::string_view proc_self_cgroup,
                                     const std::string& cgroup_root) {
  std::optional<std::string> path = UnifiedCgroupPath(proc_self_cgroup);
  if (!path) return std::nullopt;
  std::optional<double> tightest;
  // The own cgroup, then each ancestor up to the root ("/", which has no
  // cpu.max of its own in a host's hierarchy; a container's may).
  std::string dir = *path;
  for (;;) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const std::string file = cgroup_root + (dir == "/" ? "" : dir) + "/cpu.max";
    if (std::optional<std::string> content = ReadSmallFile(file)) {
      if (std::optional<double> limit = ParseCpuMax(*content)) {
        tightest = tightest ? std::min(*tightest, *limit) : *limit;
      }
    }
    const std::size_t slash = dir.rfind('/');
    if (dir == "/" || slash == std::string::npos) break;
    dir.resize(slash == 0 ? 1 : slash);
  }
  return tightest;
}

std::size_t CpusAllowed() {
  std::size_t cpus = 1;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    cpus = std::max(1, CPU_COUNT(&set));
  }
  if (std::optional<std::string> cgroup = ReadSmallFile("/proc/self/cgroup")) {
    if (std::optional<double> limit = CgroupCpuLimit(*cgroup, "/sys/fs/cgroup")) {
      cpus = std::min(cpus, std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(*limit))));
    }
  }
  return cpus;
}

}  // namespace metrics_adapter
