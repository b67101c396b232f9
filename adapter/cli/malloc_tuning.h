// How glibc's malloc keeps freed memory, set for a long-running adapter so
// that its resident memory follows its configuration, not its traffic.
//
// Left alone, glibc raises its mmap threshold to the largest block freed so
// far (up to 32 MiB): after the first large response body (max_body_bytes
// is 10 MiB by default) is freed, later ones come from the heap arenas
// instead of mmap, and an arena (one for each thread allocating at the same
// time, up to 8 per core) keeps what it freed for reuse. Every concurrent
// fetch of a large body then left its size behind for good: resident memory
// rose with each scrape, far beyond what any one scrape needs.
//
// Usage: call once at the start of `run`, before any thread starts.
//   BoundMallocCaches();
#pragma once

namespace metrics_adapter {

// Blocks of 256 KiB and more are mmapped and unmapped when freed, whatever
// was freed before (a fixed threshold; also the trim threshold stays
// fixed), and at most 2 arenas take the small allocations of all threads.
// Does nothing where malloc is not glibc's (a sanitizer's allocator).
void BoundMallocCaches();

}  // namespace metrics_adapter
