// ReleaseStackBelow gives back to the kernel the pages of the calling
// thread's stack that lie below the caller's frame: pages deeper calls
// touched and that hold nothing live once they have returned.
//
// A civetweb worker serving a request goes about 8 KiB deeper into its
// stack than it does waiting for the next connection, and a page once
// touched stays resident. civetweb hands each new connection to the worker
// that has waited longest, so requests visit all 512 workers in turn and
// each kept those pages: 4 MiB more after the first 512 connections. Called
// when a connection ends, a worker keeps only the pages of its idle wait.
//
// Pages within 1 KiB below the caller's frame stay (the function's own
// locals and its madvise call are there); a later call that goes deeper
// gets fresh zeroed pages from the kernel, a page fault each.
//
// Usage (on a thread with a known stack, e.g. a civetweb callback):
//   ReleaseStackBelow();
#pragma once

namespace metrics_adapter {

// Does nothing if the thread's stack cannot be found (pthread_getattr_np
// fails) or nothing lies below the caller's frame. Never throws.
void ReleaseStackBelow() noexcept;

}  // namespace metrics_adapter
