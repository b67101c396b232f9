// HttpServer is the adapter's embedded HTTP endpoint, built on civetweb's C
// API. It serves:
//   GET|HEAD /metrics    the exposition from HttpHandlers::metrics in the format
//                        it picks from Accept, gzip-coded when Accept-Encoding
//                        allows it (the path is
//                        HttpServerOptions::telemetry_path); at most
//                        max_requests renders at once, 503 beyond
//   GET|HEAD /healthz, /-/healthy   200 "ok" while the server runs (liveness)
//   GET|HEAD /readyz, /-/ready      200 "ready" / 503 "not ready" from
//                                   HttpHandlers::ready
//   POST     /-/reload   only when HttpHandlers::reload is set
//   POST     /-/explain  only when HttpHandlers::explain is set
//   GET|HEAD /           an HTML page: version, links, the loaded sources
// and 404 for anything else, 405 (with Allow) for a known path and a wrong
// method. Every response carries Content-Length, but for an exposition
// larger than the handler's first chunk: that one is sent while it is
// rendered, chunk by chunk, with "Transfer-Encoding: chunked" to an
// HTTP/1.1 request and until the connection closes to an HTTP/1.0 one.
// Connections are closed after each response (no keep-alive), so an idle
// client never pins a worker. A
// request civetweb cannot read gets civetweb's status (400, 505, ...) in the
// same form: "HTTP/1.1", the status, the reason as the body.
//
// Slow and idle clients: each connection is served by one of
// max_connections worker threads (started up front, 100 KiB stacks); up to as
// many more wait in civetweb's queue and the kernel's backlog holds the rest.
// A request's head and body must arrive within read_timeout of the worker
// taking the connection: civetweb bounds the head, and a watchdog here shuts
// the reading side of a connection whose body is still arriving at the
// deadline. Connections that have sent nothing wait in the kernel
// (TCP_DEFER_ACCEPT for the read timeout) rather than on a worker. Explain
// reads at most 64 KiB (413 beyond) and answers at most 1 MiB of report
// (cut, with a note). The health endpoints take no lock a render holds, and
// max_requests keeps renders from taking every worker, so probes are answered
// while scrapes and slow clients hold workers.
//
// Usage:
//   HttpHandlers handlers;
//   handlers.metrics = [&](std::string_view accept, MetricsBody& body) {
//     const NegotiatedFormat chosen = NegotiateFormat(accept);
//     body.SetContentType(std::string(chosen.content_type));
//     Render(chosen.format, [&](std::string chunk, bool last) {
//       body.Write(std::move(chunk), last);
//     });
//   };
//   handlers.ready = [&] { return pipeline.Ready(); };
//   std::string error;
//   auto server = HttpServer::Start(":9090", std::move(handlers), {}, &error);
//   if (!server) { spdlog::critical("{}", error); return 1; }
//   ...
//   server.reset();  // stops accepting, waits for in-flight requests
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/web/web_security.h"

namespace metrics_adapter {

// A loaded source as the landing page lists it.
struct HttpSourceInfo {
  std::string name;
  std::string type;  // file, http, exec, ...
};

// Where the metrics handler writes the exposition. The server sends what
// is written while the handler goes on writing: a write only queues, and
// never waits for the client (a render holds the store's lock). Once the
// client is gone, or for HEAD once the head is out, writes are dropped.
class MetricsBody {
 public:
  // The body's Content-Type (the format chosen); before the first Write.
  virtual void SetContentType(std::string content_type) = 0;
  // Appends `chunk` to the body; `last` marks the final one. A body whose
  // first chunk is its last goes out with Content-Length, any other as it
  // comes.
  virtual void Write(std::string chunk, bool last) = 0;

