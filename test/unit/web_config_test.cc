// LoadWebConfig (--web.config.file): the exporter toolkit's fields, and every
// error with its file:line:col and field; TlsMaterial's errors for the files
// it reads; BasicAuth against bcrypt hashes of different costs.
#include "adapter/web/web_config.h"

#include <crypt.h>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "adapter/web/basic_auth.h"
#include "adapter/web/tls_context.h"
#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

struct Loaded {
  std::optional<WebConfig> config;
  std::string errors;  // the temporary directory removed from paths
};

std::string WithoutDir(std::string text, const TempDir& dir) {
  const std::string prefix = dir.path() + "/";
  for (std::size_t at; (at = text.find(prefix)) != std::string::npos;)
    text.erase(at, prefix.size());
  return text;
}

Loaded LoadText(const TempDir& dir, const std::string& yaml) {
  Diagnostics diags;
  Loaded out;
  out.config = LoadWebConfig(dir.Write("web.yaml", yaml), diags);
  out.errors = WithoutDir(diags.Format(), dir);
  return out;
}

Loaded LoadText(const std::string& yaml) {
  TempDir dir("web-config-test");
  return LoadText(dir, yaml);
}

// A bcrypt hash of `password` at `cost`, made by libcrypt as htpasswd would.
std::string Bcrypt(const std::string& password, int cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting,
                           sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting, &data, sizeof data);
  REQUIRE(hash != nullptr);
  return hash;
}

// A fresh P-256 key and a self-signed certificate for it, as PEM.
struct KeyPair {
  std::string key_pem;
  std::string cert_pem;
};
KeyPair MakeKeyPair() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  REQUIRE(key);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
  auto pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  };
  KeyPair pair;
  pair.key_pem = pem([&](BIO* b) {
    PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  pair.cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, cert.get()); });
  return pair;
}

TEST_CASE("web config: an empty file or section means plain HTTP without auth") {
  Loaded empty = LoadText("");
  REQUIRE(empty.config);
  CHECK_FALSE(empty.config->tls);
  CHECK(empty.config->users.empty());
  CHECK(empty.config->headers.empty());
  Loaded empty_tls = LoadText("tls_server_config: {}\nbasic_auth_users:\n");
  REQUIRE(empty_tls.config);
  CHECK_FALSE(empty_tls.config->tls);
}

