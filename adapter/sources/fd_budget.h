// FdBudget: how many file descriptors the file sources may hold together, so
// that a glob matching thousands of files can never take the descriptors the
// HTTP server (/metrics, /healthz), the listeners and the pulled sources need.
//
// The process-wide budget is computed once, from the soft RLIMIT_NOFILE when
// it is first used: that limit less kReservedFds for everything that is not a
// followed file (stdio and the log, the HTTP server's socket and the
// connections its threads serve, curl's and the status commands' descriptors,
// each tailer's inotify and wake-up descriptors, the positions file being
// saved), less what the HTTP server's workers need (Reserve, at start: one
// connection each) and what the listeners keep for their connections
// (Reserve, while they run). Followed files then take from what is left
// (TryAcquire) and give back when closed (Release).
//
// Usage:
//   FdBudget& budget = FdBudget::Process();
//   if (!budget.TryAcquire()) { /* skip the file: counted, warned about */ }
//   ...
//   budget.Release();  // the file was closed
#pragma once

#include <cstddef>
#include <mutex>

namespace metrics_adapter {

class FdBudget {
 public:
  // Descriptors kept for everything but followed files and listeners'
  // connections.
  static constexpr std::size_t kReservedFds = 128;
  // Files may always take this many, whatever the limit: a limit so low that
  // not even these fit fails elsewhere first, and loudly.
  static constexpr std::size_t kMinFileFds = 16;

  // `total`: the descriptors the process may open (RLIMIT_NOFILE).
  explicit FdBudget(std::size_t total);

  // The process's budget: from the soft RLIMIT_NOFILE at the first call.
  static FdBudget& Process();

  // Takes one descriptor for a followed file; false when none is left.
  bool TryAcquire();
  void Release();

  // A listener keeps `count` descriptors for its connections from the files'
  // share while it runs (files already open stay open: only new ones are
  // refused), and gives them back when it stops.
  void Reserve(std::size_t count);
  void Unreserve(std::size_t count);

  // What followed files may hold now, and hold.
  std::size_t file_limit() const;
  std::size_t files_open() const;

 private:
  std::size_t FileLimitLocked() const;

  mutable std::mutex mu_;
  std::size_t total_;
  std::size_t reserved_ = 0;  // by listeners
  std::size_t files_ = 0;
};

}  // namespace metrics_adapter
