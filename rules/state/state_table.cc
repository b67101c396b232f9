#include "rules/state/state_table.h"

#include <cstring>

namespace metrics_adapter {

StateTable::StateTable(StateDeclaration declaration, Clock clock)
    : declaration_(std::move(declaration)), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point StateTable::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

std::string_view StateTable::Encode(std::span<const std::string_view> key, EvalScratch& arena) {
  std::size_t size = 0;
  for (std::string_view part : key) size += sizeof(std::uint32_t) + part.size();
  char* at = arena.Allocate(size);
  if (!at) return {};
  char* out = at;
  for (std::string_view part : key) {
    const auto length = static_cast<std::uint32_t>(part.size());
    std::memcpy(out, &length, sizeof length);
    out += sizeof length;
    if (!part.empty()) std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return {at, size};
}

bool StateTable::Expired(const Entry& entry, std::chrono::steady_clock::time_point now) const {
  return declaration_.ttl_seconds > 0 &&
         now - entry.set_at >= std::chrono::duration<double>(declaration_.ttl_seconds);
}

void StateTable::Sweep(std::chrono::steady_clock::time_point now) {
  std::erase_if(entries_, [&](const auto& item) { return Expired(item.second, now); });
}

EvalError StateTable::Read(std::span<const std::string_view> key, Value& out, EvalScratch& arena) {
  const std::string_view encoded = Encode(key, arena);
  if (encoded.data() == nullptr) return EvalError::kTooLong;
  const auto now = Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(encoded);
  if (it == entries_.end()) return EvalError::kNoValue;
  if (Expired(it->second, now)) {
    entries_.erase(it);
    return EvalError::kNoValue;
  }
  out = it->second.value;
  return EvalError::kNone;
}

EvalError StateTable::Set(std::span<const std::string_view> key, const Value& value,
                          EvalScratch& arena) {
  const std::string_view encoded = Encode(key, arena);
  if (encoded.data() == nullptr) return EvalError::kTooLong;
  const auto now = Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(encoded);
  if (it != entries_.end()) {
    it->second = Entry{value, now};
    return EvalError::kNone;
  }
  if (entries_.size() >= declaration_.max_keys) {
    Sweep(now);
    if (entries_.size() >= declaration_.max_keys) return EvalError::kStateFull;
  }
  entries_.emplace(std::string(encoded), Entry{value, now});
  return EvalError::kNone;
}

void StateTable::Delete(std::span<const std::string_view> key, EvalScratch& arena) {
  const std::string_view encoded = Encode(key, arena);
  if (encoded.data() == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = entries_.find(encoded); it != entries_.end()) entries_.erase(it);
}

std::size_t StateTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace metrics_adapter