 protected:
  ~MetricsBody() = default;
};

struct HttpHandlers {
  // Given the request's Accept header ("" when absent; several field lines
  // joined with ", "), writes the exposition into `body` with its
  // Content-Type (the format it chose). Called per scrape, on the server's
  // render threads, possibly concurrently. An exception gives a 500 if no
  // chunk has been sent yet; after that it cuts the body short (the
  // connection closes, an HTTP/1.1 client sees the chunked body unfinished).
  std::function<void(std::string_view accept, MetricsBody& body)> metrics;
  // /readyz: true -> 200 "ready", false (or an exception) -> 503 "not ready".
  // Unset means always ready.
  std::function<bool()> ready;
  // POST /-/reload; the endpoint exists only when this is set (lifecycle
  // enabled). Returns "" on success (-> 200 "ok") or an error message (-> 500
  // with the message as body). Called on civetweb threads; concurrent reload
  // requests are not serialized here.
  std::function<std::string()> reload;
  // POST /-/explain?source=NAME with the input as body: the endpoint exists
  // only when this is set (a debug aid, off by default). Returns the report,
  // or nullopt for an unknown source (-> 404).
  std::function<std::optional<std::string>(const std::string& source, std::string_view input)>
      explain;
  // The sources the landing page lists, asked at each visit. Unset: none.
  std::function<std::vector<HttpSourceInfo>()> sources;
};

// What the server reports about its own work, for the adapter's self
// metrics (the web layer knows no metrics library). Every member may be
// unset. Called on civetweb threads, concurrently; must be quick and must
// not throw.
struct HttpObserver {
  // A request answered: `handler` is the endpoint's path ("/metrics", the
  // telemetry path as configured, "/healthz", "/-/ready", "/", ...) or
  // "other" for a path that is none of them; `code` the status sent.
  std::function<void(std::string_view handler, int code)> request_done;
  // +1 when a request reaches the server's dispatch, -1 when it is answered.
  std::function<void(int delta)> in_flight;
  // A connection ended without a request being answered ("no_request": it
  // sent nothing, or closed; "bad_request": civetweb refused its head:
  // malformed, too large, or incomplete at the read timeout), or a request's
  // body was still arriving at the read timeout ("body_timeout").
  std::function<void(std::string_view reason)> connection_dropped;
  // A scrape answered 503 because max_requests renders were running.
  std::function<void()> scrape_rejected;
};

struct HttpServerOptions {
  // Where the exposition is served: a path starting with "/" that names no
  // other endpoint.
  std::string telemetry_path = "/metrics";
  // Connections served at once, each on its own worker thread (1..10000).
  // As many more wait in a queue; beyond that the kernel's listen backlog.
  int max_connections = 512;
  // A request's head and body must have arrived this long after its
  // connection reached a worker (at least 1 ms).
  std::chrono::milliseconds read_timeout{10000};
  // Renders of the exposition at once; more scrapes get 503. 0: no limit.
  int max_requests = 40;
  HttpObserver observer;
  // --web.config.file's TLS, basic auth and headers (not owned, must outlive
  // the server); null: plain HTTP, no auth.
  const WebSecurity* security = nullptr;
};

class HttpServer {
 public:
  // Binds `listen_address` and starts serving on options.max_connections
  // civetweb worker threads. listen_address is "HOST:PORT" (IPv4 literal or a
  // resolvable name), ":PORT" (all IPv4 interfaces) or "[IPV6]:PORT", which
  // is refused when civetweb was built without IPv6 (Debian 12's civetweb
  // 1.15 is). Port 0 picks a free port; see port().
  // Returns nullptr and sets *error on failure, e.g.
  //   "listen on 127.0.0.1:80: Address already in use".
  //
  // With options.security the listener speaks TLS when it says so, and every request, whatever its
  // path, first passes its check: 401 with WWW-Authenticate when basic auth
  // fails; its headers go on every response.
  static std::unique_ptr<HttpServer> Start(const std::string& listen_address, HttpHandlers handlers,
                                           HttpServerOptions options, std::string* error);
  // The same with the default options.
  static std::unique_ptr<HttpServer> Start(const std::string& listen_address, HttpHandlers handlers,
                                           std::string* error) {
    return Start(listen_address, std::move(handlers), HttpServerOptions{}, error);
  }

  // Graceful stop: requests already in a handler run to completion and their
  // responses are sent; requests arriving meanwhile get 503 "shutting down"
  // without calling any handler; bodies still arriving are cut off (an
  // explain request whose input was cut gets 503 without its handler); then
  // civetweb is stopped and its threads joined. Blocks as long as the
  // slowest in-flight handler, so handlers must not wait on anything the
  // destroying thread holds.
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The actually bound port (the kernel's choice when asked for port 0).
  int port() const;

 private:
  // State shared with the civetweb callbacks; defined in the .cc.
  struct Impl;

  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace metrics_adapter
