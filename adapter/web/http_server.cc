#include "adapter/web/http_server.h"

#include "adapter/base/host_port.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adapter/web/gzip.h"

namespace metrics_adapter {
namespace {

// Scrapes are infrequent and cheap to serve; a few threads suffice, and
// connections are not kept alive so none of them sits idle on a client.
constexpr const char* kNumThreads = "4";
// Bounds how long a slow or stuck client can hold a worker thread.
constexpr const char* kRequestTimeoutMs = "10000";

// zlib's fastest level for /metrics; see Metrics() for why.
constexpr int kMetricsGzipLevel = 1;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kLandingPage = R"(<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>metrics-adapter</title></head>
<body>
<h1>metrics-adapter</h1>
<p>Turns application logs into Prometheus metrics.</p>
<ul>
<li><a href="/metrics">Metrics</a></li>
<li><a href="/healthz">Health</a></li>
<li><a href="/readyz">Readiness</a></li>
</ul>
</body>
</html>
)";

struct Response {
  int status = 200;
  std::string content_type{kTextPlain};
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

Response Text(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response MethodNotAllowed(std::string allow) {
  Response r = Text(405, "method not allowed");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

bool IsGetOrHead(std::string_view method) { return method == "GET" || method == "HEAD"; }

// All Accept-Encoding field lines joined with ", ": a request may legally
// split the list over several lines, and mg_get_header returns only the first.
std::string AcceptEncoding(const mg_request_info* info) {
  std::string joined;
  for (int i = 0; i < info->num_headers; ++i) {
    if (strcasecmp(info->http_headers[i].name, "Accept-Encoding") != 0) continue;
    if (!joined.empty()) joined += ", ";
    joined += info->http_headers[i].value;
  }
  return joined;
}

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT". Formatted by
// hand because strftime's %a/%b follow the process locale.
std::string HttpDate(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "Thu, 01 Jan 1970 00:00:00 GMT";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// Writes the whole response in one mg_write. The head is formatted here rather
// than with mg_response_header_*: civetweb 1.15 builds its Date header with
// gmtime(), whose shared static buffer races between worker threads.
// Connections are never kept alive (enable_keep_alive=no), so civetweb closes
// the connection after the callback returns and needs no framing knowledge.
// Never throws: it runs inside civetweb's C callback.
void Send(mg_connection* conn, const Response& r, bool head) noexcept try {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    mg_get_response_code_text(conn, r.status) + "\r\n";
  out += "Date: " + HttpDate(std::time(nullptr)) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [name, value] : r.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out += "Connection: close\r\n\r\n";
  // HEAD gets GET's headers, including its Content-Length, but no body. One
  // write of head + body costs a copy but avoids a small head segment waiting
  // on a delayed ACK (Nagle) before the body goes out.
  if (!head) out += r.body;
  mg_write(conn, out.data(), out.size());
} catch (const std::exception& e) {
  spdlog::error("http server: cannot send response: {}", e.what());
}

// Where to listen, in civetweb's terms, plus an address of the same socket
// that this process can connect to (see HttpServer::~HttpServer).
struct ListenTarget {
  std::string civetweb_spec;  // civetweb "listening_ports" value
  sockaddr_storage self{};    // port filled in once bound
  socklen_t self_len = 0;
};

// Parses listen_address. Validating and resolving here, rather than leaving it
// to civetweb, gives precise messages, keeps civetweb's list/suffix syntax
// (",", "s", "r", "+") out of user input, and tells us the exact bound address.
bool ParseListenAddress(const std::string& address, ListenTarget* target, std::string* why) {
  HostPort hp;
  if (!SplitHostPort(address, &hp, why)) return false;
  const std::string& host = hp.host;
  const bool bracketed = hp.bracketed;
  const std::string port = std::to_string(hp.port);

  if (bracketed) {
    if (!mg_check_feature(MG_FEATURES_IPV6)) {
      *why = "IPv6 is not supported by this civetweb build";
      return false;
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&target->self);
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) {
      *why = "invalid IPv6 address";
      return false;
    }
    if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) sin6->sin6_addr = in6addr_loopback;
    target->self_len = sizeof(sockaddr_in6);
    target->civetweb_spec = address;
    return true;
  }

  auto* sin = reinterpret_cast<sockaddr_in*>(&target->self);
  sin->sin_family = AF_INET;
  target->self_len = sizeof(sockaddr_in);
  if (host.empty()) {
    // civetweb: a bare port listens on all IPv4 interfaces.
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    target->civetweb_spec = port;
    return true;
  }
  if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
      std::string::npos) {
    *why = "invalid character in host";
    return false;
  }
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) != 1) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (rc != 0 || result == nullptr) {
      *why = std::string("cannot resolve host: ") + gai_strerror(rc);
      return false;
    }
    sin->sin_addr = reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr;
    freeaddrinfo(result);
  }
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
  target->civetweb_spec = std::string(ip) + ":" + port;
  if (sin->sin_addr.s_addr == htonl(INADDR_ANY)) sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return true;
}

