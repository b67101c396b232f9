// ParseErrorCounts: the parse errors of a batch of input, by reason (a
// parser's small fixed set of constants, see RecordSink::OnParseError), until
// they are flushed into the self-metrics.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace metrics_adapter {

struct ParseErrorCounts {
  void Add(std::string_view reason, std::uint64_t count) {
    for (auto& [known, n] : by_reason) {
      if (known == reason) {
        n += count;
        return;
      }
    }
    by_reason.emplace_back(reason, count);
  }
  void AddAll(const ParseErrorCounts& other) {
    for (const auto& [reason, count] : other.by_reason) Add(reason, count);
  }
  bool empty() const { return by_reason.empty(); }
  void Clear() { by_reason.clear(); }

  std::vector<std::pair<std::string_view, std::uint64_t>> by_reason;
};

}  // namespace metrics_adapter
