#include "adapter/pipeline/match_workers.h"

#include <algorithm>

namespace metrics_adapter {

MatchWorkers::MatchWorkers(std::size_t threads) {
  const std::size_t helpers = std::max<std::size_t>(threads, 1) - 1;
  helpers_.reserve(helpers);
  for (std::size_t i = 0; i < helpers; ++i) helpers_.emplace_back([this] { HelperLoop(); });
}

MatchWorkers::~MatchWorkers() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& helper : helpers_) helper.join();
}

void MatchWorkers::Run(Work& work) {
  if (helpers_.empty()) {
    work(0);
    return;
  }
  Job job{&work};
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(&job);
  }
  wake_.notify_all();
  work(0);
  std::unique_lock lock(mu_);
  // No helper joins once the caller is done: whatever work is left is being
  // finished by those already in.
  if (auto it = std::find(jobs_.begin(), jobs_.end(), &job); it != jobs_.end()) jobs_.erase(it);
  left_.wait(lock, [&] { return job.active == 0; });
}

void MatchWorkers::HelperLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job* job = jobs_.front();
    const std::size_t lane = job->next_lane++;
    ++job->active;
    if (job->next_lane == threads()) jobs_.pop_front();  // every lane taken
    lock.unlock();
    (*job->work)(lane);
    lock.lock();
    if (--job->active == 0) left_.notify_all();
  }
}

}  // namespace metrics_adapter
