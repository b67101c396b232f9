// StateTable: a named table a rule file declares (`state:`), which rules set
// and delete entries of and expressions read (`state.NAME[key]`), so a value
// from one line (a session's start time) reaches a later one (its end).
//
// Bounded: at most `max_keys` entries; a set that would pass it, after the
// entries older than `ttl` are dropped, is refused and counted. Entries older
// than `ttl` read as missing. Thread-safe (one mutex per table): a RuleSet,
// and so its tables, is shared by every source that uses its rule files.
// Reads, updates of an existing key and deletes do not allocate; a new key
// allocates its entry.
//
// Usage:
//   StateTable table({"rules.yaml", "session_start", 1, 3600, 10000});
//   std::string_view key[] = {"10.0.0.1"};
//   table.Set(key, Value::Float(1.7e9), arena);
//   Value v; table.Read(key, v, arena);  // kNone, v == 1.7e9
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "rules/expression/evaluator.h"
#include "rules/expression/value.h"

namespace metrics_adapter {

struct StateDeclaration {
  std::string file;  // the rule file that declares it
  std::string name;
  int key_parts = 1;
  double ttl_seconds = 0;  // 0: entries do not expire
  std::size_t max_keys = 10000;

  bool operator==(const StateDeclaration&) const = default;
};

class StateTable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit StateTable(StateDeclaration declaration, Clock clock = nullptr);

  // The value under `key`: kNoValue when there is none, or it expired.
  EvalError Read(std::span<const std::string_view> key, Value& out, EvalScratch& arena);
  // Sets `key` to `value` (a number). kStateFull when the table is full.
  EvalError Set(std::span<const std::string_view> key, const Value& value, EvalScratch& arena);
  void Delete(std::span<const std::string_view> key, EvalScratch& arena);

  const StateDeclaration& declaration() const { return declaration_; }
  std::size_t size() const;

 private:
  struct Entry {
    Value value;  // kInt or kFloat
    std::chrono::steady_clock::time_point set_at;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  // The key's parts as one string (each part's length, then its bytes), in
  // `arena`; empty data when the arena is full.
  static std::string_view Encode(std::span<const std::string_view> key, EvalScratch& arena);
  bool Expired(const Entry& entry, std::chrono::steady_clock::time_point now) const;
  std::chrono::steady_clock::time_point Now() const;
  // Drops expired entries (caller holds mu_).
  void Sweep(std::chrono::steady_clock::time_point now);

  const StateDeclaration declaration_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace metrics_adapter
