// Pulled sources: one HTTP GET of a status page (nginx stub_status, Apache
// mod_status, a home-grown /status) or one request/response exchange over a
// plain TCP connection (redis INFO, memcached stats, ZooKeeper mntr).
//
// Both run while Prometheus waits for a scrape, so each call is strictly
// bounded by its `timeout`: name resolution, connect, send and receive all
// share one deadline, sockets are non-blocking and every wait is a poll()
// against what is left of it. Nothing is retried and no connection is kept:
// a scrape is one fresh connection, which also means a restarted app is
// picked up without any reconnect logic. Plain POSIX sockets, no TLS.
//
// Usage:
//   HttpFetchOptions options;
//   options.url = "http://127.0.0.1:8080/server-status?auto";
//   options.timeout = std::chrono::milliseconds(500);
//   FetchResult r = HttpGet(options);
//   if (!r.ok) { failures.Add(r.reason); log_limiter...; spdlog::warn("{}", r.error); }
//   else Parse(r.body);
//
//   TcpFetchOptions redis;
//   redis.address = "127.0.0.1:6379";
//   redis.send = "INFO\r\n";
//   redis.framing = TcpFraming::kRedisBulk;
//   FetchResult info = TcpExchange(redis);
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace metrics_adapter {

struct FetchResult {
  // A complete response within the deadline (HTTP: and a 2xx status).
  bool ok = false;
  // The payload: HTTP without the headers (de-chunked); redis the bulk
  // payload; kUntilTerminator without the terminator. Kept when !ok too, as
  // far as it was received, for logs and debugging.
  std::string body;
  // HTTP only: the final status code, 0 if no status line was received.
  int http_status = 0;
  // The payload was longer than max_body_bytes: body holds its first
  // max_body_bytes and ok is false (a cut-off status page would parse into
  // wrong numbers, so it is never passed on as good).
  bool truncated = false;
  // Why !ok, one line for logs, e.g. "connect 127.0.0.1:8080: Connection
  // refused", "timeout after 2s: read from 127.0.0.1:8080", "HTTP 503: <up to
  // 200 bytes of the body>", "body over 10485760 bytes".
  std::string error;
  // Why !ok as a metric label, one of: "resolve" (the name did not resolve),
  // "connect" (refused or unreachable, or the connection failed later: reset
  // while sending or reading), "timeout", "http_status" (non-2xx, including
  // redirects), "too_large", "protocol" (a malformed or unexpected response,
  // a redis error reply, a connection closed too early, or options that
  // cannot be used: a bad URL, address or header). Empty when ok.
  std::string reason;
};

struct HttpFetchOptions {
  // http://host[:port][/path][?query]. host is a name, an IPv4 literal or a
  // bracketed IPv6 literal. https and user:password@ are refused (check with
  // CheckHttpUrl at config load; HttpGet gives reason "protocol"); a
  // #fragment is dropped, as browsers and curl do.
  std::string url;
  // Extra request headers, sent as given after the standard ones. Names must
  // be HTTP tokens and values free of CR/LF (see CheckHttpHeader).
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent as "Authorization: Basic ..." when basic_auth_user is not empty.
  std::string basic_auth_user, basic_auth_password;
  // For the whole exchange: resolve + connect + send + receive.
  std::chrono::milliseconds timeout{2000};
  // Longer bodies are cut here (truncated, reason "too_large").
  std::size_t max_body_bytes = 10 << 20;
};

// One GET over a fresh connection, as HTTP/1.0 so that servers neither chunk
// nor keep the connection open; the request carries Host, "User-Agent:
// metrics-adapter", "Accept-Encoding: identity", `headers` and Authorization.
// The response is read up to Content-Length, to the last chunk (for servers
// that chunk anyway) or to the close of the connection. Interim 1xx responses
// are skipped; redirects are not followed (3xx is an "http_status" failure);
// a Content-Encoding other than identity is a "protocol" failure rather than
// a body nobody can parse. A name resolving to several addresses is tried
// address by address within the one deadline.
FetchResult HttpGet(const HttpFetchOptions& options);

// Validates a URL up front (for config loading): returns "" or an error
// message such as "https is not supported" or "invalid port \"80a\"".
std::string CheckHttpUrl(std::string_view url);

// Validates one extra request header (for config loading): returns "" or an
// error message. Rejects names that are not HTTP tokens and CR, LF or NUL in
// values, which would otherwise let a config inject request lines.
std::string CheckHttpHeader(std::string_view name, std::string_view value);

enum class TcpFraming {
  // The response is everything until the server closes the connection
  // (ZooKeeper four-letter words, many home-grown status ports).
  kUntilClose,
  // The response ends with `terminator`, after which the server waits for the
  // next command (memcached "stats" ends with "END\r\n"). Complete when the
  // bytes received so far end with the terminator; servers speak only when
  // asked, so nothing follows it.
  kUntilTerminator,
  // A redis bulk-string reply "$<n>\r\n<n bytes>\r\n" (INFO). Simple-string
  // replies before it ("+OK" to an AUTH or SELECT sent first in `send`) are
  // skipped; an error reply "-ERR ..." and the nil reply "$-1" are "protocol"
  // failures with the error text.
  kRedisBulk,
};

struct TcpFetchOptions {
  // host:port or [IPv6]:port.
  std::string address;
  // Bytes to send once connected, e.g. "INFO\r\n" or "stats\r\n". May be
  // empty for servers that speak first.
  std::string send;
  TcpFraming framing = TcpFraming::kUntilClose;
  // kUntilTerminator only: how the response ends, e.g. "END\r\n". Not part of
  // the returned body.
  std::string terminator;
  // For the whole exchange: resolve + connect + send + receive.
  std::chrono::milliseconds timeout{2000};
  std::size_t max_body_bytes = 10 << 20;
};

// One request/response exchange over a fresh TCP connection, closed after.
FetchResult TcpExchange(const TcpFetchOptions& options);

}  // namespace metrics_adapter