void SetPort(ListenTarget* target, int port) {
  if (target->self.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&target->self)->sin6_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in*>(&target->self)->sin_port = htons(static_cast<uint16_t>(port));
  }
}

// Opens and drops a connection to our own listening socket. Non-blocking so a
// full accept queue cannot stall shutdown; a refused or half-done attempt is
// harmless, the caller simply tries again.
void PokeListener(const ListenTarget& target) {
  int fd = socket(target.self.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Its outcome does not matter: either way the listener has woken up or the
  // caller tries again.
  (void)connect(fd, reinterpret_cast<const sockaddr*>(&target.self), target.self_len);
  close(fd);
}

// civetweb's bind failure reads "cannot bind to 127.0.0.1:80: 98 (Address
// already in use)"; the parenthesized strerror is the useful part.
std::string BindReason(const std::vector<std::string>& messages, const char* fallback) {
  for (const std::string& m : messages) {
    if (m.rfind("cannot bind to", 0) != 0) continue;
    std::size_t open = m.rfind('(');
    if (open != std::string::npos && m.back() == ')')
      return m.substr(open + 1, m.size() - open - 2);
    return m;
  }
  if (!messages.empty()) return messages.front();
  return fallback;
}

void InitCivetwebOnce() {
  // mg_init_library is not thread-safe and must precede any other call.
  static std::once_flag once;
  std::call_once(once, [] {
    // The result is the set of optional features initialized: 0 for 0.
    mg_init_library(0);
  });
}

}  // namespace

struct HttpServer::Impl {
  HttpHandlers handlers;
  mg_context* ctx = nullptr;
  int port = 0;
  ListenTarget target;

  // Requests that may call handlers; the destructor lets them finish before
  // mg_stop, because civetweb drops any response written after mg_stop began.
  std::mutex drain_mu;
  std::condition_variable drained;
  int in_flight = 0;
  bool draining = false;

  // civetweb reports why startup failed only through log_message; collect
  // those lines while mg_start2 runs so Start can return them as *error.
  std::mutex startup_mu;
  bool starting = true;
  std::vector<std::string> startup_messages;

  static int LogMessage(const mg_connection* conn, const char* message);
  static int BeginRequest(mg_connection* conn);
  static int HttpError(mg_connection* conn, int status, const char* message);

  Response Dispatch(std::string_view method, std::string_view uri, mg_connection* conn,
                    const mg_request_info* info);
  Response Metrics(const mg_request_info* info);
  Response Explain(mg_connection* conn, const mg_request_info* info);
};

int HttpServer::Impl::LogMessage(const mg_connection* conn, const char* message) {
  Impl* impl = nullptr;
  if (conn != nullptr) {
    if (const mg_context* ctx = mg_get_context(conn)) {
      impl = static_cast<Impl*>(mg_get_user_data(ctx));
    }
  }
  if (impl != nullptr) {
    std::lock_guard lock(impl->startup_mu);
    if (impl->starting) {
      // Start() turns these into *error; the caller decides how to log it.
      impl->startup_messages.emplace_back(message);
      return 1;
    }
  }
  spdlog::error("http server: {}", message);
  return 1;  // non-zero: civetweb must not write its own log
}

