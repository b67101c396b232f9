#include "adapter/web/read_watchdog.h"

#include <sys/socket.h>

#include <algorithm>

namespace metrics_adapter {

ReadWatchdog::ReadWatchdog() : thread_([this] { Run(); }) {}

ReadWatchdog::~ReadWatchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

ReadWatchdog::Ticket ReadWatchdog::Arm(int fd, Clock::time_point deadline) {
  if (fd < 0) return {};
  std::lock_guard lock(mu_);
  const std::uint64_t id = next_id_++;
  Entry& entry = entries_[id] = Entry{fd, deadline, false};
  if (cut_all_) {
    CutLocked(entry);
  } else {
    changed_.notify_all();
  }
  return {id};
}

bool ReadWatchdog::Disarm(Ticket ticket) {
  if (ticket.id == 0) return false;
  std::lock_guard lock(mu_);
  auto it = entries_.find(ticket.id);
  if (it == entries_.end()) return false;
  const bool cut = it->second.cut;
  entries_.erase(it);
  return cut;
}

void ReadWatchdog::CutAll() {
  std::lock_guard lock(mu_);
  cut_all_ = true;
  for (auto& [id, entry] : entries_) CutLocked(entry);
}

void ReadWatchdog::CutLocked(Entry& entry) {
  if (entry.cut) return;
  entry.cut = true;
  // Only the reading side: the response still goes out. The descriptor is
  // open: its owner disarms before civetweb closes it, under mu_.
  shutdown(entry.fd, SHUT_RD);
}

void ReadWatchdog::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (auto& [id, entry] : entries_) {
      if (entry.cut) continue;
      if (entry.deadline <= now) {
        CutLocked(entry);
      } else {
        next = std::min(next, entry.deadline);
      }
    }
    if (next == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
  }
}

}  // namespace metrics_adapter
