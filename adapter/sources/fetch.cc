#include "adapter/sources/fetch.h"

#include <algorithm>
#include <utility>

namespace metrics_adapter {

void FetchResult::Fail(std::string_view why_label, std::string message) {
  ok = false;
  reason = std::string(why_label);
  error = std::move(message);
}

void FetchResult::FailTooLarge(std::size_t max_body_bytes) {
  truncated = true;
  Fail("too_large", "body over " + std::to_string(max_body_bytes) + " bytes");
}

bool FetchResult::AppendBody(std::string_view data, std::size_t limit) {
  const std::size_t room = limit - std::min(limit, body.size());
  const std::string_view kept = data.substr(0, room);
  if (body.size() + kept.size() > body.capacity()) body.reserve(limit);
  body.append(kept);
  return kept.size() == data.size();
}

std::string Printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : u >= 0x80 ? '?' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

}  // namespace metrics_adapter
