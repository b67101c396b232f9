#include "rules/precompiled_regexes.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>

namespace metrics_adapter {

PrecompiledRegexes PrecompiledRegexes::Compile(std::vector<std::string> patterns,
                                               const RE2::Options& options, std::size_t threads) {
  std::sort(patterns.begin(), patterns.end());
  patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
  std::vector<std::unique_ptr<RE2>> compiled(patterns.size());
  // Each thread takes the next pattern not yet taken: compile times differ
  // by pattern, so fixed shares would leave one thread waiting.
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t i = next++; i < patterns.size(); i = next++) {
      compiled[i] = std::make_unique<RE2>(patterns[i], options);
    }
  };
  const std::size_t helpers =
      std::min(threads, patterns.size() / kMinPatternsPerThread + 1) - (threads > 0 ? 1 : 0);
  std::vector<std::thread> pool;
  pool.reserve(helpers);
  for (std::size_t i = 0; i < helpers; ++i) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no thread to be had: the others, and this one, do the work
    }
  }
  work();
  for (std::thread& thread : pool) thread.join();

  PrecompiledRegexes result;
  result.regexes_.reserve(patterns.size());
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    result.regexes_.emplace(std::move(patterns[i]), std::move(compiled[i]));
  }
  return result;
}

std::unique_ptr<RE2> PrecompiledRegexes::Take(const std::string& pattern) {
  const auto it = regexes_.find(pattern);
  if (it == regexes_.end()) return nullptr;
  std::unique_ptr<RE2> regex = std::move(it->second);
  regexes_.erase(it);
  return regex;
}

}  // namespace metrics_adapter
