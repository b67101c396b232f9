// ReleaseStackBelow: the pages a deeper call touched are no longer resident
// afterwards (read with mincore), the caller's own frame still works.
#include "adapter/web/thread_stack.h"

#include <doctest/doctest.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr std::size_t kDepth = std::size_t{64} * 1024;

// Writes every page of a 64 KiB frame, so that they are resident.
[[gnu::noinline]] int TouchDeep() {
  volatile char frame[kDepth];
  for (std::size_t i = 0; i < kDepth; i += 512) frame[i] = static_cast<char>(1 + i / 1024);
  return frame[kDepth - 512];
}

// Resident pages of the calling thread's stack.
std::size_t ResidentStackPages() {
  pthread_attr_t attr;
  REQUIRE(pthread_getattr_np(pthread_self(), &attr) == 0);
  void* stack = nullptr;
  std::size_t size = 0;
  REQUIRE(pthread_attr_getstack(&attr, &stack, &size) == 0);
  pthread_attr_destroy(&attr);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident(size / page);
  REQUIRE(mincore(stack, size, resident.data()) == 0);
  std::size_t pages = 0;
  for (unsigned char r : resident) pages += r & 1;
  return pages;
}

TEST_CASE("ReleaseStackBelow gives back the stack pages of calls that returned") {
  std::size_t touched = 0, released = 0;
  int value = 0;
  std::thread([&] {
    value = TouchDeep();
    touched = ResidentStackPages();
    ReleaseStackBelow();
    released = ResidentStackPages();
  }).join();
  CHECK(value != 0);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  // All of TouchDeep's frame but the page or two next to this one's.
  CHECK(touched >= released + kDepth / page - 2);
}

TEST_CASE("ReleaseStackBelow leaves the running frames intact") {
  std::thread([] {
    std::vector<int> values{1, 2, 3};
    const int before = TouchDeep();
    ReleaseStackBelow();
    CHECK(values.size() == 3);
    CHECK(TouchDeep() == before);  // the released pages come back on use
  }).join();
}

}  // namespace
}  // namespace metrics_adapter
