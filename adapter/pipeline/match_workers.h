// MatchWorkers: the helper threads that parse and match a streamed source's
// lines beside the thread that read them, shared by every source of the
// process. With `threads` N there are N-1 helpers; a source's thread is
// always the Nth, so a busy source gets every core the pod may use, and
// several busy sources share the helpers.
//
// Run(work) calls work(0) on the calling thread and work(1..N-1) on helpers
// that are idle, and returns once every call has returned. The work must be
// complete after work(0) alone (helpers only join in when they are free: the
// calls claim parts of the job from a shared counter), so a job never waits
// for a helper busy with another source's job.
//
// Idle helpers block on a condition variable: no CPU while nothing is read.
//
// Usage:
//   MatchWorkers workers(2);
//   std::atomic<std::size_t> next{0};
//   workers.Run([&](std::size_t lane) {
//     for (std::size_t i; (i = next.fetch_add(1)) < parts;) Do(i, lane);
//   });
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace metrics_adapter {

class MatchWorkers {
 public:
  // Work callback: `lane` is 0 on the calling thread, 1..threads()-1 on
  // helpers; no two calls of one Run share a lane.
  class Work {
   public:
    virtual ~Work() = default;
    virtual void operator()(std::size_t lane) = 0;
  };

  // `threads` at least 1; starts threads-1 helper threads.
  explicit MatchWorkers(std::size_t threads);
  // Stops and joins the helpers. No Run may be in progress.
  ~MatchWorkers();
  MatchWorkers(const MatchWorkers&) = delete;
  MatchWorkers& operator=(const MatchWorkers&) = delete;

  std::size_t threads() const { return helpers_.size() + 1; }

  // Runs `work` as described above. Thread-safe: sources call it at once.
  void Run(Work& work);

 private:
  struct Job {
    Work* work;
    std::size_t next_lane = 1;
    std::size_t active = 0;  // helpers inside work
  };
  void HelperLoop();

  std::mutex mu_;
  std::condition_variable wake_;  // a job was queued, or stopping
  std::condition_variable left_;  // a helper left a job
  std::deque<Job*> jobs_;         // jobs with lanes still free, oldest first
  bool stopping_ = false;
  std::vector<std::thread> helpers_;
};

}  // namespace metrics_adapter
