#include "adapter/sources/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <limits>

namespace metrics_adapter {

FdBudget::FdBudget(std::size_t total) : total_(total) {}

FdBudget& FdBudget::Process() {
  static FdBudget budget([] {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
      return std::size_t{1} << 20;
    }
    return static_cast<std::size_t>(
        std::min<rlim_t>(limit.rlim_cur, std::numeric_limits<int>::max()));
  }());
  return budget;
}

std::size_t FdBudget::FileLimitLocked() const {
  const std::size_t taken = kReservedFds + reserved_;
  return total_ > taken + kMinFileFds ? total_ - taken : kMinFileFds;
}

bool FdBudget::TryAcquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_ >= FileLimitLocked()) return false;
  ++files_;
  return true;
}

void FdBudget::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_ > 0) --files_;
}

void FdBudget::Reserve(std::size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_ += count;
}

void FdBudget::Unreserve(std::size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_ -= std::min(count, reserved_);
}

std::size_t FdBudget::file_limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return FileLimitLocked();
}

std::size_t FdBudget::files_open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return files_;
}

}  // namespace metrics_adapter
