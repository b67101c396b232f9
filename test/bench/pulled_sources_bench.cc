// What the `exec` and `status_file` pulled sources add to a scrape beyond
// the command's own run time, with the 100 KiB nginx plus JSON page of
// parsers_bench (test/bench/status_pages.h) written to a temporary file:
//
//   BM_SpawnAndWait       the least any caller pays to run `cat PAGE` and
//                         read its output: posix_spawn, a blocking read of a
//                         pipe, waitpid. The command's own run time.
//   BM_RunCommand         the same command through RunCommand: pipes for
//                         stdout and stderr, a pidfd, poll under the
//                         deadline, the kill and reap of the process group.
//   BM_ReadStatusFile     the page read whole from the file.
//   BM_ScrapeExec         PullSource::Scrape of an exec source running `cat
//   BM_ScrapeStatusFile   PAGE`, or of a status_file source reading PAGE,
//                         with test/bench/adapter/nginx_plus_api.yaml (5
//                         rules, 522 series), then rendered.
//
// Process creation is timed in wall-clock time: the child's work is not the
// benchmark thread's CPU time. RunCommand - SpawnAndWait is the exec
// source's own cost; ScrapeExec - SpawnAndWait is all a scrape adds beyond
// the command (parse, rules and rendering included, which parsers_bench's
// BM_ScrapeJsonNginxPlus measures alone).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "adapter/config/config.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/pull_source.h"
#include "adapter/sources/exec_fetch.h"
#include "adapter/sources/status_file.h"
#include "adapter/store/self_metrics.h"
#include "adapter/store/series_store.h"
#include "rules/rule_loader.h"
#include "status_pages.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace metrics_adapter {
namespace {

// The page, written once to a file the process removes at exit.
const std::string& PagePath() {
  static const std::string path = [] {
    std::string pattern = "/tmp/pulled-sources-bench-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) std::abort();
    close(fd);
    std::ofstream(pattern, std::ios::binary) << NginxPlusJson();
    std::atexit([] { unlink(PagePath().c_str()); });
    return pattern;
  }();
  return path;
}

void BM_SpawnAndWait(benchmark::State& state) {
  std::string cat = "/bin/cat";
  std::string page = PagePath();
  char* argv[] = {cat.data(), page.data(), nullptr};
  std::string body;
  for (auto _ : state) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ) != 0) std::abort();
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    body.clear();
    char buffer[65536];
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) body.append(buffer, n);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_SpawnAndWait)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_RunCommand(benchmark::State& state) {
  ExecFetchOptions options;
  options.command = {"/bin/cat", PagePath()};
  std::size_t bytes = 0;
  for (auto _ : state) {
    FetchResult r = RunCommand(options, nullptr);
    if (!r.ok) state.SkipWithError(r.error.c_str());
    bytes = r.body.size();
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RunCommand)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_ReadStatusFile(benchmark::State& state) {
  StatusFileOptions options;
  options.path = PagePath();
  for (auto _ : state) {
    FetchResult r = ReadStatusFile(options);
    if (!r.ok) state.SkipWithError(r.error.c_str());
    benchmark::DoNotOptimize(r.body.data());
  }
}
BENCHMARK(BM_ReadStatusFile)->UseRealTime()->Unit(benchmark::kMicrosecond);

void RunPullScrape(benchmark::State& state, SourceConfig config) {
  Schema schema;
  Diagnostics diags;
  RuleFiles rules = LoadRuleFiles(
      {METRICS_ADAPTER_SOURCE_DIR "/test/bench/adapter/nginx_plus_api.yaml"}, schema, diags);
  if (!rules.rule_set || !rules.parser) {
    state.SkipWithError(diags.Format().c_str());
    return;
  }
  SelfMetrics self;
  config.name = "bench";
  PullSource source(config, *rules.parser, rules.rule_set, self, "");
  std::size_t series = 0;
  for (auto _ : state) {
    SeriesStore store(schema, kDefaultMaxSeriesPerFamily, /*own_metrics=*/false);
    if (!source.Scrape(store)) state.SkipWithError("scrape failed");
    benchmark::DoNotOptimize(RenderExposition({&store}));
    series = store.SeriesCount();
  }
  state.counters["series"] = static_cast<double>(series);
}

void BM_ScrapeExec(benchmark::State& state) {
  SourceConfig config;
  config.type = "exec";
  config.exec.command = {"/bin/cat", PagePath()};
  RunPullScrape(state, config);
}
BENCHMARK(BM_ScrapeExec)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_ScrapeStatusFile(benchmark::State& state) {
  SourceConfig config;
  config.type = "status_file";
  config.status_file.path = PagePath();
  RunPullScrape(state, config);
}
BENCHMARK(BM_ScrapeStatusFile)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metrics_adapter

BENCHMARK_MAIN();
