// Pulled `http` sources: one GET of a status page (nginx stub_status, Apache
// mod_status, a home-grown /status) over http:// or https://, through
// libcurl (loaded at first use: curl_library.h). One HttpClient per source
// keeps its curl handle, so what a fetch can reuse (the parsed CA bundle, TLS
// session tickets, the DNS cache) is set up once; the connection itself is
// fresh for every fetch (see fetch.h).
//
// Usage:
//   HttpFetchOptions options;
//   options.url = "https://127.0.0.1:8443/server-status?auto";
//   options.tls.ca_file = "/etc/app/ca.pem";
//   options.timeout = std::chrono::milliseconds(500);
//   HttpClient client(options);
//   FetchResult r = client.Get();
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/sources/fetch.h"

namespace metrics_adapter {

// TLS for https:// URLs, named as in Prometheus scrape configs. Files are
// PEM; the config loader checks they can be read.
struct TlsOptions {
  // CA certificates the server's chain must lead to, instead of the system's.
  std::string ca_file;
  // A client certificate and its key, for servers that ask for one.
  std::string cert_file, key_file;
  // The name the server's certificate must hold and the SNI sent, instead of
  // the URL's host (which still goes into the Host header and the
  // connection).
  std::string server_name;
  // Accept any server certificate. For tests and throw-away setups only.
  bool insecure_skip_verify = false;
};

struct HttpFetchOptions {
  // http:// or https://host[:port][/path][?query]. host is a name, an IPv4
  // literal or a bracketed IPv6 literal. user:password@ is refused (check
  // with CheckHttpUrl at config load; HttpClient gives reason "protocol"); a
  // #fragment is not sent.
  std::string url;
  // Extra request headers, sent as given; one named like a standard header
  // (Host, User-Agent, Accept-Encoding, Authorization) replaces it. Names
  // must be HTTP tokens and values free of CR/LF (see CheckHttpHeader).
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent as "Authorization: Basic ..." when basic_auth_user is not empty.
  std::string basic_auth_user, basic_auth_password;
  TlsOptions tls;
  // http://, https:// or socks5:// proxy to go through (https:// targets
  // through a CONNECT tunnel); empty for none. Proxy environment variables
  // are never used.
  std::string proxy_url;
  // For the whole exchange: resolve + connect + TLS + send + receive.
  std::chrono::milliseconds timeout{2000};
  // Longer bodies are cut here (truncated, reason "too_large"); one whose
  // Content-Length says so is refused before any of it is read.
  std::size_t max_body_bytes = 10 << 20;
};

// Fetches one URL, again and again. Plain http:// is sent as HTTP/1.0 so
// that the server closes the connection after its answer; https:// offers
// HTTP/2 and HTTP/1.1 (ALPN) and uses what the server picks. The request
// carries Host, "User-Agent: metrics-adapter", "Accept-Encoding: identity",
// `headers` and Authorization. Interim 1xx responses are skipped; redirects
// are not followed (3xx is an "http_status" failure); a Content-Encoding or
// Transfer-Encoding other than identity (or chunked) is a "protocol" failure
// rather than a body nobody can parse. A name resolving to several addresses
// is tried address by address within the one deadline.
//
// Thread-compatible: one Get() at a time per client (PullSource runs one
// fetch at a time); different clients may fetch concurrently.
class HttpClient {
 public:
  explicit HttpClient(HttpFetchOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One GET within options.timeout. Options that cannot be used (a bad URL
  // or header) fail every Get() with reason "protocol", without connecting.
  FetchResult Get();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Validates a URL up front (for config loading): returns "" or an error
// message such as "unsupported scheme \"ftp\" (expected http:// or
// https://)" or curl's "Bad IPv6 address".
std::string CheckHttpUrl(std::string_view url);

// Validates a proxy_url the same way: http://, https://, socks5:// or
// socks5h:// with a host.
std::string CheckProxyUrl(std::string_view url);

// Validates one extra request header (for config loading): returns "" or an
// error message. Rejects names that are not HTTP tokens and CR, LF or NUL in
// values, which would otherwise let a config inject request lines.
std::string CheckHttpHeader(std::string_view name, std::string_view value);

}  // namespace metrics_adapter
