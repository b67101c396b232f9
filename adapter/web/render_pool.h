// RenderPool runs the server's renders of /metrics on threads of its own
// instead of on the civetweb worker that took the request.
//
// What a render leaves in the thread it ran on stays there: the stack pages
// it touched (about 20 KiB deep) and glibc's per-thread cache of freed small
// blocks (about 10 KiB after a render). civetweb hands each new connection
// to the worker that has waited longest, so scrapes visit every one of the
// 512 workers in turn, and each kept that much: an adapter holding 100,000
// series grew from 33 to 45 MiB over its first 550 scrapes. On the pool the
// most recently idle thread takes the next render, so scrapes one after the
// other all run on one thread; a new thread starts only when every one is
// busy (concurrent scrapes, at most --web.max-requests of them).
//
// Thread-safe. The destructor joins the threads; no Run may be under way.
//
// Usage:
//   RenderPool pool;
//   std::string body;
//   pool.Run([&] { body = Render(); });  // returns when Render has; rethrows
//   pool.Run([&] { Render(queue); }, [&] { Send(queue); });  // the two at once
#pragma once

#include <pthread.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace metrics_adapter {

class RenderPool {
 public:
  RenderPool();
  ~RenderPool();
  RenderPool(const RenderPool&) = delete;
  RenderPool& operator=(const RenderPool&) = delete;

  // Runs `job` on a pool thread and waits for it; an exception it throws is
  // rethrown here. Starts a thread when none is idle; if that fails (no
  // resources), runs `job` on the calling thread instead. `meanwhile`, if
  // set, runs on the calling thread while `job` runs (after it, when `job`
  // ran on the calling thread); Run returns when both have, and rethrows
  // `job`'s exception, else `meanwhile`'s.
  void Run(const std::function<void()>& job, const std::function<void()>& meanwhile = {});

  // Threads started so far (all kept until destruction).
  std::size_t threads() const;

 private:
  struct Thread;
  static void* Main(void* arg);
  void Loop(Thread* thread);

  mutable std::mutex mu_;
  std::condition_variable finished_;  // a job done; callers check their own flag
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<Thread*> idle_;  // the most recently idle last
  bool stopping_ = false;
};

}  // namespace metrics_adapter
