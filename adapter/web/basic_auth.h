// BasicAuth checks HTTP basic auth credentials against the bcrypt hashes of
// basic_auth_users (web config).
//
// bcrypt is slow on purpose (cost 10 is tens of milliseconds), and a scraper
// sends the same credentials every few seconds, so outcomes are cached: keyed
// by an HMAC-SHA256 of user, hash and password under a key drawn at random
// when this object is made, so neither the password nor a plain hash of it is
// kept. Failures are cached too, so repeating a wrong password costs no
// bcrypt either. An unknown user is checked against a fixed hash of the same
// cost, so the answer takes as long as for a known user. Hashes are compared
// in constant time. Nothing here logs a password or a hash.
//
// Usage:
//   BasicAuth auth({{"prometheus", "$2y$10$..."}});
//   if (!auth.Allows(mg_get_header(conn, "Authorization"))) -> 401
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace metrics_adapter {

class BasicAuth {
 public:
  // users: user name -> bcrypt hash ($2y$/$2b$/$2a$), as LoadWebConfig checked them.
  explicit BasicAuth(std::map<std::string, std::string> users);

  // Whether `authorization`, the Authorization header's value (null when
  // absent), holds Basic credentials of a configured user. Thread-safe.
  bool Allows(const char* authorization) const;

  // Uncached check of one user's password: bcrypt, constant-time compare.
  bool Verify(const std::string& user, const std::string& password) const;

 private:
  using Key = std::array<unsigned char, 32>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const;
  };
  Key CacheKey(std::string_view user, std::string_view hash, std::string_view password) const;

  std::map<std::string, std::string> users_;
  std::array<unsigned char, 32> hmac_key_{};
  // Bounded: cleared when full, so guessing cannot grow it without limit.
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<Key, bool, KeyHash> cache_;
  // One bcrypt at a time: it is CPU-bound, and a burst of new credentials
  // must not take every core.
  mutable std::mutex bcrypt_mu_;
};

}  // namespace metrics_adapter
