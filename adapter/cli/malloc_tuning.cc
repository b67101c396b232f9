#include "adapter/cli/malloc_tuning.h"

#include <malloc.h>

namespace metrics_adapter {
namespace {

// Larger blocks are mapped: response bodies, their parsed copies and
// rendered expositions of any real size. Smaller ones are cheap to keep.
constexpr int kMmapThresholdBytes = 256 * 1024;
// Scrapes fetch every pulled source on a thread of its own; two arenas keep
// their small allocations from contending much without each thread's
// freed memory kept apart.
constexpr int kArenaMax = 2;

}  // namespace

void BoundMallocCaches() {
  // mallopt returns 0 when the value is refused; the defaults then stay,
  // which costs memory, not correctness.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_ARENA_MAX, kArenaMax);
}

}  // namespace metrics_adapter
