#include "adapter/web/render_pool.h"

#include <utility>

namespace metrics_adapter {
namespace {

// The same order as civetweb's workers (100 KiB), which ran the renders
// before, with room to spare; under 2 MiB, so never a transparent huge page.
constexpr std::size_t kStackBytes = std::size_t{256} * 1024;

}  // namespace

struct RenderPool::Thread {
  RenderPool* pool = nullptr;
  pthread_t id{};
  std::condition_variable wake;
  // Set by Run, cleared by the thread when the job is done.
  const std::function<void()>* job = nullptr;
  std::exception_ptr* error = nullptr;
  bool* done = nullptr;
};

RenderPool::RenderPool() = default;

RenderPool::~RenderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (const auto& thread : threads_) thread->wake.notify_one();
  }
  for (const auto& thread : threads_) pthread_join(thread->id, nullptr);
}

std::size_t RenderPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_.size();
}

void* RenderPool::Main(void* arg) {
  auto* thread = static_cast<Thread*>(arg);
  thread->pool->Loop(thread);
  return nullptr;
}

void RenderPool::Loop(Thread* thread) {
  std::unique_lock lock(mu_);
  for (;;) {
    thread->wake.wait(lock, [&] { return thread->job != nullptr || stopping_; });
    if (thread->job == nullptr) return;  // stopping, nothing left to run
    const std::function<void()>* job = std::exchange(thread->job, nullptr);
    std::exception_ptr* error = std::exchange(thread->error, nullptr);
    bool* done = std::exchange(thread->done, nullptr);
    lock.unlock();
    try {
      (*job)();
    } catch (...) {
      *error = std::current_exception();
    }
    lock.lock();
    *done = true;
    idle_.push_back(thread);
    finished_.notify_all();
  }
}

void RenderPool::Run(const std::function<void()>& job, const std::function<void()>& meanwhile) {
  std::exception_ptr error;
  std::exception_ptr meanwhile_error;
  const auto run_meanwhile = [&] {
    if (!meanwhile) return;
    try {
      meanwhile();
    } catch (...) {
      meanwhile_error = std::current_exception();
    }
  };
  bool done = false;
  std::unique_lock lock(mu_);
  Thread* thread = nullptr;
  if (!idle_.empty()) {
    thread = idle_.back();
    idle_.pop_back();
  } else {
    auto started = std::make_unique<Thread>();
    started->pool = this;
    pthread_attr_t attr;
    bool ok = pthread_attr_init(&attr) == 0;
    if (ok) {
      pthread_attr_setstacksize(&attr, kStackBytes);
      ok = pthread_create(&started->id, &attr, &RenderPool::Main, started.get()) == 0;
      pthread_attr_destroy(&attr);
    }
    if (!ok) {
      lock.unlock();
      // No thread to spare: the caller's own is as good.
      try {
        job();
      } catch (...) {
        error = std::current_exception();
      }
      run_meanwhile();
      if (error) std::rethrow_exception(error);
      if (meanwhile_error) std::rethrow_exception(meanwhile_error);
      return;
    }
    thread = threads_.emplace_back(std::move(started)).get();
  }
  thread->job = &job;
  thread->error = &error;
  thread->done = &done;
  thread->wake.notify_one();
  lock.unlock();
  run_meanwhile();
  lock.lock();
  finished_.wait(lock, [&] { return done; });
  lock.unlock();
  if (error) std::rethrow_exception(error);
  if (meanwhile_error) std::rethrow_exception(meanwhile_error);
}

}  // namespace metrics_adapter
