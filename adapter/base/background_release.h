// ReleaseInBackground destroys an object on a thread of its own, so that
// the caller goes on while its memory is given back: a large parsed YAML
// tree (several allocations per node) takes about as long to free as a third
// of parsing it.
//
// The thread is detached: nothing waits for it, and a process that exits
// first simply ends it (the object holds nothing but memory: no files, no
// locks, nothing another thread reads). If no thread can be started, the
// object is destroyed on the calling thread before this returns.
//
// Usage:
//   std::vector<ParsedFile> parsed = ...;   // only memory
//   ReleaseInBackground(std::move(parsed));
#pragma once

#include <system_error>
#include <thread>
#include <utility>

namespace metrics_adapter {

// `object` is taken by value: pass it with std::move.
template <typename T>
void ReleaseInBackground(T object) {
  auto release = [doomed = std::move(object)]() mutable { T gone = std::move(doomed); };
  try {
    std::thread(std::move(release)).detach();
  } catch (const std::system_error&) {
    // `release` still holds the object: it is destroyed here, on return.
  }
}

}  // namespace metrics_adapter
