#include "adapter/store/process_metrics.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <string>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// Reads a whole /proc file (they are short) with one open and a read loop:
// what a scrape costs is the point of this file. Returns nullopt and sets
// *error on failure.
std::optional<std::string> ReadProcFile(const char* path, std::string* error) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::string("cannot open ") + path + ": " + ErrnoText(errno);
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> buffer;
  for (;;) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::string("cannot read ") + path + ": " + ErrnoText(errno);
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  close(fd);
  return text;
}

// The open descriptors: the entries of /proc/self/fd, less the one the
// listing itself holds open.
std::optional<double> CountOpenFds(std::string* error) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) {
    *error = "cannot open /proc/self/fd: " + ErrnoText(errno);
    return std::nullopt;
  }
  const std::string own = std::to_string(dirfd(dir));
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != ".." && name != own) ++count;
  }
  closedir(dir);
  return count;
}

// A soft resource limit; RLIM_INFINITY (no limit) is its largest value, as
// client_golang reports it.
std::optional<double> SoftLimit(int resource, std::string* error) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0) {
    *error = "getrlimit: " + ErrnoText(errno);
    return std::nullopt;
  }
  return static_cast<double>(limit.rlim_cur);
}

// Splits `text` at spaces; returns the `index`th field (from 0) as a number.
std::optional<double> Field(std::string_view text, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    start = text.find(' ', start);
    if (start == std::string_view::npos) return std::nullopt;
    ++start;
  }
  const std::size_t end = std::min(text.find(' ', start), text.size());
  unsigned long long value = 0;
  const char* first = text.data() + start;
  const char* last = text.data() + end;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
  return static_cast<double>(value);
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {metric}};
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text, long ticks_per_second,
                                      long page_size) {
  const std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos || paren + 2 > text.size() || ticks_per_second <= 0) {
    return std::nullopt;
  }
  // From field 3 (state) on: utime is field 14, stime 15, starttime 22,
  // vsize 23, rss 24 (proc(5)).
  const std::string_view fields = Trim(text.substr(paren + 2), " \n");
  const std::optional<double> utime = Field(fields, 14 - 3);
  const std::optional<double> stime = Field(fields, 15 - 3);
  const std::optional<double> start = Field(fields, 22 - 3);
  const std::optional<double> vsize = Field(fields, 23 - 3);
  const std::optional<double> rss = Field(fields, 24 - 3);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  const auto ticks = static_cast<double>(ticks_per_second);
  return ProcStat{(*utime + *stime) / ticks, *start / ticks, *vsize,
                  *rss * static_cast<double>(page_size)};
}

std::optional<double> ParseBootTime(std::string_view text) {
  constexpr std::string_view kKey = "btime ";
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (line.starts_with(kKey)) return Field(line.substr(kKey.size()), 0);
    start = end + 1;
  }
  return std::nullopt;
}

ProcessMetrics::ProcessMetrics()
    : ticks_per_second_(sysconf(_SC_CLK_TCK)),
      page_size_(sysconf(_SC_PAGESIZE)),
      log_limiter_(std::chrono::minutes(1)) {
  std::string error;
  if (std::optional<std::string> stat = ReadProcFile("/proc/stat", &error)) {
    boot_time_ = ParseBootTime(*stat);
  }
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  std::string error;
  std::optional<std::string> text = ReadProcFile("/proc/self/stat", &error);
  std::optional<ProcStat> stat;
  if (text) stat = ParseProcStat(*text, ticks_per_second_, page_size_);
  if (stat) {
    families.push_back(Family("process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.",
                              MetricType::Counter, stat->cpu_seconds));
    families.push_back(Family("process_resident_memory_bytes", "Resident memory size in bytes.",
                              MetricType::Gauge, stat->resident_bytes));
    families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              MetricType::Gauge, stat->virtual_bytes));
    if (boot_time_) {
      families.push_back(Family("process_start_time_seconds",
                                "Start time of the process since unix epoch in seconds.",
                                MetricType::Gauge, *boot_time_ + stat->start_after_boot));
    }
  } else if (text) {
    error = "cannot parse /proc/self/stat";
  }
  if (std::optional<double> max_vm = SoftLimit(RLIMIT_AS, &error)) {
    families.push_back(Family("process_virtual_memory_max_bytes",
                              "Maximum amount of virtual memory available in bytes.",
                              MetricType::Gauge, *max_vm));
  }
  if (std::optional<double> open_fds = CountOpenFds(&error)) {
    families.push_back(Family("process_open_fds", "Number of open file descriptors.",
                              MetricType::Gauge, *open_fds));
  }
  if (std::optional<double> max_fds = SoftLimit(RLIMIT_NOFILE, &error)) {
    families.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, *max_fds));
  }
  if (!error.empty() || !boot_time_) {
    if (std::optional<std::uint64_t> suppressed = log_limiter_.Allow("process")) {
      spdlog::warn("process metrics left out: {} ({} similar messages suppressed)",
                   error.empty() ? "no btime in /proc/stat" : error, *suppressed);
    }
  }
  return families;
}

}  // namespace metrics_adapter
