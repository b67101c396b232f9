// The file --web.config.file names, in the Prometheus exporter toolkit's
// web configuration format: TLS for the listener (with client certificates),
// basic auth users with bcrypt hashes, extra response headers.
//
//   tls_server_config:
//     cert_file: server.crt          # relative paths: to this file's directory
//     key_file: server.key
//     client_auth_type: RequireAndVerifyClientCert
//     client_ca_file: clients-ca.crt
//     min_version: TLS13
//   http_server_config:
//     headers:
//       X-Frame-Options: deny
//   basic_auth_users:
//     prometheus: $2y$10$...          # bcrypt
//
// LoadWebConfig reads and checks the file's structure and values; it reads
// no certificate (TlsContext does, so that a reload reads them again). Every
// error names file:line:col and the field. What this server cannot honour is
// an error, never silently ignored: rate_limit, http2: true, TLS versions
// below 1.2.
//
// Usage:
//   Diagnostics diags;
//   std::optional<WebConfig> config = LoadWebConfig("web.yaml", diags);
//   if (!config) { std::cerr << diags.Format(); return 1; }
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapter/base/diagnostics.h"

namespace metrics_adapter {

// tls_server_config, as the toolkit defines it (Go's crypto/tls terms).
struct TlsServerConfig {
  // PEM, from the file (cert_file...; absolute paths) or inline (cert...).
  std::string cert_file, key_file, client_ca_file;
  std::string cert, key, client_ca;
  // NoClientCert, RequestClientCert, RequireAnyClientCert,
  // VerifyClientCertIfGiven, RequireAndVerifyClientCert.
  std::string client_auth_type = "NoClientCert";
  // A verified client certificate must hold one of these as a DNS, IP,
  // e-mail or URI subject alternative name; empty: any.
  std::vector<std::string> client_allowed_sans;
  int min_version = 0;  // OpenSSL's TLS1_2_VERSION / TLS1_3_VERSION
  int max_version = 0;
  // OpenSSL's names of the TLS 1.2 suites the IANA names given map to,
  // joined with ":"; empty: OpenSSL's default list.
  std::string cipher_list;
  bool prefer_server_cipher_suites = true;
  // OpenSSL group names ("P-256:X25519"); empty: OpenSSL's default.
  std::string groups;
  // Where each field was given, for errors found when the files are read.
  std::map<std::string, SourcePosition, std::less<>> positions;
};

struct WebConfig {
  std::string path;                    // the file it was read from
  std::optional<TlsServerConfig> tls;  // no TLS when absent (or empty)
  // User name -> bcrypt hash; basic auth is required when not empty.
  std::map<std::string, std::string> users;
  // Added to every response, in the file's order.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Reads `path`. Returns nullopt after reporting every error to `diags`.
std::optional<WebConfig> LoadWebConfig(const std::string& path, Diagnostics& diags);

// The files `config` was read from: itself and the certificate files it names.
std::vector<std::string> WebConfigFiles(const WebConfig& config);

}  // namespace metrics_adapter
