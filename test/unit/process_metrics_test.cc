// ProcessMetrics: /proc/PID/stat parsed right (a command name with spaces
// and parentheses, broken text refused), and the process_* families of a
// serving adapter's self metrics agreeing with what /proc/self/status,
// /proc/self/limits, /proc/self/fd and getrusage say, read here by other means.
#include "adapter/store/process_metrics.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "adapter/base/build_info.h"
#include "adapter/exposition/exposition.h"
#include "adapter/store/self_metrics.h"

namespace metrics_adapter {
namespace {

// A /proc/PID/stat line (proc(5)): pid, comm, state, then fields 4..52.
// utime 14 = 250 ticks, stime 15 = 150, starttime 22 = 12345, vsize 23,
// rss 24 = 300 pages.
constexpr std::string_view kStat =
    "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 3 0 12345 "
    "104857600 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

TEST_CASE("ParseProcStat reads the fields after the command name, in base units") {
  std::optional<ProcStat> stat = ParseProcStat(kStat, 100, 4096);
  REQUIRE(stat);
  CHECK(stat->cpu_seconds == doctest::Approx(4.0));
  CHECK(stat->start_after_boot == doctest::Approx(123.45));
  CHECK(stat->virtual_bytes == 104857600);
  CHECK(stat->resident_bytes == 300.0 * 4096);
}

TEST_CASE("ParseProcStat refuses text that is not a stat line") {
  CHECK_FALSE(ParseProcStat("", 100, 4096));
  CHECK_FALSE(ParseProcStat("4242 (name", 100, 4096));
  CHECK_FALSE(ParseProcStat("4242 (name) S 1 2 3", 100, 4096));  // cut short
  std::string bad(kStat);
  bad.replace(bad.find(" 250 "), 5, " 2x0 ");
  CHECK_FALSE(ParseProcStat(bad, 100, 4096));
  CHECK_FALSE(ParseProcStat(kStat, 0, 4096));
}

TEST_CASE("ParseBootTime finds the btime line") {
  CHECK(ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1764000000\nprocesses 9\n") == 1764000000.0);
  CHECK(ParseBootTime("btime 17\n") == 17.0);
  CHECK_FALSE(ParseBootTime("cpu 1\nxbtime 5\n"));
  CHECK_FALSE(ParseBootTime("btime soon\n"));
}

// The samples of an exposition, by series.
std::map<std::string, double> Samples(const Exposable& exposable) {
  std::map<std::string, double> out;
  std::istringstream text(RenderExposition({&exposable}));
  for (std::string line; std::getline(text, line);) {
    if (std::optional<Sample> sample = ParseSampleLine(line)) out[sample->series] = sample->value;
  }
  return out;
}

// A "Key:   value kB" line of /proc/self/status, in bytes.
double StatusBytes(const std::string& key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(key + ":")) {
      std::istringstream fields(line.substr(key.size() + 1));
      double kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  FAIL("no " << key << " in /proc/self/status");
  return 0;
}

// The soft limit on a "Max ..." line of /proc/self/limits; "unlimited" is
// the largest 64-bit value, as client_golang reports it.
double SoftLimit(const std::string& name) {
  std::ifstream limits("/proc/self/limits");
  for (std::string line; std::getline(limits, line);) {
    if (line.starts_with(name)) {
      std::istringstream fields(line.substr(name.size()));
      std::string soft;
      fields >> soft;
      return soft == "unlimited" ? 18446744073709551615.0 : std::stod(soft);
    }
  }
  FAIL("no " << name << " in /proc/self/limits");
  return 0;
}

double StartTime() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;  // field 22: starttime
  std::ifstream proc_stat("/proc/stat");
  double boot = 0;
  for (std::string key; proc_stat >> key;) {
    if (key == "btime") {
      proc_stat >> boot;
      break;
    }
  }
  return boot + std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

TEST_CASE("a serving adapter's self metrics show its process as /proc does") {
  const SelfMetrics self(SelfMetrics::kWithProcess);
  const CollectableExposable exposable(self);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const std::map<std::string, double> samples = Samples(exposable);
  // The listing of /proc/self/fd holds one descriptor while it runs.
  const auto fds =
      static_cast<double>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"), {})) -
      1;
  rusage after{};
  getrusage(RUSAGE_SELF, &after);

  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    CAPTURE(name);
    CHECK(samples.count(name) == 1);
  }
  CHECK(samples.at("process_open_fds") == fds);
  CHECK(samples.at("process_max_fds") == SoftLimit("Max open files"));
  CHECK(samples.at("process_virtual_memory_max_bytes") == SoftLimit("Max address space"));
  // Memory moves a little between two reads; a page size or a unit error
  // would be off by a factor.
  CHECK(samples.at("process_resident_memory_bytes") ==
        doctest::Approx(StatusBytes("VmRSS")).epsilon(0.1));
  CHECK(samples.at("process_virtual_memory_bytes") ==
        doctest::Approx(StatusBytes("VmSize")).epsilon(0.1));
  CHECK(samples.at("process_start_time_seconds") == doctest::Approx(StartTime()).epsilon(1e-9));
  // CPU time in clock ticks (1/100 s) sits between the two getrusage reads.
  auto seconds = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  CHECK(samples.at("process_cpu_seconds_total") >= seconds(before) - 0.02);
  CHECK(samples.at("process_cpu_seconds_total") <= seconds(after) + 0.02);
}

TEST_CASE("self metrics without the process show no process_ families, and the build") {
  const SelfMetrics self;
  const CollectableExposable exposable(self);
  const std::map<std::string, double> samples = Samples(exposable);
  for (const auto& [series, value] : samples) {
    CAPTURE(series);
    CHECK_FALSE(series.starts_with("process_"));
  }
  const BuildInfo& build = GetBuildInfo();
  const std::string series = "metrics_adapter_build_info{branch=\"" + std::string(build.branch) +
                             "\",compiler=\"" + std::string(build.compiler) + "\",revision=\"" +
                             std::string(build.revision) + "\",version=\"" +
                             std::string(build.version) + "\"}";
  REQUIRE(samples.count(series) == 1);
  CHECK(samples.at(series) == 1);
  CHECK(build.version == METRICS_ADAPTER_VERSION);
  CHECK_FALSE(build.revision.empty());
}

}  // namespace
}  // namespace metrics_adapter
