// MatchWorkers: every part of a job is done exactly once whether helpers join
// or not, and jobs of several sources at once all complete.
#include "adapter/pipeline/match_workers.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace metrics_adapter {
namespace {

// Claims parts 0..parts-1 from a shared counter, as a ParallelMatcher does.
class CountingWork : public MatchWorkers::Work {
 public:
  explicit CountingWork(std::size_t parts) : done_(parts) {}
  void operator()(std::size_t lane) override {
    lanes_seen_.fetch_or(1U << lane);
    for (std::size_t i; (i = next_.fetch_add(1)) < done_.size();) done_[i].fetch_add(1);
  }
  bool EachOnce() const {
    for (const std::atomic<int>& n : done_) {
      if (n.load() != 1) return false;
    }
    return true;
  }
  unsigned lanes_seen() const { return lanes_seen_.load(); }

 private:
  std::vector<std::atomic<int>> done_;
  std::atomic<std::size_t> next_{0};
  std::atomic<unsigned> lanes_seen_{0};
};

TEST_CASE("one thread: the caller does the whole job as lane 0") {
  MatchWorkers workers(1);
  CHECK(workers.threads() == 1);
  CountingWork work(100);
  workers.Run(work);
  CHECK(work.EachOnce());
  CHECK(work.lanes_seen() == 1U);
}

TEST_CASE("several sources' jobs at once: each part once, lanes within bounds") {
  MatchWorkers workers(3);
  CHECK(workers.threads() == 3);
  std::vector<std::thread> sources;
  std::atomic<int> failures{0};
  for (int s = 0; s < 4; ++s) {
    sources.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        CountingWork work(64);
        workers.Run(work);
        if (!work.EachOnce() || (work.lanes_seen() & 1U) == 0 || work.lanes_seen() >= 8U) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : sources) t.join();
  CHECK(failures.load() == 0);
}

}  // namespace
}  // namespace metrics_adapter
