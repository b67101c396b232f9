// RenderPool: jobs run on its threads, exceptions reach the caller, jobs one
// after the other reuse one thread, and concurrent jobs get threads of their
// own. Deterministic: the concurrent case waits on a latch, never a clock.
#include "adapter/web/render_pool.h"

#include <doctest/doctest.h>

#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace metrics_adapter {
namespace {

TEST_CASE("RenderPool runs a job on a thread of its own and returns when it is done") {
  RenderPool pool;
  std::thread::id ran_on;
  int result = 0;
  pool.Run([&] {
    ran_on = std::this_thread::get_id();
    result = 42;
  });
  CHECK(result == 42);
  CHECK(ran_on != std::this_thread::get_id());
  CHECK(pool.threads() == 1);
}

TEST_CASE("RenderPool rethrows a job's exception in the caller") {
  RenderPool pool;
  CHECK_THROWS_WITH_AS(pool.Run([] { throw std::runtime_error("render failed"); }), "render failed",
                       std::runtime_error);
  // The thread survives it and takes the next job.
  int result = 0;
  pool.Run([&] { result = 1; });
  CHECK(result == 1);
  CHECK(pool.threads() == 1);
}

TEST_CASE("RenderPool runs jobs one after the other on the same thread") {
  RenderPool pool;
  std::set<std::thread::id> ran_on;
  for (int i = 0; i < 50; ++i) pool.Run([&] { ran_on.insert(std::this_thread::get_id()); });
  CHECK(ran_on.size() == 1);
  CHECK(pool.threads() == 1);
}

TEST_CASE("RenderPool gives concurrent jobs threads of their own") {
  RenderPool pool;
  constexpr int kJobs = 4;
  // Every job waits until all have started: they can only finish if each
  // has a thread.
  std::latch all_started(kJobs);
  std::vector<std::thread::id> ran_on(kJobs);
  std::vector<std::thread> callers;
  callers.reserve(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    callers.emplace_back([&, i] {
      pool.Run([&] {
        ran_on[i] = std::this_thread::get_id();
        all_started.arrive_and_wait();
      });
    });
  }
  for (std::thread& caller : callers) caller.join();
  CHECK(std::set<std::thread::id>(ran_on.begin(), ran_on.end()).size() == kJobs);
  CHECK(pool.threads() == kJobs);
  // Later jobs reuse them.
  pool.Run([] {});
  CHECK(pool.threads() == kJobs);
}

}  // namespace
}  // namespace metrics_adapter
