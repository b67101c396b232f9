// CpuBudget: how many CPUs this process may keep busy, which is how many
// threads parse and match streamed lines by default (--pipeline.threads=0).
//
// The smaller of:
//   - the CPUs the process may run on (sched_getaffinity: a cpuset, taskset);
//   - the cgroup v2 CPU limit (`cpu.max`, "QUOTA PERIOD" or "max PERIOD", of
//     the process's own cgroup, from /proc/self/cgroup, and of every cgroup
//     above it; the tightest wins), rounded up: a pod with
//     `resources.limits.cpu: 1500m` gets 2 threads, one with `1` gets 1.
// No cgroup v2 (or no limit in it) means the affinity alone decides.
//
// Usage:
//   std::size_t threads = CpusAllowed();
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace metrics_adapter {

// The CPUs a cgroup's cpu.max content allows ("150000 100000" -> 1.5);
// nullopt for "max ..." (no limit) and for text that is not a cpu.max.
std::optional<double> ParseCpuMax(std::string_view content);

// The tightest cpu.max limit of the cgroup that `proc_self_cgroup` (the
// content of /proc/self/cgroup) names, and of its ancestors, read under the
// cgroup v2 mount `cgroup_root`; nullopt when there is none.
std::optional<double> CgroupCpuLimit(std::string_view proc_self_cgroup,
                                     const std::string& cgroup_root);

// The CPUs this process may keep busy, at least 1 (see above).
std::size_t CpusAllowed();

}  // namespace metrics_adapter
