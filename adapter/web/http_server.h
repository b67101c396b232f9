// HttpServer is the adapter's embedded HTTP endpoint, built on civetweb's C
// API. It serves:
//   GET|HEAD /metrics    the exposition from HttpHandlers::metrics, gzip-coded
//                        when Accept-Encoding allows it
//   GET|HEAD /healthz    200 "ok" while the server runs (liveness)
//   GET|HEAD /readyz     200 "ready" / 503 "not ready" from HttpHandlers::ready
//   POST     /-/reload   only when HttpHandlers::reload is set
//   GET|HEAD /           a small HTML page linking the above
// and 404 for anything else, 405 (with Allow) for a known path and a wrong
// method. Every response carries Content-Length; connections are closed after
// each response so an idle client never pins one of the few worker threads.
// A request civetweb cannot parse gets civetweb's status (400, 505, ...) in
// the same form: "HTTP/1.1", the status, the reason as the body.
//
// Usage:
//   HttpHandlers handlers;
//   handlers.metrics = [&] { return std::pair{registry.Render(), kPrometheusTextType}; };
//   handlers.ready = [&] { return pipeline.Ready(); };
//   std::string error;
//   auto server = HttpServer::Start(":9090", std::move(handlers), &error);
//   if (!server) { spdlog::critical("{}", error); return 1; }
//   ...
//   server.reset();  // stops accepting, waits for in-flight requests
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace metrics_adapter {

struct HttpHandlers {
  // Returns the full exposition body and its Content-Type (the Prometheus text
  // format: "text/plain; version=0.0.4; charset=utf-8"). Called per scrape, on
  // civetweb threads, possibly concurrently. An exception gives a 500.
  std::function<std::pair<std::string, std::string>()> metrics;
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
};

class HttpServer {
 public:
  // Binds `listen_address` and starts serving on a few civetweb worker threads.
  // listen_address is "HOST:PORT" (IPv4 literal or a resolvable name), ":PORT"
  // (all IPv4 interfaces) or "[IPV6]:PORT" (only if civetweb was built with
  // IPv6). Port 0 picks a free port; see port().
  // Returns nullptr and sets *error on failure, e.g.
  //   "listen on 127.0.0.1:80: Address already in use".
  static std::unique_ptr<HttpServer> Start(const std::string& listen_address, HttpHandlers handlers,
                                           std::string* error);

  // Graceful stop: requests already in a handler run to completion and their
  // responses are sent; requests arriving meanwhile get 503 "shutting down"
  // without calling any handler; then civetweb is stopped and its threads
  // joined. Blocks as long as the slowest in-flight handler, so handlers
  // must not wait on anything the destroying thread holds.
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
