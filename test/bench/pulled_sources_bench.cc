// What the `exec` and `status_file` pulled sources add to a scrape beyond
// the command's own run time, with the 100 KiB nginx plus JSON page of
// parsers_bench (test/bench/status_pages.h) written to a temporary file and
// test/bench/adapter/nginx_plus_api.yaml (5 rules, 522 series).
//
// Each round times, one after the other:
//   spawn+wait     the least any caller pays to run `cat PAGE` and read its
//                  output: posix_spawn, blocking reads of a pipe, waitpid.
//                  This is the command's own run time.
//   RunCommand     the same command through the exec source's RunCommand:
//                  pipes for stdout and stderr, a pidfd, poll under the
//                  deadline, the kill and reap of the process group.
//   ReadStatusFile the page read whole from the file.
//   parse+render   the page, already in memory, parsed, matched into a
//                  fresh store and rendered (parsers_bench's
//                  BM_ScrapeJsonNginxPlus).
//   scrape exec    PullSource::Scrape of an exec source running `cat PAGE`,
//   scrape file    or of a status_file source reading PAGE, then rendered.
//
// The figures are medians and 90th percentiles over the rounds, and the
// median of each round's difference: RunCommand - spawn+wait is the exec
// source's own cost; scrape exec - spawn+wait is everything a scrape adds
// beyond the command. Pairing the differences within a round keeps them
// meaningful on a busy machine, where process creation varies by
// milliseconds from one moment to the next. Wall time throughout (the
// command's work is another process's CPU time); CPU time of this process
// is printed beside it.
//
// Usage: pulled_sources_bench [--rounds N]   (default 300)
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "adapter/config/config.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/pull_source.h"
#include "adapter/pipeline/source_pipeline.h"
#include "adapter/sources/exec_fetch.h"
#include "adapter/sources/status_file.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "rules/rule_loader.h"
#include "status_pages.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "pulled_sources_bench: %s\n", why.c_str());
  std::exit(1);
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Runs `cat path` the plainest way and returns its output.
std::string SpawnAndWait(const std::string& path) {
  std::string cat = "/bin/cat";
  std::string arg = path;
  char* argv[] = {cat.data(), arg.data(), nullptr};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) Die("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ) != 0) Die("posix_spawn");
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  std::string body;
  char buffer[65536];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
    body.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return body;
}

struct Step {
  const char* name;
  std::function<void()> run;
  std::vector<double> wall_ms;
  std::vector<double> cpu_ms;
};

double Quantile(std::vector<double> xs, double q) {
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<std::size_t>(q * static_cast<double>(xs.size())))];
}

// Prints the median over the rounds of a - (each of `minus`), wall time.
void PrintDifference(const char* label, const Step& a, std::vector<const Step*> minus) {
  std::vector<double> diff;
  for (std::size_t i = 0; i < a.wall_ms.size(); ++i) {
    double d = a.wall_ms[i];
    for (const Step* b : minus) d -= b->wall_ms[i];
    diff.push_back(d);
  }
  std::printf("%-34s %8.3f ms median of the rounds' differences\n", label, Quantile(diff, 0.5));
}

int Run(int rounds) {
  std::string path = "/tmp/pulled-sources-bench-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) Die("mkstemp");
  close(fd);
  const std::string page = NginxPlusJson();
  std::ofstream(path, std::ios::binary) << page;

  Schema schema;
  Diagnostics diags;
  RuleFiles rules = LoadRuleFiles(
      {METRICS_ADAPTER_SOURCE_DIR "/test/bench/adapter/nginx_plus_api.yaml"}, schema, diags);
  if (!rules.rule_set || !rules.parser) Die(diags.Format());
  SelfMetrics self;
  SourceConfig exec_config;
  exec_config.name = "exec";
  exec_config.type = "exec";
  exec_config.exec.command = {"/bin/cat", path};
  SourceConfig file_config;
  file_config.name = "file";
  file_config.type = "status_file";
  file_config.status_file.path = path;
  PullSource exec_source(exec_config, *rules.parser, rules.rule_set, self, "");
  PullSource file_source(file_config, *rules.parser, rules.rule_set, self, "");
  SourcePipeline pipeline("body", *rules.parser, rules.rule_set, nullptr, self, "");
  auto scrape = [&](PullSource& source) {
    const PullSource::Scraped s = source.Scrape(schema, kDefaultMaxSeriesPerFamily);
    if (!s.ok || s.store->SeriesCount() != 522) Die("scrape of " + source.name());
    if (RenderExposition({s.store.get()}).empty()) Die("empty exposition");
  };

  std::vector<Step> steps = {
      {"spawn+wait (the command alone)",
       [&] {
         if (SpawnAndWait(path) != page) Die("cat");
       }},
      {"RunCommand",
       [&] {
         if (RunCommand(exec_config.exec, nullptr).body != page) Die("RunCommand");
       }},
      {"ReadStatusFile",
       [&] {
         if (ReadStatusFile(file_config.status_file).body != page) Die("ReadStatusFile");
       }},
      {"parse+match+render (in memory)",
       [&] {
         SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
         if (!pipeline.ProcessBody(page, store)) Die("parse");
         if (RenderExposition({&store}).empty()) Die("empty exposition");
       }},
      {"scrape exec (cat PAGE)", [&] { scrape(exec_source); }},
      {"scrape status_file (PAGE)", [&] { scrape(file_source); }},
  };
  // Every other round runs RunCommand before spawn+wait, so that neither
  // gains from going first (a warm page cache, a scheduler that just woke).
  std::vector<std::size_t> order(steps.size());
  for (int round = -rounds / 10; round < rounds; ++round) {  // the first tenth warms up
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (round % 2 != 0) std::swap(order[0], order[1]);
    for (std::size_t i : order) {
      Step& step = steps[i];
      const double cpu = CpuSeconds();
      const auto start = Clock::now();
      step.run();
      if (round < 0) continue;
      step.wall_ms.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      step.cpu_ms.push_back((CpuSeconds() - cpu) * 1e3);
    }
  }
  unlink(path.c_str());

  std::printf("%zu-byte page, %d rounds\n", page.size(), rounds);
  std::printf("%-34s %18s %18s\n", "step", "wall ms med / p90", "CPU ms med / p90");
  for (const Step& s : steps) {
    std::printf("%-34s %8.3f / %7.3f %8.3f / %7.3f\n", s.name, Quantile(s.wall_ms, 0.5),
                Quantile(s.wall_ms, 0.9), Quantile(s.cpu_ms, 0.5), Quantile(s.cpu_ms, 0.9));
  }
  PrintDifference("RunCommand - spawn+wait", steps[1], {&steps[0]});
  PrintDifference("scrape exec - spawn+wait", steps[4], {&steps[0]});
  PrintDifference("scrape exec - spawn+wait - parse", steps[4], {&steps[0], &steps[3]});
  PrintDifference("scrape status_file - parse", steps[5], {&steps[3]});
  return 0;
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) {
  int rounds = 300;
  if (argc == 3 && std::strcmp(argv[1], "--rounds") == 0) {
    rounds = std::atoi(argv[2]);
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
    return 2;
  }
  if (rounds < 10) rounds = 10;
  return metrics_adapter::Run(rounds);
}
