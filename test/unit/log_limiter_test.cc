// LogLimiter: one message per kind per interval, and the count of those
// suppressed in between. Deterministic without sleeping: an interval of zero
// never suppresses, an interval of hours always does within a test, and the
// short-interval test spins on the clock instead of sleeping.
#include "adapter/base/log_limiter.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace metrics_adapter {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST_CASE("LogLimiter allows the first message of each kind, with nothing suppressed") {
  LogLimiter limiter(hours(1));
  CHECK(limiter.Allow("too_long") == std::optional<std::uint64_t>(0));
  CHECK(limiter.Allow("invalid_utf8") == std::optional<std::uint64_t>(0));
}

TEST_CASE("LogLimiter suppresses further messages of a kind within the interval") {
  LogLimiter limiter(hours(1));
  REQUIRE(limiter.Allow("too_long").has_value());
  CHECK_FALSE(limiter.Allow("too_long").has_value());
  CHECK_FALSE(limiter.Allow("too_long").has_value());
  // Other kinds are independent.
  CHECK(limiter.Allow("read_error:/var/log/a.log") == std::optional<std::uint64_t>(0));
  CHECK(limiter.Allow("read_error:/var/log/b.log") == std::optional<std::uint64_t>(0));
}

TEST_CASE("LogLimiter with a zero interval allows every message") {
  LogLimiter limiter(milliseconds(0));
  for (int i = 0; i < 5; ++i) CHECK(limiter.Allow("x") == std::optional<std::uint64_t>(0));
}

// Calls Allow("x") until it allows a message again (spinning at most about
// the limiter's interval), and returns {what it reported, refusals seen}.
std::pair<std::uint64_t, std::uint64_t> SpinUntilAllowed(LogLimiter& limiter) {
  std::uint64_t refused = 0;
  std::optional<std::uint64_t> allowed;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(allowed = limiter.Allow("x")) && std::chrono::steady_clock::now() < give_up) ++refused;
  REQUIRE(allowed.has_value());
  return {*allowed, refused};
}

TEST_CASE("LogLimiter reports how many messages it suppressed once the interval has passed") {
  LogLimiter limiter(milliseconds(20));
  REQUIRE(limiter.Allow("x") == std::optional<std::uint64_t>(0));
  auto [reported, refused] = SpinUntilAllowed(limiter);
  CHECK(reported == refused);
  // The count starts again from zero after it was reported.
  auto [reported_again, refused_again] = SpinUntilAllowed(limiter);
  CHECK(reported_again == refused_again);
}

TEST_CASE("LogLimiter counts every suppressed message when called from several threads") {
  LogLimiter limiter(hours(1));
  constexpr int kThreads = 4;
  constexpr int kCalls = 1000;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (limiter.Allow("shared")) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(allowed == 1);
}

}  // namespace
}  // namespace metrics_adapter
