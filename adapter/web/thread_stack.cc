#include "adapter/web/thread_stack.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace metrics_adapter {
namespace {

constexpr std::uintptr_t kMargin = 1024;

}  // namespace

void ReleaseStackBelow() noexcept {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* stack = nullptr;
  std::size_t size = 0;
  const bool found = pthread_attr_getstack(&attr, &stack, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!found) return;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  // The top of this frame (on the thread's real stack even where a
  // sanitizer keeps locals elsewhere). Its locals and the madvise call take
  // well under kMargin below it; below that nothing is live.
  const auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  const auto low = reinterpret_cast<std::uintptr_t>(stack);
  if (frame < low + kMargin || frame >= low + size) return;
  const std::uintptr_t end = (frame - kMargin) & ~(page - 1);
  if (end <= low) return;
  // Advisory: a failure only keeps the pages.
  madvise(stack, end - low, MADV_DONTNEED);
}

}  // namespace metrics_adapter