TEST_CASE("web config: every field of the toolkit's format") {
  TempDir dir("web-config-test");
  const std::string hash = Bcrypt("secret", 4);
  Loaded loaded = LoadText(dir, R"(tls_server_config:
  cert_file: certs/server.crt
  key_file: /etc/tls/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [scraper.test]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ""
basic_auth_users:
  alice: ')" + hash + "'\n");
  INFO(loaded.errors);
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->tls);
  const TlsServerConfig& tls = *loaded.config->tls;
  CHECK(tls.cert_file == dir / "certs/server.crt");
  CHECK(tls.key_file == "/etc/tls/server.key");
  CHECK(tls.client_ca_file == dir / "ca.crt");
  CHECK(tls.client_auth_type == "RequireAndVerifyClientCert");
  CHECK(tls.client_allowed_sans == std::vector<std::string>{"scraper.test"});
  CHECK(tls.min_version == TLS1_3_VERSION);
  CHECK(tls.max_version == TLS1_3_VERSION);
  CHECK(tls.cipher_list == "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
  CHECK_FALSE(tls.prefer_server_cipher_suites);
  CHECK(tls.groups == "X25519:P-256");
  // A blank header value means "not set", as in the toolkit.
  CHECK(loaded.config->headers ==
        std::vector<std::pair<std::string, std::string>>{
            {"X-Frame-Options", "deny"}, {"Strict-Transport-Security", "max-age=31536000"}});
  CHECK(loaded.config->users.at("alice") == hash);
  CHECK(WebConfigFiles(*loaded.config) ==
        std::vector<std::string>{dir / "web.yaml", dir / "certs/server.crt", "/etc/tls/server.key",
                                 dir / "ca.crt"});
}

TEST_CASE("web config: defaults of tls_server_config") {
  Loaded loaded = LoadText("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n");
  REQUIRE(loaded.config);
  REQUIRE(loaded.config->tls);
  CHECK(loaded.config->tls->client_auth_type == "NoClientCert");
  CHECK(loaded.config->tls->min_version == TLS1_2_VERSION);
  CHECK(loaded.config->tls->max_version == TLS1_3_VERSION);
  CHECK(loaded.config->tls->prefer_server_cipher_suites);
  CHECK(loaded.config->tls->cipher_list.empty());
}

// Each case: the file, and the exact diagnostics it gives.
TEST_CASE("web config: every error names file:line:col and the field") {
  struct Case {
    const char* yaml;
    const char* errors;
  };
  const Case cases[] = {
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_versoin: TLS13\n",
       "web.yaml:4:3: error: unknown key \"min_versoin\" in \"tls_server_config\" (did you mean "
       "\"min_version\"?)\n"},
      {"tls_config: {}\n", "web.yaml:1:1: error: unknown key \"tls_config\" in the web config\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: Yes\n",
       "web.yaml:4:21: error: \"client_auth_type\": unknown value \"Yes\" (NoClientCert, "
       "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, "
       "RequireAndVerifyClientCert)\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS10\n",
       "web.yaml:4:16: error: \"min_version\": TLS10 is not supported: OpenSSL 3 refuses TLS 1.0 "
       "and 1.1 at its default security level; use TLS12 or TLS13\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  max_version: TLS14\n",
       "web.yaml:4:16: error: \"max_version\": unknown TLS version \"TLS14\" (TLS12 or TLS13)\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS13\n"
       "  max_version: TLS12\n",
       "web.yaml:5:16: error: \"max_version\" is below \"min_version\"\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n"
       "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA, TLS_AES_128_GCM_SHA256]\n",
       "web.yaml:4:18: error: \"cipher_suites\": \"TLS_RSA_WITH_RC4_128_SHA\" is not a TLS 1.2 "
       "cipher suite OpenSSL knows (TLS 1.3 suites are not configurable)\nweb.yaml:4:18: error: "
       "\"cipher_suites\": \"TLS_AES_128_GCM_SHA256\" is not a TLS 1.2 cipher suite OpenSSL knows "
       "(TLS 1.3 suites are not configurable)\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  curve_preferences: [P256]\n",
       "web.yaml:4:22: error: \"curve_preferences\": unknown curve \"P256\" (CurveP256, CurveP384, "
       "CurveP521, X25519)\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  cert: PEM\n  key_file: a.key\n",
       "web.yaml:3:9: error: give \"cert_file\" or \"cert\", not both\n"},
      {"tls_server_config:\n  cert_file: a.crt\n",
       "web.yaml:2:3: error: \"tls_server_config\" needs \"key_file\" (or \"key\")\n"},
      {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
       "web.yaml:2:3: error: \"tls_server_config\" needs \"cert_file\" (or "
       "\"cert\")\nweb.yaml:2:3: error: \"tls_server_config\" needs \"key_file\" (or "
       "\"key\")\nweb.yaml:2:21: error: \"client_auth_type\": RequireAndVerifyClientCert needs "
       "\"client_ca_file\" (or \"client_ca\") to verify against\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n",
       "web.yaml:4:19: error: a client CA is given but \"client_auth_type\" is NoClientCert\n"},
      {"tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n"
       "  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [x]\n",
       "web.yaml:5:24: error: \"client_allowed_sans\" needs a \"client_auth_type\" that verifies "
       "(VerifyClientCertIfGiven or RequireAndVerifyClientCert)\n"},
      {"http_server_config:\n  http2: true\n",
       "web.yaml:2:10: error: \"http2\": true is not supported: the server speaks HTTP/1.1 only; "
       "set false or leave it out\n"},
      {"http_server_config:\n  headers:\n    Content-Length: \"0\"\n",
       "web.yaml:3:5: error: \"headers\": \"Content-Length\" can not be configured (only "
       "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
       "Content-Security-Policy)\n"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "web.yaml:3:22: error: \"headers\": invalid value \"allow\" for X-Frame-Options\n"},
      {"http_server_config:\n  headers: [a]\n",
       "web.yaml:2:12: error: \"headers\" must map header names to values\n"},
      {"basic_auth_users:\n  alice: secret\n",
       "web.yaml:2:10: error: \"basic_auth_users\": the password of \"alice\" is not a bcrypt hash "
       "($2y$, $2b$ or $2a$, 60 characters)\n"},
      {"basic_auth_users:\n  \"a:b\": "
       "$2y$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE\n",
       "web.yaml:2:3: error: \"basic_auth_users\": user name \"a:b\" is empty or holds a \":\"\n"},
      {"basic_auth_users: [alice]\n",
       "web.yaml:1:19: error: \"basic_auth_users\" must map user names to bcrypt hashes\n"},
      {"rate_limit:\n  burst: 1\n", "web.yaml:2:3: error: \"rate_limit\" is not supported\n"},
      {"tls_server_config: [\n",
       "web.yaml:2:1: error: invalid YAML: did not find expected node content (while parsing "
       "a flow node)\n"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    Loaded loaded = LoadText(c.yaml);
    CHECK_FALSE(loaded.config);
    CHECK(loaded.errors == c.errors);
  }
}

TEST_CASE("web config: the PEM files are read by TlsMaterial, errors at their field") {
  TempDir dir("web-config-test");
  const KeyPair pair = MakeKeyPair();
  const KeyPair other = MakeKeyPair();
  dir.Write("server.crt", pair.cert_pem);
  dir.Write("server.key", pair.key_pem);
  dir.Write("other.key", other.key_pem);
  dir.Write("garbage.crt", "not PEM\n");
  auto material_errors = [&](const std::string& yaml) {
    Loaded loaded = LoadText(dir, yaml);
    INFO(loaded.errors);
    REQUIRE(loaded.config);
    REQUIRE(loaded.config->tls);
    Diagnostics diags;
    const bool ok = TlsMaterial::Load(*loaded.config->tls, diags) != nullptr;
    CHECK(ok == !diags.HasErrors());
    return WithoutDir(diags.Format(), dir);
  };
  CHECK(material_errors("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
            .empty());
  // Inline PEM works the same.
  std::string inline_yaml = "tls_server_config:\n  cert: |\n";
  for (std::size_t start = 0, end; (end = pair.cert_pem.find('\n', start)) != std::string::npos;
       start = end + 1) {
    inline_yaml += "    " + pair.cert_pem.substr(start, end - start) + "\n";
  }
  inline_yaml += "  key_file: server.key\n";
  CHECK(material_errors(inline_yaml).empty());
  CHECK(material_errors("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n") ==
        "web.yaml:2:14: error: \"cert_file\": cannot read \"missing.crt\": No such file or "
        "directory\n");
  CHECK(material_errors("tls_server_config:\n  cert_file: garbage.crt\n  key_file: server.key\n") ==
        "web.yaml:2:14: error: \"cert_file\": no PEM certificate in it\n");
  CHECK(material_errors("tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n") ==
        "web.yaml:3:13: error: \"key_file\": the key does not belong to the certificate of "
        "\"cert_file\"\n");
  CHECK(material_errors("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                        "  client_auth_type: RequireAndVerifyClientCert\n"
                        "  client_ca_file: garbage.crt\n") ==
        "web.yaml:5:19: error: \"client_ca_file\": no PEM certificate in it\n");
}

TEST_CASE("basic auth: bcrypt hashes of any cost; wrong, unknown and malformed refused") {
  const std::string cheap = Bcrypt("secret", 4);
  const std::string dearer = Bcrypt("other secret", 5);
  BasicAuth auth({{"alice", cheap}, {"bob", dearer}});
  CHECK(auth.Verify("alice", "secret"));
  CHECK(auth.Verify("bob", "other secret"));
  CHECK_FALSE(auth.Verify("alice", "other secret"));
  CHECK_FALSE(auth.Verify("carol", "secret"));
  // "alice:secret" and "bob:other secret" in base64.
  CHECK(auth.Allows("Basic YWxpY2U6c2VjcmV0"));
  CHECK(auth.Allows("basic   YWxpY2U6c2VjcmV0 "));
  CHECK(auth.Allows("Basic Ym9iOm90aGVyIHNlY3JldA=="));
  // Asked again: the cached outcome, the same answer.
  CHECK(auth.Allows("Basic YWxpY2U6c2VjcmV0"));
  CHECK_FALSE(auth.Allows(nullptr));
  CHECK_FALSE(auth.Allows(""));
  CHECK_FALSE(auth.Allows("Basic YWxpY2U6d3Jvbmc="));   // alice:wrong
  CHECK_FALSE(auth.Allows("Basic YWxpY2U6d3Jvbmc="));   // cached failure
  CHECK_FALSE(auth.Allows("Basic Y2Fyb2w6c2VjcmV0"));   // carol:secret
  CHECK_FALSE(auth.Allows("Basic YWxpY2U="));           // alice (no colon)
  CHECK_FALSE(auth.Allows("Basic !!!!"));               // not base64
  CHECK_FALSE(auth.Allows("Bearer YWxpY2U6c2VjcmV0"));  // another scheme
}

}  // namespace
}  // namespace metrics_adapter
