// What one scan of a file source costs on a quiet directory tree (nothing to
// read): the walk of its patterns, the stat of every file, the lag check.
// Run() walks on a change of directory entries and every poll_interval
// (default 250ms); a write alone only reads. The tree is pods/<N>/app/ with
// one followed .log and one excluded .gz file in each, plus a nested
// directory (pods/<N>/app/v1/) holding another .log.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "adapter/sources/file_tailer.h"

namespace metrics_adapter {
namespace {

class Quiet : public TailerObserver {
 public:
  void OnLines(std::span<const std::string_view>, std::size_t) override {}
  void OnEvent(TailEvent, std::string_view, std::string_view) override {}
};

// A tree of `pods` pod directories under a fresh temporary directory.
class Tree {
 public:
  explicit Tree(int pods) {
    std::string pattern = "/tmp/tailer-scan-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    root_ = pattern;
    for (int i = 0; i < pods; ++i) {
      const std::string app = root_ + "/pods/pod-" + std::to_string(i) + "/app";
      std::filesystem::create_directories(app + "/v1");
      std::ofstream(app + "/access.log") << "x\n";
      std::ofstream(app + "/access.log.1.gz") << "x\n";
      std::ofstream(app + "/v1/error.log") << "x\n";
    }
  }
  ~Tree() { std::filesystem::remove_all(root_); }
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

void Scan(benchmark::State& state, const std::string& pattern) {
  Tree tree(static_cast<int>(state.range(0)));
  TailerOptions options;
  options.paths = {tree.root() + pattern};
  options.exclude = {"*.gz"};
  Quiet quiet;
  FileTailer tailer(options, &quiet);
  tailer.Poll();  // opens every file
  for (auto _ : state) tailer.Poll();
  state.counters["pods"] = static_cast<double>(state.range(0));
}

void BM_ScanWildcardDirs(benchmark::State& state) { Scan(state, "/pods/*/app/*.log"); }
void BM_ScanGlobstar(benchmark::State& state) { Scan(state, "/pods/**/*.log"); }
BENCHMARK(BM_ScanWildcardDirs)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScanGlobstar)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace metrics_adapter

BENCHMARK_MAIN();