// Every request comes through begin_request, which (unlike
// mg_set_request_handler) has no window after mg_start2 where a request could
// reach civetweb's default handling, and gives one place for 404/405.
int HttpServer::Impl::BeginRequest(mg_connection* conn) {
  auto* impl = static_cast<Impl*>(mg_get_user_data(mg_get_context(conn)));
  const mg_request_info* info = mg_get_request_info(conn);
  std::string_view method = info->request_method ? info->request_method : "";
  std::string_view uri = info->local_uri ? info->local_uri : "";
  bool draining;
  {
    std::lock_guard lock(impl->drain_mu);
    draining = impl->draining;
    if (!draining) ++impl->in_flight;
  }
  if (draining) {
    Send(conn, Text(503, "shutting down"), method == "HEAD");
    return 503;
  }
  // Decrements in_flight however this function is left.
  struct InFlight {
    Impl* impl;
    ~InFlight() {
      std::lock_guard lock(impl->drain_mu);
      if (--impl->in_flight == 0 && impl->draining) impl->drained.notify_all();
    }
  } in_flight{impl};

  Response response;
  try {
    response = impl->Dispatch(method, uri, conn, info);
  } catch (const std::exception& e) {
    spdlog::error("http server: {} {}: {}", method, uri, e.what());
    response = Text(500, "internal server error");
  } catch (...) {
    spdlog::error("http server: {} {}: unknown exception", method, uri);
    response = Text(500, "internal server error");
  }
  Send(conn, response, method == "HEAD");
  return response.status;
}

// civetweb's own error answers (a request it cannot parse: 400, an HTTP
// version it does not speak: 505, ...) are sent here instead, like every
// other response: civetweb 1.15 copies the request's version field, bytes of
// the client's choosing up to the line end, CR included, into the status
// line of its own answer ("HTTP/HTTP/1.1 Set-Cookie: a\r\n\r 400 ...").
// Returns 0: handled, civetweb sends nothing more.
int HttpServer::Impl::HttpError(mg_connection* conn, int status, const char* /*message*/) {
  const mg_request_info* info = mg_get_request_info(conn);
  const bool head = info != nullptr && info->request_method != nullptr &&
                    std::string_view(info->request_method) == "HEAD";
  Send(conn, Text(status, mg_get_response_code_text(conn, status)), head);
  return 0;
}

Response HttpServer::Impl::Dispatch(std::string_view method, std::string_view uri,
                                    mg_connection* conn, const mg_request_info* info) {
  if (uri == "/metrics") {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    return Metrics(info);
  }
  if (uri == "/healthz") {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    return Text(200, "ok");
  }
  if (uri == "/readyz") {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    bool ready = true;
    if (handlers.ready) {
      try {
        ready = handlers.ready();
      } catch (const std::exception& e) {
        spdlog::error("http server: readiness check threw: {}", e.what());
        ready = false;
      }
    }
    return ready ? Text(200, "ready") : Text(503, "not ready");
  }
  if (uri == "/-/reload" && handlers.reload) {
    if (method != "POST") return MethodNotAllowed("POST");
    std::string error;
    try {
      error = handlers.reload();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "reload failed";
    }
    if (!error.empty()) return Text(500, std::move(error));
    return Text(200, "ok");
  }
  if (uri == "/-/explain" && handlers.explain) {
    if (method != "POST") return MethodNotAllowed("POST");
    return Explain(conn, info);
  }
  if (uri == "/") {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    Response r = Text(200, std::string(kLandingPage));
    r.content_type = "text/html; charset=utf-8";
    return r;
  }
  return Text(404, "not found");
}

Response HttpServer::Impl::Explain(mg_connection* conn, const mg_request_info* info) {
  constexpr std::size_t kMaxInput = 1 << 20;  // a debug aid: a page or a few lines
  char source[256] = "";
  const char* query = info->query_string ? info->query_string : "";
  if (mg_get_var(query, std::strlen(query), "source", source, sizeof source) <= 0) {
    return Text(400, "POST /-/explain?source=NAME with the input as the body");
  }
  std::string input;
  char buffer[8192];
  for (int n; (n = mg_read(conn, buffer, sizeof buffer)) > 0;) {
    input.append(buffer, static_cast<std::size_t>(n));
    if (input.size() > kMaxInput) return Text(413, "input over 1 MiB");
  }
  std::optional<std::string> report = handlers.explain(source, input);
  if (!report) return Text(404, std::string("no source named ") + source);
  return Text(200, std::move(*report));
}

