// What a pulled source's fetch gives back, shared by the HTTP client
// (http_fetch.h) and the TCP request/response exchange (tcp_fetch.h), and the
// few helpers both use to describe a failure.
//
// Both run while Prometheus waits for a scrape, so each fetch is strictly
// bounded by its source's `timeout`: name resolution, connect, TLS, send and
// receive all share one deadline. Nothing is retried and no connection is
// kept: a scrape is one fresh connection, which also means a restarted app is
// picked up without any reconnect logic.
//
// Usage:
//   FetchResult r = client.Get();  // or TcpExchange(options)
//   if (!r.ok) { failures.Add(r.reason); spdlog::warn("{}", r.error); }
//   else Parse(r.body);
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

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
  // max_body_bytes (HTTP: nothing when the Content-Length said so, as it is
  // not read) and ok is false (a cut-off status page would parse into wrong
  // numbers, so it is never passed on as good).
  bool truncated = false;
  // Why !ok, one line for logs, e.g. "connect 127.0.0.1:8080: Connection
  // refused", "timeout after 2s: read from 127.0.0.1:8080", "HTTP 503: <up to
  // 200 bytes of the body>", "body over 10485760 bytes".
  std::string error;
  // Why !ok as a metric label, one of: "resolve" (the name did not resolve),
  // "connect" (refused or unreachable, or the connection failed later: reset
  // while sending or reading; a proxy that refused the tunnel), "timeout",
  // "tls" (the TLS handshake failed: an unverifiable server certificate, a
  // client certificate or key that cannot be used), "http_status" (non-2xx,
  // including redirects), "too_large", "protocol" (a malformed or unexpected
  // response, a redis error reply, a connection closed too early, or options
  // that cannot be used: a bad URL, address or header). Empty when ok.
  std::string reason;

  // Sets !ok with `reason` (one of the above) and `error`.
  void Fail(std::string_view why_label, std::string message);
  // The body ran past `max_body_bytes`: truncated, reason "too_large".
  void FailTooLarge(std::size_t max_body_bytes);
  // Appends `data` to body up to `limit` bytes in all; returns false when
  // some of it did not fit (body then holds the first `limit` bytes). Once
  // the body outgrows its first allocation it is given room for `limit` at
  // once instead of growing by doubling: no copy of a large body, no buffer
  // beyond what the limit needs, and only the bytes received are resident
  // (a large allocation is mapped memory whose untouched pages cost none).
  // So a fetch holds at most `limit` bytes of body however large the
  // upstream's response is.
  bool AppendBody(std::string_view data, std::size_t limit);
};

// One line of printable ASCII of at most `max` bytes of `text`, for logs: a
// body can hold anything. Control bytes become spaces, non-ASCII '?'.
std::string Printable(std::string_view text, std::size_t max);

// "2s" or "250ms", as timeouts are written in configs.
std::string FormatTimeout(std::chrono::milliseconds timeout);

}  // namespace metrics_adapter
