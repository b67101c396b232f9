#include "adapter/web/http_server.h"

#include "adapter/base/build_info.h"
#include "adapter/base/host_port.h"
#include "adapter/base/log_limiter.h"
#include "adapter/base/strings.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adapter/web/body_queue.h"
#include "adapter/web/gzip.h"
#include "adapter/web/read_watchdog.h"
#include "adapter/web/render_pool.h"
#include "adapter/web/socket_lookup.h"
#include "adapter/web/thread_stack.h"
#include "adapter/web/tls_libraries.h"

namespace metrics_adapter {
namespace {

// Connections accepted beyond this many and not yet taken by a worker wait
// in the kernel; Linux caps it at net.core.somaxconn (4096 by default).
constexpr const char* kListenBacklog = "4096";
constexpr int kMaxConnectionsLimit = 10000;

// Explain is a debug aid whose work and report grow with its input (a report
// is many times the size of its input): both are capped so one request can
// neither hold a worker for long nor send an unbounded answer.
constexpr std::size_t kMaxExplainInput = std::size_t{64} * 1024;
constexpr std::size_t kMaxExplainReport = std::size_t{1024} * 1024;

// zlib's fastest level for /metrics: it compresses the repetitive text
// format about as well as the default (names and labels repeat on every
// line) in a third of the time, and a scrape waits for it.
constexpr int kMetricsGzipLevel = 1;
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

// When the worker serving this thread's current connection took it: the
// read deadline counts from here, as civetweb's bound on the head does.
// Set by InitConnection, on the same worker thread as BeginRequest.
thread_local std::chrono::steady_clock::time_point connection_start;

// Marks a connection's user data (see ConnectionClose): civetweb refused
// its request head with an error of its own.
char bad_request_mark;

struct Response {
  int status = 200;
  // The endpoint, as HttpObserver::request_done names it.
  std::string_view handler = "other";
  std::string content_type{kTextPlain};
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // /metrics: writes the body (and its content type) while it is sent, in
  // place of `body`; see SendRendered.
  std::function<void(MetricsBody&)> render;
  bool gzip = false;           // with render: compress the body as it comes
  std::shared_ptr<void> slot;  // with render: released when it is done
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

std::string HtmlEscaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The landing page: version, a link to every endpoint that exists, and the
// loaded sources.
std::string LandingPage(const HttpServerOptions& options, const HttpHandlers& handlers,
                        const std::vector<HttpSourceInfo>& sources) {
  std::string page = R"(<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>metrics-adapter</title></head>
<body>
<h1>metrics-adapter</h1>
<p>Turns application logs into Prometheus metrics. Version )";
  page += HtmlEscaped(GetBuildInfo().version);
  page += " (revision " + HtmlEscaped(GetBuildInfo().revision) + ").</p>\n<ul>\n";
  const std::string metrics = HtmlEscaped(options.telemetry_path);
  page += "<li><a href=\"" + metrics + "\">Metrics</a> (" + metrics + ")</li>\n";
  page += "<li><a href=\"/-/healthy\">Health</a> (/-/healthy, /healthz)</li>\n";
  page += "<li><a href=\"/-/ready\">Readiness</a> (/-/ready, /readyz)</li>\n";
  if (handlers.reload) page += "<li>Reload: POST /-/reload</li>\n";
  if (handlers.explain) page += "<li>Explain: POST /-/explain?source=NAME, input as body</li>\n";
  page += "</ul>\n<h2>Sources</h2>\n";
  if (sources.empty()) {
    page += "<p>None.</p>\n";
  } else {
    page += "<table>\n<tr><th>Name</th><th>Type</th></tr>\n";
    for (const HttpSourceInfo& source : sources) {
      page += "<tr><td>" + HtmlEscaped(source.name) + "</td><td>" + HtmlEscaped(source.type) +
              "</td></tr>\n";
    }
    page += "</table>\n";
  }
  page += "</body>\n</html>\n";
  return page;
}

// Whether the request announces a body: civetweb reads none otherwise.
bool HasBody(const mg_request_info* info) {
  if (info->content_length > 0) return true;
  for (int i = 0; i < info->num_headers; ++i) {
    if (strcasecmp(info->http_headers[i].name, "Transfer-Encoding") == 0) return true;
  }
  return false;
}

// Reads and drops what is left of the request's body, in a fixed buffer
// (memory stays flat for any size), until its end or until the read
// watchdog cuts it. civetweb would do the same after the callback, but
// without the deadline.
void DrainBody(mg_connection* conn) {
  char buffer[8192];
  while (mg_read(conn, buffer, sizeof buffer) > 0) {
  }
}

// Said once per process: without /proc/self/fd (a sandbox that hides it) a
// body's socket cannot be found, so bodies are read without the deadline,
// each wait for more of it bounded by the read timeout alone.
void WarnNoDeadline() {
  static std::once_flag once;
  std::call_once(once, [] {
    spdlog::warn(
        "http server: cannot find request sockets in /proc/self/fd: request bodies are "
        "read without a total deadline");
  });
}

// Has the kernel hold back connections that have sent nothing yet, for about
// `timeout` (rounded up to seconds), instead of handing them to civetweb:
// there each would take a worker until the read timeout. A client sending
// its request at once, as every HTTP client does, is not delayed. The
// pending connections count against the listen backlog; beyond it the
// kernel's SYN cookies accept them without the wait.
void DeferAccept(int port, std::chrono::milliseconds timeout) {
  const int fd = FindListeningSocket(port);
  const int seconds = static_cast<int>((timeout.count() + 999) / 1000);
  if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds) != 0) {
    spdlog::warn("http server: cannot defer accepting idle connections on port {}: {}", port,
                 fd < 0 ? std::string("listening socket not found") : ErrnoText(errno));
  }
}