Response HttpServer::Impl::Metrics(const mg_request_info* info) {
  if (!handlers.metrics) return Text(503, "no metrics handler");
  auto [body, content_type] = handlers.metrics();
  Response r;
  r.content_type = std::move(content_type);
  // The body depends on Accept-Encoding either way, so caches must key on it.
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (AcceptsGzip(AcceptEncoding(info))) {
    // The fastest level: it compresses the repetitive text format about as
    // well as the default (names and labels repeat on every line) in a third
    // of the time, and a scrape waits for it.
    r.body = GzipCompress(body, kMetricsGzipLevel);
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.body = std::move(body);
  }
  return r;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (!impl_ || !impl_->ctx) return;
  {
    // Requests already past the check in BeginRequest complete and are sent;
    // later ones get 503 without touching the handlers.
    std::unique_lock lock(impl_->drain_mu);
    impl_->draining = true;
    impl_->drained.wait(lock, [&] { return impl_->in_flight == 0; });
  }
  // civetweb's accept thread re-checks its stop flag only between poll()
  // calls of up to 2 s (SOCKET_TIMEOUT_QUANTUM), so mg_stop alone takes up to
  // 2 s. Connecting to the listener wakes that poll; keep poking until mg_stop
  // returns, since a poke that lands before the flag is set is just served.
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  std::thread poker([&] {
    std::unique_lock lock(mu);
    while (!stopped) {
      PokeListener(impl_->target);
      cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return stopped; });
    }
  });
  // mg_stop joins civetweb's threads, so no callback can touch impl_ after it.
  mg_stop(impl_->ctx);
  {
    std::lock_guard lock(mu);
    stopped = true;
  }
  cv.notify_all();
  poker.join();
}

int HttpServer::port() const { return impl_->port; }

std::unique_ptr<HttpServer> HttpServer::Start(const std::string& listen_address,
                                              HttpHandlers handlers, std::string* error) {
  InitCivetwebOnce();
  auto impl = std::make_unique<Impl>();
  std::string why;
  if (!ParseListenAddress(listen_address, &impl->target, &why)) {
    *error = "invalid listen address \"" + listen_address + "\": " + why;
    return nullptr;
  }
  impl->handlers = std::move(handlers);

  mg_callbacks callbacks{};
  callbacks.begin_request = &Impl::BeginRequest;
  callbacks.log_message = &Impl::LogMessage;
  callbacks.http_error = &Impl::HttpError;
  // document_root stays unset: civetweb must never serve files.
  const char* options[] = {"listening_ports",
                           impl->target.civetweb_spec.c_str(),
                           "num_threads",
                           kNumThreads,
                           "request_timeout_ms",
                           kRequestTimeoutMs,
                           "enable_keep_alive",
                           "no",
                           nullptr};
  char error_text[256] = "";
  unsigned error_code = 0;
  mg_error_data error_data{&error_code, error_text, sizeof(error_text)};
  mg_init_data init{&callbacks, impl.get(), options};
  impl->ctx = mg_start2(&init, &error_data);
  {
    std::lock_guard lock(impl->startup_mu);
    impl->starting = false;
  }
  if (impl->ctx == nullptr) {
    const char* fallback = error_text[0] != '\0' ? error_text : "civetweb failed to start";
    *error = "listen on " + listen_address + ": " + BindReason(impl->startup_messages, fallback);
    return nullptr;
  }
  // Right after binding, civetweb records the kernel-chosen port for port 0.
  mg_server_port bound[4] = {};
  int n = mg_get_server_ports(impl->ctx, 4, bound);
  if (n < 1 || bound[0].port <= 0) {
    mg_stop(impl->ctx);
    *error = "listen on " + listen_address + ": cannot determine the bound port";
    return nullptr;
  }
  for (const std::string& m : impl->startup_messages) spdlog::warn("http server: {}", m);
  impl->port = bound[0].port;
  SetPort(&impl->target, impl->port);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace metrics_adapter
