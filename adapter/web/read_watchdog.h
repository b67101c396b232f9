// ReadWatchdog bounds how long a request's body may take to arrive. civetweb
// 1.15 bounds reading a request's head, but mg_read keeps reading for as long
// as bytes trickle in, so a client sending one byte a second holds a worker
// thread indefinitely. At a connection's deadline the watchdog shuts down the
// reading side of its socket: civetweb's blocked read then returns at once
// (end of input), while the response can still be written.
//
// Usage (on the worker thread serving `fd`):
//   ReadWatchdog::Ticket ticket = watchdog.Arm(fd, deadline);
//   ... mg_read(...) ...          // returns early once the deadline passes
//   bool cut = watchdog.Disarm(ticket);  // before civetweb may close `fd`
//
// Disarm must be called before the socket is closed: after it returns the
// watchdog never touches the descriptor again, so a reused number is safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace metrics_adapter {

class ReadWatchdog {
 public:
  using Clock = std::chrono::steady_clock;
  struct Ticket {
    std::uint64_t id = 0;  // 0: nothing armed
  };

  ReadWatchdog();
  // Joins the watchdog thread; every ticket must have been disarmed.
  ~ReadWatchdog();
  ReadWatchdog(const ReadWatchdog&) = delete;
  ReadWatchdog& operator=(const ReadWatchdog&) = delete;

  // Shuts down reading on `fd` at `deadline` unless disarmed before. A
  // negative fd arms nothing. After CutAll, cuts at once.
  Ticket Arm(int fd, Clock::time_point deadline);
  // Forgets the ticket. Returns whether its socket was cut.
  bool Disarm(Ticket ticket);
  // Cuts every armed socket now, and every one armed from now on: for
  // shutdown, so no trickling body delays it.
  void CutAll();

 private:
  struct Entry {
    int fd;
    Clock::time_point deadline;
    bool cut;
  };
  void Run();
  void CutLocked(Entry& entry);

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  bool cut_all_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace metrics_adapter
