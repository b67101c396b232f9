#include "adapter/web/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

constexpr std::size_t kMaxCacheEntries = 1024;
// A bcrypt hash (cost 10) of a value no user has: checked for unknown users
// so that their answer takes as long as a known user's.
constexpr const char* kUnknownUserHash =
    "$2b$10$dBv1kq1/woIK99IKO7EX2.4KqvZ/Q3uqIaNxkqKCN82amN/EmipLi";

// Base64 (RFC 4648, padded) to bytes; false when it is not valid base64.
bool DecodeBase64(std::string_view text, std::string* out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::string decoded(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t length = static_cast<std::size_t>(n);
  if (text.ends_with("==")) {
    length -= 2;
  } else if (text.ends_with("=")) {
    length -= 1;
  }
  decoded.resize(length);
  *out = std::move(decoded);
  return true;
}

}  // namespace

std::size_t BasicAuth::KeyHash::operator()(const Key& key) const {
  std::size_t h;
  std::memcpy(&h, key.data(), sizeof h);  // an HMAC output: already uniform
  return h;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {
  if (RAND_bytes(hmac_key_.data(), static_cast<int>(hmac_key_.size())) != 1) {
    throw std::runtime_error("basic auth: no random bytes for the cache key");
  }
}

BasicAuth::Key BasicAuth::CacheKey(std::string_view user, std::string_view hash,
                                   std::string_view password) const {
  // Each part preceded by its length, so that no two triples share a message.
  std::string message;
  for (std::string_view part : {user, hash, password}) {
    message += std::to_string(part.size()) + ":";
    message += part;
  }
  Key key{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), hmac_key_.data(), static_cast<int>(hmac_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), key.data(), &length);
  OPENSSL_cleanse(message.data(), message.size());
  return key;
}

bool BasicAuth::Verify(const std::string& user, const std::string& password) const {
  const auto it = users_.find(user);
  const bool known = it != users_.end();
  const std::string hash = known ? it->second : kUnknownUserHash;
  // struct crypt_data is ~32 KiB: not on a server thread's stack.
  auto data = std::make_unique<crypt_data>();
  std::lock_guard lock(bcrypt_mu_);
  const char* result = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool match = result != nullptr && std::strlen(result) == hash.size() &&
                     CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return known && match;
}

bool BasicAuth::Allows(const char* authorization) const {
  if (authorization == nullptr) return false;
  std::string_view header = Trim(authorization, " \t");
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() ||
      !EqualsIgnoreCase(header.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  std::string credentials;
  if (!DecodeBase64(Trim(header.substr(kScheme.size()), " \t"), &credentials)) return false;
  const std::size_t colon = credentials.find(':');
  if (colon == std::string::npos) return false;
  const std::string user = credentials.substr(0, colon);
  const std::string password = credentials.substr(colon + 1);
  OPENSSL_cleanse(credentials.data(), credentials.size());
  const auto it = users_.find(user);
  const Key key = CacheKey(user, it != users_.end() ? it->second : kUnknownUserHash, password);
  {
    std::lock_guard lock(cache_mu_);
    if (auto cached = cache_.find(key); cached != cache_.end()) return cached->second;
  }
  const bool allowed = Verify(user, password);
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_.emplace(key, allowed);
  return allowed;
}

}  // namespace metrics_adapter