// Why `options` cannot be served, or "".
std::string CheckOptions(const HttpServerOptions& options) {
  const std::string& path = options.telemetry_path;
  if (path.empty() || path[0] != '/' || path.find_first_of("?#") != std::string::npos) {
    return "telemetry path \"" + path + "\" must start with / and hold no ? or #";
  }
  for (const char* taken :
       {"/", "/healthz", "/readyz", "/-/healthy", "/-/ready", "/-/reload", "/-/explain"}) {
    if (path == taken) return "telemetry path " + path + " is already an endpoint";
  }
  if (options.max_connections < 1 || options.max_connections > kMaxConnectionsLimit) {
    return "max connections " + std::to_string(options.max_connections) + " is not in 1.." +
           std::to_string(kMaxConnectionsLimit);
  }
  if (options.read_timeout.count() < 1) return "read timeout must be at least 1ms";
  if (options.max_requests < 0) return "max requests must be 0 (no limit) or more";
  return "";
}

// All field lines of the list header `name` (Accept, Accept-Encoding) joined
// with ", ": a request may legally split the list over several lines, and
// mg_get_header returns only the first.
std::string HeaderList(const mg_request_info* info, const char* name) {
  std::string joined;
  for (int i = 0; i < info->num_headers; ++i) {
    if (strcasecmp(info->http_headers[i].name, name) != 0) continue;
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

// A response's head: the status line, Date, Content-Type, `framing` (a
// "Content-Length: N\r\n" or "Transfer-Encoding: chunked\r\n" line, or
// nothing when the body ends at the close), the extra headers. Formatted
// here rather than with mg_response_header_*: civetweb 1.15 builds its Date
// header with gmtime(), whose shared static buffer races between worker
// threads.
std::string Head(mg_connection* conn, const Response& r, std::string_view framing) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    mg_get_response_code_text(conn, r.status) + "\r\n";
  out += "Date: " + HttpDate(std::time(nullptr)) + "\r\n";
  out += "Content-Type: " + r.content_type + "\r\n";
  out += framing;
  for (const auto& [name, value] : r.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out += "Connection: close\r\n\r\n";
  return out;
}

// Writes a whole response: the head and `body`, with its Content-Length.
// Connections are never kept alive (enable_keep_alive=no), so civetweb closes
// the connection after the callback returns. HEAD gets GET's headers,
// including its Content-Length, but no body. The head and the body go in two
// writes, the body never copied (a large exposition is megabytes); the
// sockets have TCP_NODELAY, so the short head does not wait for an ACK
// before the body follows. Returns false once a write failed (client gone).
bool SendWhole(mg_connection* conn, const Response& r, std::string_view body, bool head) {
  const std::string out = Head(conn, r, "Content-Length: " + std::to_string(body.size()) + "\r\n");
  if (mg_write(conn, out.data(), out.size()) <= 0) return false;
  if (head || body.empty()) return true;
  return mg_write(conn, body.data(), body.size()) > 0;
}

// Writes a response whose body is in r.body. Never throws: it runs inside
// civetweb's C callback.
void Send(mg_connection* conn, const Response& r, bool head) noexcept try {
  SendWhole(conn, r, r.body, head);
} catch (const std::exception& e) {
  spdlog::error("http server: cannot send response: {}", e.what());
}

// Writes a body that comes in pieces after its head: as HTTP/1.1 chunks,
// or as it is (HTTP/1.0: the close ends it). Each Write is a chunk of its
// own, in two mg_writes (the size line with the previous chunk's CRLF, then
// the data, never copied).
class PieceWriter {
 public:
  PieceWriter(mg_connection* conn, bool chunked) : conn_(conn), chunked_(chunked) {}

  // False once a write failed (client gone).
  bool Write(std::string_view piece) {
    if (piece.empty()) return true;  // an empty chunk would end the body
    if (chunked_) {
      char size_line[32];
      const int n = std::snprintf(size_line, sizeof size_line, "%s%zx\r\n", started_ ? "\r\n" : "",
                                  piece.size());
      started_ = true;
      if (mg_write(conn_, size_line, static_cast<std::size_t>(n)) <= 0) return false;
    }
    return mg_write(conn_, piece.data(), piece.size()) > 0;
  }
  // Ends a chunked body (the last chunk's CRLF, the zero chunk).
  bool End() {
    if (!chunked_) return true;
    const std::string_view end = started_ ? "\r\n0\r\n\r\n" : "0\r\n\r\n";
    return mg_write(conn_, end.data(), end.size()) > 0;
  }

 private:
  mg_connection* conn_;
  bool chunked_;
  bool started_ = false;
};

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
      *why =
          "IPv6 addresses cannot be served: the civetweb library was built without IPv6 "
          "(Debian 12's civetweb 1.15 is); listen on an IPv4 address such as 0.0.0.0:PORT";
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
  HttpServerOptions options;
  const WebSecurity* security = nullptr;  // null: plain HTTP, no auth
  mg_context* ctx = nullptr;
  int port = 0;
  ListenTarget target;

  // Requests that may call handlers; the destructor lets them finish before
  // mg_stop, because civetweb drops any response written after mg_stop began.
  std::mutex drain_mu;
  std::condition_variable drained;
  int in_flight = 0;
  bool draining = false;

  // Cuts request bodies still arriving at the read deadline, and all of
  // them at shutdown.
  ReadWatchdog watchdog;
  // Renders running now, for options.max_requests.
  std::atomic<int> rendering{0};
  // Where they run. Declared after `handlers`: destroyed (its threads
  // joined) before them, after mg_stop has let every request finish.
  RenderPool render_pool;

  // civetweb reports why startup failed only through log_message; collect
  // those lines while mg_start2 runs so Start can return them as *error.
  std::mutex startup_mu;
  bool starting = true;
  std::vector<std::string> startup_messages;

  static int LogMessage(const mg_connection* conn, const char* message);
  static int InitConnection(const mg_connection* conn, void** conn_data);
  static int HttpError(mg_connection* conn, int status, const char* message);
  static void ConnectionClose(const mg_connection* conn);
  static int BeginRequest(mg_connection* conn);
  static int ExternalSslContext(void** ssl_ctx, void* user_data);

  // Answers a request past BeginRequest's checks: its body read under the
  // deadline, the response sent, the rest of the body drained. Returns the
  // status sent.
  int Serve(mg_connection* conn, const mg_request_info* info, std::string_view method,
            std::string_view uri);
  // Starts civetweb on target with options (mg_start2), threads with small
  // stacks. Null on failure, with civetweb's reason in error_text.
  mg_context* StartCivetweb(char* error_text, std::size_t error_size);
  // The endpoint `uri` names, as HttpObserver::request_done names it.
  std::string_view HandlerOf(std::string_view uri) const;
  Response Dispatch(std::string_view method, std::string_view uri, mg_connection* conn,
                    const mg_request_info* info);
  Response Metrics(const mg_request_info* info);
  // Sends a /metrics response while r.render writes its body on the render
  // pool (see SendQueued); releases r.slot when the render is over. Returns
  // the status sent. Never throws.
  int SendRendered(mg_connection* conn, const mg_request_info* info, Response& r, bool head,
                   std::string_view method, std::string_view uri) noexcept;
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
  // A failed TLS handshake is the client's doing (no certificate, one of
  // another CA, plain HTTP to the TLS port): at most one line per 10 s, so
  // that a scanner cannot flood the log; none for the plain connections the
  // destructor makes to wake the listener.
  if (std::strncmp(message, "sslize error", 12) == 0) {
    if (impl != nullptr) {
      std::lock_guard lock(impl->drain_mu);
      if (impl->draining) return 1;
    }
    static LogLimiter limiter(std::chrono::seconds(10));
    if (std::optional<std::uint64_t> suppressed = limiter.Allow("tls handshake")) {
      spdlog::warn("http server: TLS handshake failed: {} ({} similar suppressed)", message,
                   *suppressed);
    }
    return 1;
  }
  spdlog::error("http server: {}", message);
  return 1;  // non-zero: civetweb must not write its own log
}

int HttpServer::Impl::InitConnection(const mg_connection* /*conn*/, void** /*conn_data*/) {
  connection_start = std::chrono::steady_clock::now();
  return 0;
}

// civetweb answers a request head it cannot read (malformed, too large, or
// incomplete at request_timeout_ms) with an error, through here. The answer
// is sent here, like every other response: civetweb 1.15's own copies the
// request's version field, bytes of the client's choosing up to the line
// end, CR included, into its status line ("HTTP/HTTP/1.1 Set-Cookie:
// a\r\n\r 400 ..."). Returns 0: handled, civetweb sends nothing more.
int HttpServer::Impl::HttpError(mg_connection* conn, int status, const char* /*message*/) {
  mg_set_user_connection_data(conn, &bad_request_mark);
  const mg_request_info* info = mg_get_request_info(conn);
  const bool head = info != nullptr && info->request_method != nullptr &&
                    std::string_view(info->request_method) == "HEAD";
  Send(conn, Text(status, mg_get_response_code_text(conn, status)), head);
  return 0;
}

// Every connection ends here. Its user data says how far it got: unset
// (civetweb clears it per connection) if no request head ever arrived.
void HttpServer::Impl::ConnectionClose(const mg_connection* conn) {
  // The request's deeper frames have returned: the worker need not keep
  // their pages until it is next handed a connection (thread_stack.h).
  ReleaseStackBelow();
  auto* impl = static_cast<Impl*>(mg_get_user_data(mg_get_context(conn)));
  if (impl == nullptr || !impl->options.observer.connection_dropped) return;
  const void* mark = mg_get_user_connection_data(conn);
  if (mark == nullptr) {
    impl->options.observer.connection_dropped("no_request");
  } else if (mark == &bad_request_mark) {
    impl->options.observer.connection_dropped("bad_request");
  }
}

// Every request comes through begin_request, which (unlike
// mg_set_request_handler) has no window after mg_start2 where a request could
// reach civetweb's default handling, and gives one place for 404/405.
int HttpServer::Impl::BeginRequest(mg_connection* conn) {
  auto* impl = static_cast<Impl*>(mg_get_user_data(mg_get_context(conn)));
  const HttpObserver& observer = impl->options.observer;
  const mg_request_info* info = mg_get_request_info(conn);
  std::string_view method = info->request_method ? info->request_method : "";
  std::string_view uri = info->local_uri ? info->local_uri : "";
  // A request head arrived (see ConnectionClose).
  mg_set_user_connection_data(conn, impl);
  // civetweb would read an unread body to its end after this returns, for as
  // long as it keeps trickling in; DrainBody below does it under the deadline.
  mg_disable_connection_keep_alive(conn);
  bool draining;
  {
    std::lock_guard lock(impl->drain_mu);
    draining = impl->draining;
    if (!draining) ++impl->in_flight;
  }
  if (draining) {
    Response response = Text(503, "shutting down");
    response.handler = impl->HandlerOf(uri);
    Send(conn, response, method == "HEAD");
    if (observer.request_done) observer.request_done(response.handler, response.status);
    return 503;
  }
  if (observer.in_flight) observer.in_flight(+1);
  // Decrements in_flight however this function is left.
  struct InFlight {
    Impl* impl;
    ~InFlight() {
      if (impl->options.observer.in_flight) impl->options.observer.in_flight(-1);
      std::lock_guard lock(impl->drain_mu);
      if (--impl->in_flight == 0 && impl->draining) impl->drained.notify_all();
    }
  } in_flight{impl};
  return impl->Serve(conn, info, method, uri);
}

int HttpServer::Impl::Serve(mg_connection* conn, const mg_request_info* info,
                            std::string_view method, std::string_view uri) {
  const HttpObserver& observer = options.observer;
  // Only a request with a body can be held up reading it; finding the socket
  // costs a look at every open descriptor, so the others skip it.
  const bool has_body = HasBody(info);
  ReadWatchdog::Ticket ticket;
  if (has_body) {
    const int fd = FindConnectedSocket(info->server_port, info->remote_addr, info->remote_port);
    if (fd < 0) WarnNoDeadline();
    ticket = watchdog.Arm(fd, connection_start + options.read_timeout);
  }

  Response response;
  try {
    WebSecurity::Admission admission;
    if (security) admission = security->Admit(mg_get_header(conn, "Authorization"));
    if (admission.allowed) {
      response = Dispatch(method, uri, conn, info);
    } else {
      response = Text(401, "unauthorized");
      response.headers.emplace_back("WWW-Authenticate", "Basic");
    }
    for (auto& header : admission.headers) response.headers.push_back(std::move(header));
  } catch (const std::exception& e) {
    spdlog::error("http server: {} {}: {}", method, uri, e.what());
    response = Text(500, "internal server error");
  } catch (...) {
    spdlog::error("http server: {} {}: unknown exception", method, uri);
    response = Text(500, "internal server error");
  }
  response.handler = HandlerOf(uri);
  const bool head = method == "HEAD";
  int status = response.status;
  if (response.render) {
    status = SendRendered(conn, info, response, head, method, uri);
  } else {
    Send(conn, response, head);
  }
  if (has_body) DrainBody(conn);
  // Before returning: civetweb closes the socket after this callback.
  if (watchdog.Disarm(ticket) && observer.connection_dropped) {
    observer.connection_dropped("body_timeout");
  }
  if (observer.request_done) observer.request_done(response.handler, status);
  return status;
}

std::string_view HttpServer::Impl::HandlerOf(std::string_view uri) const {
  if (uri == options.telemetry_path) return options.telemetry_path;
  for (std::string_view known : {"/", "/healthz", "/readyz", "/-/healthy", "/-/ready"}) {
    if (uri == known) return known;
  }
  if (uri == "/-/reload" && handlers.reload) return "/-/reload";
  if (uri == "/-/explain" && handlers.explain) return "/-/explain";
  return "other";
}

// The web config's SSL_CTX, owned by WebSecurity: returning 1 tells civetweb
// to use it as it is and not to free it.
int HttpServer::Impl::ExternalSslContext(void** ssl_ctx, void* user_data) {
  *ssl_ctx = static_cast<Impl*>(user_data)->security->ssl_ctx();
  return 1;
}

Response HttpServer::Impl::Dispatch(std::string_view method, std::string_view uri,
                                    mg_connection* conn, const mg_request_info* info) {
  if (uri == options.telemetry_path) {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    return Metrics(info);
  }
  // Liveness: no lock, no handler; nothing a render holds can delay it.
  if (uri == "/healthz" || uri == "/-/healthy") {
    if (!IsGetOrHead(method)) return MethodNotAllowed("GET, HEAD");
    return Text(200, "ok");
  }
  if (uri == "/readyz" || uri == "/-/ready") {
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
    std::vector<HttpSourceInfo> sources;
    if (handlers.sources) sources = handlers.sources();
    Response r = Text(200, LandingPage(options, handlers, sources));
    r.content_type = "text/html; charset=utf-8";
    return r;
  }
  return Text(404, "not found");
}

Response HttpServer::Impl::Explain(mg_connection* conn, const mg_request_info* info) {
  char source[256] = "";
  const char* query = info->query_string ? info->query_string : "";
  if (mg_get_var(query, std::strlen(query), "source", source, sizeof source) <= 0) {
    return Text(400, "POST /-/explain?source=NAME with the input as the body");
  }
  const std::string too_large =
      "input over " + std::to_string(kMaxExplainInput / 1024) + " KiB: explain a few lines";
  if (info->content_length > static_cast<long long>(kMaxExplainInput)) {
    return Text(413, too_large);
  }
  std::string input;
  char buffer[8192];
  int n = 0;
  while ((n = mg_read(conn, buffer, sizeof buffer)) > 0) {
    input.append(buffer, static_cast<std::size_t>(n));
    if (input.size() > kMaxExplainInput) return Text(413, too_large);
  }
  // A body cut short: the read deadline passed (the watchdog shut the socket's
  // reading side) or the server is stopping; either way no report.
  const bool incomplete = n < 0 || (info->content_length >= 0 &&
                                    input.size() < static_cast<std::size_t>(info->content_length));
  if (incomplete) {
    {
      std::lock_guard lock(drain_mu);
      if (draining) return Text(503, "shutting down");
    }
    return Text(408, "the input did not arrive within the read timeout");
  }
  std::optional<std::string> report = handlers.explain(source, input);
  if (!report) return Text(404, std::string("no source named ") + source);
  if (report->size() > kMaxExplainReport) {
    // Cut at a line's end, and say so where a reader will look.
    std::size_t cut = report->rfind('\n', kMaxExplainReport);
    report->resize(cut == std::string::npos ? kMaxExplainReport : cut + 1);
    *report += "... report truncated at " + std::to_string(kMaxExplainReport / 1024) +
               " KiB: explain less input to see the rest\n";
  }
  return Text(200, std::move(*report));
}

Response HttpServer::Impl::Metrics(const mg_request_info* info) {
  if (!handlers.metrics) return Text(503, "no metrics handler");
  // At most max_requests renders at once, so that scrapes (slow ones: a
  // pulled source's upstream may take its whole timeout) never take every
  // worker from the probes.
  const int limit = options.max_requests;
  if (limit > 0 && rendering.fetch_add(1) >= limit) {
    rendering.fetch_sub(1);
    if (options.observer.scrape_rejected) options.observer.scrape_rejected();
    return Text(503,
                "too many concurrent scrapes (--web.max-requests=" + std::to_string(limit) + ")");
  }
  Response r;
  if (limit > 0) {
    r.slot = std::shared_ptr<std::atomic<int>>(
        &rendering, [](std::atomic<int>* count) { count->fetch_sub(1); });
  }
  r.render = [this, accept = HeaderList(info, "Accept")](MetricsBody& body) {
    handlers.metrics(accept, body);
  };
  r.gzip = AcceptsGzip(HeaderList(info, "Accept-Encoding"));
  // The body depends on Accept (the format) and Accept-Encoding either way,
  // so caches must key on both.
  r.headers.emplace_back("Vary", "Accept, Accept-Encoding");
  if (r.gzip) r.headers.emplace_back("Content-Encoding", "gzip");
  return r;
}

namespace {

// Sends the body `queue` receives, as it comes, on the worker while the
// render goes on. A body whose first chunk is its last goes out whole, with
// its Content-Length (small expositions, errors before any chunk); any other
// after a head without a length, each chunk as it arrives, gzip-compressed
// here if asked (a streaming deflate: compressing overlaps the render too).
// Once nothing more will be sent (HEAD after the head, a failed write) the
// queue discards the render's chunks. `r`: the head's status and headers
// (its content type replaced by the render's). Returns whether the head
// went out. Never throws.
bool SendQueued(mg_connection* conn, Response& r, bool gzip_body, BodyQueue& queue, bool head,
                bool chunked) noexcept {
  bool head_sent = false;
  try {
    BodyQueue::Item item = queue.Pop();
    if (item.kind == BodyQueue::kFailed) return false;
    if (item.kind == BodyQueue::kEnd) item.last = true;  // nothing written: an empty body
    if (std::string type = queue.content_type(); !type.empty()) r.content_type = std::move(type);
    head_sent = true;
    if (item.last) {
      if (gzip_body) item.chunk = GzipCompress(item.chunk, kMetricsGzipLevel);
      SendWhole(conn, r, item.chunk, head);
      return true;
    }
    const std::string out = Head(conn, r, chunked ? "Transfer-Encoding: chunked\r\n" : "");
    if (mg_write(conn, out.data(), out.size()) <= 0 || head) {
      queue.Discard();
      return true;
    }
    std::optional<GzipStream> gzip;
    if (gzip_body) gzip.emplace(kMetricsGzipLevel);
    PieceWriter writer(conn, chunked);
    std::string compressed;
    for (;;) {
      bool written;
      if (gzip) {
        compressed.clear();
        gzip->Write(item.chunk, item.last, compressed);
        written = writer.Write(compressed);
      } else {
        written = writer.Write(item.chunk);
      }
      if (!written) {
        queue.Discard();  // the client is gone
        return true;
      }
      if (item.last) break;
      item = queue.Pop();
      // The render threw: the body stays unfinished, and the close says so.
      if (item.kind == BodyQueue::kFailed) return true;
      if (item.kind == BodyQueue::kEnd) item.last = true;  // its last chunk unmarked
    }
    writer.End();
  } catch (const std::exception& e) {
    spdlog::error("http server: cannot send /metrics: {}", e.what());
    queue.Discard();
  }
  return head_sent;
}

}  // namespace

int HttpServer::Impl::SendRendered(mg_connection* conn, const mg_request_info* info, Response& r,
                                   bool head, std::string_view method,
                                   std::string_view uri) noexcept {
  BodyQueue queue;
  bool head_sent = false;
  // The head's part of `r`, copied before the render starts: the render
  // thread releases r.slot while the head is written.
  Response meta;
  meta.status = r.status;
  meta.content_type = r.content_type;
  meta.headers = r.headers;
  const bool gzip = r.gzip;
  // No keep-alive, so an HTTP/1.0 client's body can end at the close.
  const bool chunked =
      info->http_version != nullptr && std::string_view(info->http_version) == "1.1";
  try {
    // The render on the pool (see render_pool.h), the sending here: a
    // render only queues, so a slow client never holds the store's lock.
    render_pool.Run(
        [&] {
          try {
            r.render(queue);
          } catch (...) {
            r.slot.reset();
            queue.Close(true);
            throw;
          }
          r.slot.reset();
          queue.Close(false);
        },
        [&] { head_sent = SendQueued(conn, meta, gzip, queue, head, chunked); });
    return r.status;
  } catch (const std::exception& e) {
    spdlog::error("http server: {} {}: {}", method, uri, e.what());
  } catch (...) {
    spdlog::error("http server: {} {}: unknown exception", method, uri);
  }
  if (head_sent) return r.status;  // the body was cut short: the close tells the client
  Response error = Text(500, "internal server error");
  Send(conn, error, head);
  return error.status;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (!impl_ || !impl_->ctx) return;
  {
    // Requests already past the check in BeginRequest complete and are sent;
    // later ones get 503 without touching the handlers.
    std::unique_lock lock(impl_->drain_mu);
    impl_->draining = true;
  }
  // A body still trickling in would hold its request (and so this wait)
  // until its deadline: cut them all.
  impl_->watchdog.CutAll();
  {
    std::unique_lock lock(impl_->drain_mu);
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

mg_context* HttpServer::Impl::StartCivetweb(char* error_text, std::size_t error_size) {
  mg_callbacks callbacks{};
  callbacks.begin_request = &Impl::BeginRequest;
  callbacks.log_message = &Impl::LogMessage;
  callbacks.init_connection = &Impl::InitConnection;
  callbacks.http_error = &Impl::HttpError;
  callbacks.connection_close = &Impl::ConnectionClose;
  if (security != nullptr && security->tls())
    callbacks.external_ssl_ctx = &Impl::ExternalSslContext;
  const std::string threads = std::to_string(options.max_connections);
  const std::string timeout_ms = std::to_string(options.read_timeout.count());
  // document_root stays unset: civetweb must never serve files. Keep-alive
  // stays off: an idle kept-alive connection would pin a worker thread.
  const char* civetweb_options[] = {
      "listening_ports", target.civetweb_spec.c_str(), "num_threads", threads.c_str(),
      // accepted connections waiting for a worker
      "connection_queue", threads.c_str(), "listen_backlog", kListenBacklog,
      // the request head, from the worker taking it
      "request_timeout_ms", timeout_ms.c_str(), "enable_keep_alive", "no",
      // answers are written as a head and a body (Send)
      "tcp_nodelay", "1", nullptr};
  unsigned error_code = 0;
  mg_error_data error_data{&error_code, error_text, error_size};
  mg_init_data init{&callbacks, this, civetweb_options};
  // Every thread mg_start2 starts gets a 100 KiB stack, whatever the
  // process's default: Debian builds civetweb with USE_STACK_SIZE=102400.
  // Small enough for the handlers (they recurse little) and never backed
  // by a transparent huge page; an idle worker touches its top 2 or 3
  // pages (README, "Memory").
  return mg_start2(&init, &error_data);
}

std::unique_ptr<HttpServer> HttpServer::Start(const std::string& listen_address,
                                              HttpHandlers handlers, HttpServerOptions options,
                                              std::string* error) {
  InitCivetwebOnce();
  if (std::string why = CheckOptions(options); !why.empty()) {
    *error = why;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  std::string why;
  if (!ParseListenAddress(listen_address, &impl->target, &why)) {
    *error = "invalid listen address \"" + listen_address + "\": " + why;
    return nullptr;
  }
  impl->handlers = std::move(handlers);
  impl->options = std::move(options);

  impl->security = impl->options.security;
  if (impl->security != nullptr && impl->security->tls()) {
    if (!LoadCivetwebOpenSsl(&why)) {
      *error = "TLS on " + listen_address + ": " + why;
      return nullptr;
    }
    impl->target.civetweb_spec += 's';  // civetweb: an "s" suffix makes the port TLS
  }

  char error_text[256] = "";
  impl->ctx = impl->StartCivetweb(error_text, sizeof error_text);
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
  DeferAccept(impl->port, impl->options.read_timeout);
  SetPort(&impl->target, impl->port);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace metrics_adapter
