// ProcessMetrics: the process_* families Prometheus clients expose for their
// own process, with client_golang's process collector's names, meaning and
// units, read from /proc/self (and getrlimit) at every Collect, that is at
// every scrape:
//
//   process_cpu_seconds_total          user + system CPU time
//   process_resident_memory_bytes      resident set size
//   process_virtual_memory_bytes       virtual memory size
//   process_virtual_memory_max_bytes   RLIMIT_AS (1.8446744073709552e+19: unlimited)
//   process_open_fds                   open file descriptors
//   process_max_fds                    RLIMIT_NOFILE, the soft limit
//   process_start_time_seconds         when the process started, in Unix time
//
// A value that cannot be read leaves its family out of that scrape and is
// logged (at most once a minute).
//
// Usage:
//   ProcessMetrics process;
//   const CollectableExposable exposable(process);
//   std::string body = RenderExposition({&store, &exposable});
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <optional>
#include <string_view>
#include <vector>

#include "adapter/base/log_limiter.h"

namespace metrics_adapter {

// The fields of /proc/PID/stat that ProcessMetrics reports, in base units.
struct ProcStat {
  double cpu_seconds = 0;       // utime + stime
  double start_after_boot = 0;  // starttime, seconds after boot
  double virtual_bytes = 0;     // vsize
  double resident_bytes = 0;    // rss pages * page size
};

// Reads the text of /proc/PID/stat. The command name (field 2) may hold
// spaces and parentheses: the fields are counted from the last ')'. Returns
// nullopt when a field is missing or not a number.
std::optional<ProcStat> ParseProcStat(std::string_view text, long ticks_per_second, long page_size);

// Reads the "btime" line of /proc/stat's text: the boot time in Unix seconds.
std::optional<double> ParseBootTime(std::string_view text);

// Thread-safe: Collect only reads.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  ProcessMetrics();
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  long ticks_per_second_;
  long page_size_;
  std::optional<double> boot_time_;  // read once: it does not change
  mutable LogLimiter log_limiter_;
};

}  // namespace metrics_adapter
