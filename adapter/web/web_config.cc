#include "adapter/web/web_config.h"

#include <crypt.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string_view>

#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"

namespace metrics_adapter {
namespace {

// The response headers the toolkit lets a web config set, and their allowed
// values (none listed: any value). Others could break the protocol
// (Content-Length, Connection) or the auth (WWW-Authenticate).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;
};
const std::vector<AllowedHeader>& AllowedHeaders() {
  static const std::vector<AllowedHeader> headers = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return headers;
}

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

int TlsVersion(YamlMap& map, std::string_view key, int fallback, Diagnostics& diags) {
  const std::optional<std::string> value = map.String(key);
  if (!value) return fallback;
  if (*value == "TLS12") return TLS1_2_VERSION;
  if (*value == "TLS13") return TLS1_3_VERSION;
  if (*value == "TLS10" || *value == "TLS11") {
    diags.Error(map.PositionOfKey(key),
                Quoted(key) + ": " + *value +
                    " is not supported: OpenSSL 3 refuses TLS 1.0 and 1.1 at its default "
                    "security level; use TLS12 or TLS13");
  } else {
    diags.Error(map.PositionOfKey(key),
                Quoted(key) + ": unknown TLS version " + Quoted(*value) + " (TLS12 or TLS13)");
  }
  return fallback;
}

// cipher_suites: Go's (IANA) names of TLS 1.2 suites, mapped to OpenSSL's.
std::string CipherList(YamlMap& map, Diagnostics& diags) {
  const std::optional<std::vector<std::string>> names = map.StringList("cipher_suites");
  if (!names || names->empty()) return "";
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (!ctx || SSL_CTX_set_cipher_list(ctx.get(), "ALL") != 1) {
    diags.Error(map.PositionOfKey("cipher_suites"), "\"cipher_suites\": OpenSSL lists no ciphers");
    return "";
  }
  STACK_OF(SSL_CIPHER)* known = SSL_CTX_get_ciphers(ctx.get());
  std::string list;
  for (const std::string& name : *names) {
    const SSL_CIPHER* match = nullptr;
    for (int i = 0; i < sk_SSL_CIPHER_num(known); ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(known, i);
      const char* standard = SSL_CIPHER_standard_name(cipher);
      if (standard != nullptr && name == standard) match = cipher;
    }
    if (match != nullptr && std::string_view(SSL_CIPHER_get_version(match)) == "TLSv1.3") {
      match = nullptr;
    }
    if (match == nullptr) {
      diags.Error(map.PositionOfKey("cipher_suites"),
                  "\"cipher_suites\": " + Quoted(name) +
                      " is not a TLS 1.2 cipher suite OpenSSL knows (TLS 1.3 suites are "
                      "not configurable)");
      continue;
    }
    if (!list.empty()) list += ':';
    list += SSL_CIPHER_get_name(match);
  }
  return list;
}

// curve_preferences: Go's curve names to OpenSSL's group names.
std::string Groups(YamlMap& map, Diagnostics& diags) {
  const std::optional<std::vector<std::string>> names = map.StringList("curve_preferences");
  if (!names) return "";
  std::string groups;
  for (const std::string& name : *names) {
    std::string group;
    if (name == "CurveP256") group = "P-256";
    if (name == "CurveP384") group = "P-384";
    if (name == "CurveP521") group = "P-521";
    if (name == "X25519") group = "X25519";
    if (group.empty()) {
      diags.Error(map.PositionOfKey("curve_preferences"),
                  "\"curve_preferences\": unknown curve " + Quoted(name) +
                      " (CurveP256, CurveP384, CurveP521, X25519)");
      continue;
    }
    if (!groups.empty()) groups += ':';
    groups += group;
  }
  return groups;
}

const std::set<std::string, std::less<>>& ClientAuthTypes() {
  static const std::set<std::string, std::less<>> types = {
      "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven",
      "RequireAndVerifyClientCert"};
  return types;
}

// A file field and its inline twin (cert_file / cert): at most one.
void PemField(YamlMap& map, std::string_view file_key, std::string_view inline_key,
              const std::string& base_dir, std::string* file, std::string* pem,
              TlsServerConfig& tls, Diagnostics& diags) {
  *file = ResolvePath(base_dir, map.String(file_key).value_or(""));
  *pem = map.String(inline_key).value_or("");
  if (map.Has(file_key)) tls.positions[std::string(file_key)] = map.PositionOfKey(file_key);
  if (map.Has(inline_key)) tls.positions[std::string(inline_key)] = map.PositionOfKey(inline_key);
  if (!file->empty() && !pem->empty()) {
    diags.Error(map.PositionOfKey(inline_key),
                "give " + Quoted(file_key) + " or " + Quoted(inline_key) + ", not both");
  }
}

std::optional<TlsServerConfig> LoadTls(YamlMap& map, const std::string& base_dir,
                                       Diagnostics& diags) {
  TlsServerConfig tls;
  tls.positions["tls_server_config"] = map.position();
  PemField(map, "cert_file", "cert", base_dir, &tls.cert_file, &tls.cert, tls, diags);
  PemField(map, "key_file", "key", base_dir, &tls.key_file, &tls.key, tls, diags);
  PemField(map, "client_ca_file", "client_ca", base_dir, &tls.client_ca_file, &tls.client_ca, tls,
           diags);
  const std::optional<std::string> auth = map.String("client_auth_type");
  if (auth && !auth->empty()) {
    // "RequireClientCert" is the toolkit's old name of RequireAnyClientCert.
    tls.client_auth_type = *auth == "RequireClientCert" ? "RequireAnyClientCert" : *auth;
    if (!ClientAuthTypes().contains(tls.client_auth_type)) {
      diags.Error(map.PositionOfKey("client_auth_type"),
                  "\"client_auth_type\": unknown value " + Quoted(*auth) +
                      " (NoClientCert, RequestClientCert, RequireAnyClientCert, "
                      "VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
    }
  }
  tls.client_allowed_sans =
      map.StringList("client_allowed_sans").value_or(std::vector<std::string>{});
  tls.min_version = TlsVersion(map, "min_version", TLS1_2_VERSION, diags);
  tls.max_version = TlsVersion(map, "max_version", TLS1_3_VERSION, diags);
  if (tls.max_version < tls.min_version) {
    diags.Error(map.PositionOfKey("max_version"), "\"max_version\" is below \"min_version\"");
  }
  tls.cipher_list = CipherList(map, diags);
  tls.prefer_server_cipher_suites = map.Bool("prefer_server_cipher_suites").value_or(true);
  tls.groups = Groups(map, diags);
  map.RejectUnknownKeys();

  const bool enabled = !tls.cert_file.empty() || !tls.cert.empty() || !tls.key_file.empty() ||
                       !tls.key.empty() || !tls.client_ca_file.empty() || !tls.client_ca.empty() ||
                       auth.has_value();
  if (!enabled) return std::nullopt;  // as in the toolkit: an empty section is no TLS
  if (tls.cert_file.empty() && tls.cert.empty()) {
    diags.Error(map.position(), "\"tls_server_config\" needs \"cert_file\" (or \"cert\")");
  }
  if (tls.key_file.empty() && tls.key.empty()) {
    diags.Error(map.position(), "\"tls_server_config\" needs \"key_file\" (or \"key\")");
  }
  const bool has_ca = !tls.client_ca_file.empty() || !tls.client_ca.empty();
  const bool verifies = tls.client_auth_type == "VerifyClientCertIfGiven" ||
                        tls.client_auth_type == "RequireAndVerifyClientCert";
  if (has_ca && tls.client_auth_type == "NoClientCert") {
    diags.Error(map.PositionOfKey(tls.client_ca_file.empty() ? "client_ca" : "client_ca_file"),
                "a client CA is given but \"client_auth_type\" is NoClientCert");
  }
  if (verifies && !has_ca) {
    diags.Error(map.PositionOfKey("client_auth_type"),
                "\"client_auth_type\": " + tls.client_auth_type +
                    " needs \"client_ca_file\" (or \"client_ca\") to verify against");
  }
  if (!tls.client_allowed_sans.empty() && !verifies) {
    diags.Error(map.PositionOfKey("client_allowed_sans"),
                "\"client_allowed_sans\" needs a \"client_auth_type\" that verifies "
                "(VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  return tls;
}

void LoadHttpServerConfig(YamlMap& map, WebConfig& config, Diagnostics& diags) {
  if (map.Bool("http2").value_or(false)) {
    diags.Error(map.PositionOfKey("http2"),
                "\"http2\": true is not supported: the server speaks HTTP/1.1 only; set false "
                "or leave it out");
  }
  YAML::Node headers = map.Node("headers");
  if (headers.IsDefined() && !headers.IsNull()) {
    if (!headers.IsMap()) {
      diags.Error(PositionOf(map.file(), headers), "\"headers\" must map header names to values");
    } else {
      for (const auto& entry : headers) {
        const std::string name = entry.first.Scalar();
        const std::string value = entry.second.IsScalar() ? entry.second.Scalar() : "";
        const SourcePosition at = PositionOf(map.file(), entry.first);
        const AllowedHeader* allowed = nullptr;
        for (const AllowedHeader& h : AllowedHeaders()) {
          if (h.name == name) allowed = &h;
        }
        if (allowed == nullptr) {
          std::string names;
          for (const AllowedHeader& h : AllowedHeaders()) {
            names += (names.empty() ? "" : ", ") + std::string(h.name);
          }
          diags.Error(
              at, "\"headers\": " + Quoted(name) + " can not be configured (only " + names + ")");
          continue;
        }
        bool value_ok = allowed->values.empty();
        for (std::string_view v : allowed->values) value_ok = value_ok || v == value;
        if (!value_ok || value.find_first_of("\r\n") != std::string::npos) {
          diags.Error(PositionOf(map.file(), entry.second),
                      "\"headers\": invalid value " + Quoted(value) + " for " + name);
          continue;
        }
        // Blank means unset, as in the toolkit.
        if (!value.empty()) config.headers.emplace_back(name, value);
      }
    }
  }
  map.RejectUnknownKeys();
}

void LoadUsers(const YAML::Node& users, const std::string& file, WebConfig& config,
               Diagnostics& diags) {
  if (users.IsNull()) return;
  if (!users.IsMap()) {
    diags.Error(PositionOf(file, users),
                "\"basic_auth_users\" must map user names to bcrypt hashes");
    return;
  }
  for (const auto& entry : users) {
    const std::string name = entry.first.Scalar();
    const std::string hash = entry.second.IsScalar() ? entry.second.Scalar() : "";
    // Only the bcrypt variants; crypt_checksalt also rejects a malformed
    // setting or cost. The hash itself never goes into a message.
    const bool bcrypt =
        hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$");
    if (name.empty() || name.find(':') != std::string::npos) {
      diags.Error(PositionOf(file, entry.first),
                  "\"basic_auth_users\": user name " + Quoted(name) + " is empty or holds a \":\"");
    } else if (!bcrypt || hash.size() != 60 || crypt_checksalt(hash.c_str()) != CRYPT_SALT_OK) {
      diags.Error(PositionOf(file, entry.second),
                  "\"basic_auth_users\": the password of " + Quoted(name) +
                      " is not a bcrypt hash ($2y$, $2b$ or $2a$, 60 characters)");
    } else {
      config.users.emplace(name, hash);
    }
  }
}

}  // namespace

std::optional<WebConfig> LoadWebConfig(const std::string& path, Diagnostics& diags) {
  const int errors_before = diags.error_count();
  std::optional<YAML::Node> root = LoadYamlFile(path, diags);
  if (!root) return std::nullopt;
  WebConfig config;
  config.path = path;
  if (root->IsNull()) return config;  // an empty file: plain HTTP, no auth
  YamlMap top(*root, path, diags, "the web config");
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  if (YAML::Node tls = top.Node("tls_server_config"); tls.IsDefined() && !tls.IsNull()) {
    YamlMap tls_map(tls, path, diags, "\"tls_server_config\"");
    if (tls_map.valid()) config.tls = LoadTls(tls_map, base_dir, diags);
  }
  if (YAML::Node http = top.Node("http_server_config"); http.IsDefined() && !http.IsNull()) {
    YamlMap http_map(http, path, diags, "\"http_server_config\"");
    if (http_map.valid()) LoadHttpServerConfig(http_map, config, diags);
  }
  if (YAML::Node users = top.Node("basic_auth_users"); users.IsDefined()) {
    LoadUsers(users, path, config, diags);
  }
  if (top.Has("rate_limit")) {
    top.Node("rate_limit");
    diags.Error(top.PositionOfKey("rate_limit"), "\"rate_limit\" is not supported");
  }
  top.RejectUnknownKeys();
  if (diags.error_count() > errors_before) return std::nullopt;
  return config;
}

std::vector<std::string> WebConfigFiles(const WebConfig& config) {
  std::vector<std::string> files = {config.path};
  if (config.tls) {
    for (const std::string* file :
         {&config.tls->cert_file, &config.tls->key_file, &config.tls->client_ca_file}) {
      if (!file->empty()) files.push_back(*file);
    }
  }
  return files;
}

}  // namespace metrics_adapter
