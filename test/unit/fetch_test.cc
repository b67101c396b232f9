// Tests for HttpClient and TcpExchange against a tiny scripted TCP server on
// 127.0.0.1:0 (a thread below). Each test scripts what the server writes,
// including the misbehaviours a scrape must survive: never answering,
// answering too much, closing early, keeping the connection open.
#include "adapter/sources/http_fetch.h"
#include "adapter/sources/tcp_fetch.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace metrics_adapter {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Every wait in the server is bounded by this, so a broken client fails the
// test instead of hanging it.
constexpr auto kServerPatience = std::chrono::seconds(10);

// One accepted connection, as the scripted server sees it.
class ServerConnection {
 public:
  ServerConnection(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {}

  // Writes all of `data`; errors (the client gave up) are ignored.
  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One segment per byte (TCP_NODELAY), so the client's parser meets every
  // split point it can.
  void SendBytewise(std::string_view data) {
    int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    for (char c : data) Send(std::string_view(&c, 1));
  }

  // Keeps the connection open, reading and discarding, until the client
  // closes it or the server stops.
  void HoldOpen() {
    const auto give_up = Clock::now() + kServerPatience;
    while (Clock::now() < give_up) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (poll(fds, 2, 100) < 0) return;
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        char buffer[4096];
        if (recv(fd_, buffer, sizeof(buffer), 0) <= 0) return;
      }
    }
  }

 private:
  int fd_;
  int stop_fd_;
};

// Serves connections one after another on one thread: reads the request up
// to `request_end` (nothing if empty), records it, then lets `script` write
// the response. The connection is closed when the script returns.
class ScriptedServer {
 public:
  using Script = std::function<void(ServerConnection&)>;

  // `ipv6`: listen on [::1] instead of 127.0.0.1; check ok() then.
  ScriptedServer(std::string request_end, Script script, bool ipv6 = false)
      : request_end_(std::move(request_end)), script_(std::move(script)), ipv6_(ipv6) {
    listen_fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_storage storage{};
    socklen_t len = 0;
    if (ipv6) {
      auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
      addr->sin6_family = AF_INET6;
      addr->sin6_addr = in6addr_loopback;
      len = sizeof(sockaddr_in6);
    } else {
      auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
      addr->sin_family = AF_INET;
      addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(sockaddr_in);
    }
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&storage), len) != 0) {
      REQUIRE(ipv6);  // 127.0.0.1:0 must work; [::1] may be missing
      return;
    }
    REQUIRE(listen(listen_fd_, 16) == 0);
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&storage), &len) == 0);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    REQUIRE(stop_fd_ >= 0);
    thread_ = std::thread([this] { Run(); });
  }

  ~ScriptedServer() {
    if (thread_.joinable()) {
      std::uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof(one));
      thread_.join();
    }
    close(listen_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  bool ok() const { return port_ != 0; }
  int port() const { return port_; }
  std::string address() const { return (ipv6_ ? "[::1]:" : "127.0.0.1:") + std::to_string(port_); }
  std::string url(const std::string& target) const { return "http://" + address() + target; }
  std::string request() const {
    std::lock_guard lock(mu_);
    return request_;
  }
  int connections() const { return connections_.load(); }

 private:
  void Run() {
    while (true) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) return;
      if (fds[1].revents != 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connections_;
      timeval tv{10, 0};  // a send to a client that stopped reading gives up
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      std::string request = ReadRequest(fd);
      {
        std::lock_guard lock(mu_);
        request_ = request;
      }
      ServerConnection connection(fd, stop_fd_);
      script_(connection);
      close(fd);
    }
  }

  std::string ReadRequest(int fd) {
    std::string request;
    const auto give_up = Clock::now() + kServerPatience;
    while (!request_end_.empty() && request.find(request_end_) == std::string::npos &&
           Clock::now() < give_up) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (poll(fds, 2, 100) < 0 || fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      char buffer[4096];
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    return request;
  }

  std::string request_end_;
  Script script_;
  bool ipv6_ = false;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::string request_;
  std::thread thread_;
};

// An HTTP server that answers every request with `response`, then closes.
ScriptedServer::Script Answer(std::string response) {
  return [response](ServerConnection& c) { c.Send(response); };
}

// Answers with `response` and keeps the connection open afterwards, as a
// keep-alive server or redis does: the client must know where it ends.
ScriptedServer::Script AnswerAndHold(std::string response) {
  return [response](ServerConnection& c) {
    c.Send(response);
    c.HoldOpen();
  };
}

HttpFetchOptions Http(const ScriptedServer& server, const std::string& target = "/status") {
  HttpFetchOptions options;
  options.url = server.url(target);
  options.timeout = milliseconds(5000);
  return options;
}

TcpFetchOptions Tcp(const ScriptedServer& server, TcpFraming framing, std::string send) {
  TcpFetchOptions options;
  options.address = server.address();
  options.send = std::move(send);
  options.framing = framing;
  options.timeout = milliseconds(5000);
  return options;
}

// One GET with a client of its own, as a source's first scrape.
FetchResult HttpGet(const HttpFetchOptions& options) { return HttpClient(options).Get(); }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST_CASE("HttpGet: 200 with Content-Length returns without waiting for the close") {
  ScriptedServer server("\r\n\r\n", AnswerAndHold("HTTP/1.1 200 OK\r\n"
                                                  "Content-Type: text/plain\r\n"
                                                  "Content-Length: 12\r\n"
                                                  "\r\n"
                                                  "Active: 1\nxx"));
  auto start = Clock::now();
  FetchResult r = HttpGet(Http(server));
  CHECK(SecondsSince(start) < 2.0);  // the 5 s timeout was not what ended it
  CHECK(r.ok);
  CHECK(r.http_status == 200);
  CHECK(r.body == "Active: 1\nxx");
  CHECK_FALSE(r.truncated);
  CHECK(r.error.empty());
  CHECK(r.reason.empty());
}

TEST_CASE("HttpGet: the request carries path, Host, User-Agent, basic auth and extra headers") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\n\r\nok"));
  HttpFetchOptions options = Http(server, "/server-status?auto");
  options.basic_auth_user = "user";
  options.basic_auth_password = "pass";
  options.headers = {{"X-Token", "abc def"}, {"Accept", "text/plain"}};
  FetchResult r = HttpGet(options);
  REQUIRE(r.ok);
  const std::string request = server.request();
  CHECK(request.rfind("GET /server-status?auto HTTP/1.0\r\n", 0) == 0);
  CHECK(request.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
  CHECK(request.find("\r\nUser-Agent: metrics-adapter\r\n") != std::string::npos);
  CHECK(request.find("\r\nAccept-Encoding: identity\r\n") != std::string::npos);
  // base64("user:pass")
  CHECK(request.find("\r\nAuthorization: Basic dXNlcjpwYXNz\r\n") != std::string::npos);
  CHECK(request.find("\r\nX-Token: abc def\r\n") != std::string::npos);
  CHECK(request.find("\r\nAccept: text/plain\r\n") != std::string::npos);
  CHECK(request.ends_with("\r\n\r\n"));

  SUBCASE("no path means /, a fragment is not sent, and a Host header replaces ours") {
    HttpFetchOptions vhost;
    vhost.url = "http://127.0.0.1:" + std::to_string(server.port()) + "#frag";
    vhost.headers = {{"host", "app.example"}};
    REQUIRE(HttpGet(vhost).ok);
    const std::string second = server.request();
    CHECK(second.rfind("GET / HTTP/1.0\r\n", 0) == 0);
    CHECK(second.find("\r\nHost: app.example\r\n") != std::string::npos);
    CHECK(second.find("127.0.0.1") == std::string::npos);
    CHECK(second.find("Authorization") == std::string::npos);
  }
}

TEST_CASE("HttpGet: base64 of every padding length") {
  // user:password lengths 3, 4 and 5 give no, two and one padding characters.
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\n\r\n"));
  const std::pair<std::string, std::string> cases[] = {
      {"a:b", "YTpi"}, {"ab:c", "YWI6Yw=="}, {"ab:cd", "YWI6Y2Q="}};
  for (const auto& [credentials, encoded] : cases) {
    HttpFetchOptions options = Http(server);
    options.basic_auth_user = credentials.substr(0, credentials.find(':'));
    options.basic_auth_password = credentials.substr(credentials.find(':') + 1);
    REQUIRE(HttpGet(options).ok);
    CHECK(server.request().find("Authorization: Basic " + encoded + "\r\n") != std::string::npos);
  }
}

TEST_CASE("HttpGet: a body without Content-Length ends with the connection") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\nServer: legacy\n\nline 1\nline 2\n"));
  FetchResult r = HttpGet(Http(server));
  CHECK(r.ok);
  CHECK(r.http_status == 200);
  CHECK(r.body == "line 1\nline 2\n");
}

TEST_CASE("HttpGet: a chunked body is decoded, split anywhere, connection kept open") {
  ScriptedServer server("\r\n\r\n", [](ServerConnection& c) {
    c.SendBytewise(
        "HTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n"
        "\r\n"
        "5\r\nhello\r\n"
        "7;name=value\r\n, world\r\n"
        "A\r\n0123456789\r\n"
        "0\r\n"
        "X-Trailer: ignored\r\n"
        "\r\n");
    c.HoldOpen();
  });
  auto start = Clock::now();
  FetchResult r = HttpGet(Http(server));
  CHECK(SecondsSince(start) < 2.0);
  CHECK(r.ok);
  CHECK(r.body == "hello, world0123456789");
}

TEST_CASE("HttpGet: a malformed chunk is a protocol error") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "zz\r\nhello\r\n0\r\n\r\n"));
  FetchResult r = HttpGet(Http(server));
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "protocol");
  CHECK(r.error.find("in chunked-encoding") != std::string::npos);
}

TEST_CASE("HttpGet: 503 is not ok but keeps the body, and the error quotes it") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.1 503 Service Unavailable\r\n"
                                           "Content-Length: 20\r\n\r\n"
                                           "down for\nmaintenance"));
  FetchResult r = HttpGet(Http(server));
  CHECK_FALSE(r.ok);
  CHECK(r.http_status == 503);
  CHECK(r.reason == "http_status");
  CHECK(r.body == "down for\nmaintenance");
  CHECK(r.error == "HTTP 503: down for maintenance");
  CHECK_FALSE(r.truncated);
}

TEST_CASE("HttpGet: the error quotes at most 200 bytes of an error body") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 500 Oops\r\n\r\n" + std::string(1000, 'e')));
  FetchResult r = HttpGet(Http(server));
  CHECK(r.reason == "http_status");
  CHECK(r.body.size() == 1000);
  CHECK(r.error == "HTTP 500: " + std::string(200, 'e'));
}

TEST_CASE("HttpGet: a redirect is not followed") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.1 302 Found\r\nLocation: /x\r\n"
                                           "Content-Length: 0\r\n\r\n"));
  FetchResult r = HttpGet(Http(server));
  CHECK_FALSE(r.ok);
  CHECK(r.http_status == 302);
  CHECK(r.error == "HTTP 302");
  CHECK(server.connections() == 1);
}

TEST_CASE("HttpGet: an interim 100 Continue is skipped") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.1 100 Continue\r\n\r\n"
                                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  FetchResult r = HttpGet(Http(server));
  CHECK(r.ok);
  CHECK(r.http_status == 200);
  CHECK(r.body == "ok");
}

TEST_CASE("HttpGet: a server that accepts and never answers times out on time") {
  ScriptedServer server("\r\n\r\n", [](ServerConnection& c) { c.HoldOpen(); });
  HttpFetchOptions options = Http(server);
  options.timeout = milliseconds(200);
  auto start = Clock::now();
  FetchResult r = HttpGet(options);
  double elapsed = SecondsSince(start);
  CHECK(elapsed >= 0.19);
  CHECK(elapsed < 2.0);  // generous for a loaded 2-core CI machine
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "timeout");
  CHECK(r.error.rfind("timeout after 200ms: read from 127.0.0.1:", 0) == 0);
}

TEST_CASE("HttpGet: a body that stops arriving times out and keeps what came") {
  ScriptedServer server("\r\n\r\n", [](ServerConnection& c) {
    c.Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    c.HoldOpen();
  });
  HttpFetchOptions options = Http(server);
  options.timeout = milliseconds(200);
  auto start = Clock::now();
  FetchResult r = HttpGet(options);
  CHECK(SecondsSince(start) < 2.0);
  CHECK(r.reason == "timeout");
  CHECK(r.http_status == 200);
  CHECK(r.body == "partial");
}

TEST_CASE("HttpGet: an error status whose body stalls is reported as the status") {
  ScriptedServer server("\r\n\r\n", [](ServerConnection& c) {
    c.Send("HTTP/1.1 503 Busy\r\nContent-Length: 100\r\n\r\ntoo busy");
    c.HoldOpen();
  });
  HttpFetchOptions options = Http(server);
  options.timeout = milliseconds(200);
  FetchResult r = HttpGet(options);
  CHECK(r.reason == "http_status");
  CHECK(r.error == "HTTP 503: too busy");
}

TEST_CASE("HttpGet: a body over max_body_bytes is cut and refused") {
  const std::string body = std::string(3000, 'a') + std::string(3000, 'b');
  std::string response;
  // A body announced too large is refused before any of it is read.
  std::string kept;
  SUBCASE("with Content-Length") {
    response = "HTTP/1.1 200 OK\r\nContent-Length: 6000\r\n\r\n" + body;
  }
  SUBCASE("until close") {
    response = "HTTP/1.0 200 OK\r\n\r\n" + body;
    kept = body.substr(0, 4000);
  }
  SUBCASE("chunked") {
    response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1770\r\n" + body + "\r\n0\r\n\r\n";
    kept = body.substr(0, 4000);
  }
  ScriptedServer server("\r\n\r\n", AnswerAndHold(response));
  HttpFetchOptions options = Http(server);
  options.max_body_bytes = 4000;
  auto start = Clock::now();
  FetchResult r = HttpGet(options);
  CHECK(SecondsSince(start) < 2.0);  // it stopped reading: no wait for the rest or a close
  CHECK_FALSE(r.ok);
  CHECK(r.truncated);
  CHECK(r.reason == "too_large");
  CHECK(r.error == "body over 4000 bytes");
  CHECK(r.http_status == 200);
  CHECK(r.body == kept);
}

TEST_CASE("HttpGet: an error status announcing a body over max_body_bytes") {
  ScriptedServer server(
      "\r\n\r\n",
      AnswerAndHold("HTTP/1.1 503 Busy\r\nContent-Length: 6000\r\n\r\n" + std::string(6000, 'e')));
  HttpFetchOptions options = Http(server);
  options.max_body_bytes = 4000;
  FetchResult r = HttpGet(options);
  CHECK_FALSE(r.ok);
  CHECK(r.truncated);
  CHECK(r.reason == "http_status");
  CHECK(r.error == "HTTP 503");
}

TEST_CASE("FetchResult::AppendBody keeps at most the limit and grows to it in one step") {
  FetchResult r;
  const std::size_t limit = std::size_t{1} << 20;
  r.body.reserve(16 * 1024);
  CHECK(r.AppendBody(std::string(10 * 1024, 'a'), limit));
  CHECK(r.body.capacity() < limit);  // a small body keeps its small buffer
  CHECK(r.AppendBody(std::string(10 * 1024, 'b'), limit));
  CHECK(r.body.capacity() >= limit);  // past the first buffer: room for the limit at once
  const std::size_t capacity = r.body.capacity();
  CHECK(r.AppendBody(std::string(limit - r.body.size(), 'c'), limit));  // exactly the limit
  CHECK(r.body.size() == limit);
  CHECK(r.body.capacity() == capacity);  // no copy on the way
  CHECK_FALSE(r.AppendBody("d", limit));
  CHECK(r.body.size() == limit);
  CHECK(r.body.back() == 'c');

  FetchResult small;
  CHECK_FALSE(small.AppendBody("0123456789", 4));
  CHECK(small.body == "0123");
  CHECK(small.AppendBody("", 4));
}

TEST_CASE("HttpGet: a body of exactly max_body_bytes is fine") {
  const std::string body(4000, 'x');
  std::string response;
  SUBCASE("with Content-Length") {
    response = "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n" + body;
  }
  SUBCASE("until close") { response = "HTTP/1.0 200 OK\r\n\r\n" + body; }
  SUBCASE("chunked") {
    response =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfa0\r\n" + body + "\r\n0\r\n\r\n";
  }
  ScriptedServer server("\r\n\r\n", Answer(response));
  HttpFetchOptions options = Http(server);
  options.max_body_bytes = 4000;
  FetchResult r = HttpGet(options);
  CHECK(r.ok);
  CHECK_FALSE(r.truncated);
  CHECK(r.body == body);
}

TEST_CASE("HttpGet: a large body arrives whole") {
  std::string body;
  for (int i = 0; body.size() < 3'000'000; ++i) body += "metric_" + std::to_string(i) + " 1\n";
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\nContent-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body));
  FetchResult r = HttpGet(Http(server));
  CHECK(r.ok);
  CHECK(r.body == body);
}

TEST_CASE("HttpGet: connection refused") {
  // A bound socket that does not listen refuses connections, and holding it
  // keeps any other process from taking the port meanwhile.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string address = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  HttpFetchOptions http;
  http.url = "http://" + address + "/";
  FetchResult r = HttpGet(http);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "connect");
  CHECK(r.error == "connect " + address + ": Connection refused");

  TcpFetchOptions tcp;
  tcp.address = address;
  r = TcpExchange(tcp);
  CHECK(r.reason == "connect");
  CHECK(r.error == "connect " + address + ": Connection refused");
  close(fd);
}

TEST_CASE("HttpGet: a timeout of 0 is over at once, not unlimited") {
  ScriptedServer server("\r\n\r\n", [](ServerConnection& c) { c.HoldOpen(); });
  HttpFetchOptions options = Http(server);
  options.timeout = milliseconds(0);
  auto start = Clock::now();
  FetchResult r = HttpGet(options);
  CHECK(SecondsSince(start) < 2.0);
  CHECK(r.reason == "timeout");
}

TEST_CASE("HttpGet: a connect that gets no answer times out on time") {
  // A listener whose accept queue is full drops further SYNs, so connect()
  // neither succeeds nor fails: the client can only give up.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(listener, 0) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  // Fill the queue: connect until one attempt stays pending (bounded).
  std::vector<int> fillers;
  bool queue_full = false;
  for (int i = 0; i < 16 && !queue_full; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    fillers.push_back(fd);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    pollfd p{fd, POLLOUT, 0};
    queue_full = poll(&p, 1, 100) == 0;
  }
  if (!queue_full) {
    MESSAGE("could not fill the accept queue on this kernel; connect timeout not tested");
  } else {
    HttpFetchOptions options;
    options.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
    options.timeout = milliseconds(200);
    auto start = Clock::now();
    FetchResult r = HttpGet(options);
    CHECK(SecondsSince(start) < 2.0);
    CHECK(r.reason == "timeout");
    CHECK(r.error.rfind("timeout after 200ms: connect 127.0.0.1:", 0) == 0);
  }
  for (int fd : fillers) close(fd);
  close(listener);
}

TEST_CASE("HttpGet: a host name is resolved") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\n\r\nvia name"));
  HttpFetchOptions options;
  // localhost may resolve to ::1 first, where nothing listens: the next
  // address is tried within the same deadline.
  options.url = "http://localhost:" + std::to_string(server.port()) + "/";
  options.timeout = milliseconds(5000);
  FetchResult r = HttpGet(options);
  CHECK(r.ok);
  CHECK(r.body == "via name");
  CHECK(server.request().find("\r\nHost: localhost:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
}

TEST_CASE("HttpGet and TcpExchange: IPv6 literals") {
  ScriptedServer server("\r\n", Answer("HTTP/1.0 200 OK\r\n\r\nover v6"), /*ipv6=*/true);
  if (!server.ok()) {
    MESSAGE("no IPv6 loopback here; not tested");
    return;
  }
  FetchResult r = HttpGet(Http(server, "/v6"));
  CHECK(r.ok);
  CHECK(r.body == "over v6");
  CHECK(server.request().find("\r\nHost: [::1]:" + std::to_string(server.port()) + "\r\n") !=
        std::string::npos);
  r = TcpExchange(Tcp(server, TcpFraming::kUntilClose, "x\r\n"));
  CHECK(r.ok);
  CHECK(r.body == "HTTP/1.0 200 OK\r\n\r\nover v6");
}

TEST_CASE("HttpGet: an unresolvable name fails within the deadline") {
  // Whether this fails fast (no DNS) or slowly (DNS that does not answer)
  // depends on the machine; either way it must end by the deadline.
  HttpFetchOptions options;
  options.url = "http://no-such-host.invalid/";
  options.timeout = milliseconds(300);
  auto start = Clock::now();
  FetchResult r = HttpGet(options);
  CHECK(SecondsSince(start) < 2.0);
  CHECK_FALSE(r.ok);
  const bool expected = r.reason == "resolve" || r.reason == "timeout";
  CHECK_MESSAGE(expected, r.reason, ": ", r.error);
}

TEST_CASE("HttpGet: protocol errors") {
  struct Case {
    const char* response;
    const char* error_part;
  };
  // The messages are curl's, after the server's address.
  const Case cases[] = {
      {"", "Empty reply from server"},
      {"HTTP/1.1 200 OK\r\nContent-Le", "connection closed inside the response headers"},
      {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "Received HTTP/0.9 when not allowed"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed with 5 bytes remaining"},
      {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Invalid Content-Length"},
      {"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n\x1f\x8b", "unsupported Content-Encoding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Enc"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
       "closed with outstanding read data remaining"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.response);
    ScriptedServer server("\r\n\r\n", Answer(c.response));
    FetchResult r = HttpGet(Http(server));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "protocol");
    CHECK_MESSAGE(r.error.find(c.error_part) != std::string::npos, r.error);
  }
}

TEST_CASE("HttpGet: oversized response headers are refused") {
  std::string response = "HTTP/1.1 200 OK\r\n";
  while (response.size() < 100'000) response += "X-Padding: " + std::string(100, 'p') + "\r\n";
  ScriptedServer server("\r\n\r\n", AnswerAndHold(response));
  FetchResult r = HttpGet(Http(server));
  CHECK(r.reason == "protocol");
  CHECK(r.error == "response headers over 65536 bytes");
}

TEST_CASE("HttpGet: bad options fail without a connection") {
  ScriptedServer server("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\n\r\n"));
  HttpFetchOptions options = Http(server);
  SUBCASE("header injection") { options.headers = {{"X-A", "1\r\nX-Injected: 1"}}; }
  SUBCASE("header name") { options.headers = {{"Bad Name", "1"}}; }
  SUBCASE("scheme") { options.url = "ftp://" + server.address() + "/"; }
  SUBCASE("credentials") { options.url = "http://u:p@" + server.address() + "/"; }
  FetchResult r = HttpGet(options);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "protocol");
  CHECK(server.connections() == 0);
}

TEST_CASE("HttpClient: every Get is a fresh connection, the client is reused") {
  ScriptedServer server("\r\n\r\n",
                        AnswerAndHold("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  HttpClient client(Http(server));
  for (int i = 1; i <= 3; ++i) {
    FetchResult r = client.Get();
    CHECK(r.ok);
    CHECK(r.body == "ok");
    CHECK(server.connections() == i);
  }
}

TEST_CASE("HttpClient: proxy_url sends the request through the proxy") {
  ScriptedServer proxy("\r\n\r\n", Answer("HTTP/1.0 200 OK\r\n\r\nvia proxy"));
  HttpFetchOptions options;
  // The proxy resolves the name: it need not resolve here.
  options.url = "http://status.invalid:8080/status?x=1";
  options.proxy_url = "http://" + proxy.address();
  options.timeout = milliseconds(5000);
  FetchResult r = HttpGet(options);
  CHECK_MESSAGE(r.ok, r.error);
  CHECK(r.body == "via proxy");
  CHECK(proxy.request().rfind("GET http://status.invalid:8080/status?x=1 HTTP/1.0\r\n", 0) == 0);
}

TEST_CASE("HttpClient: a proxy that refuses the tunnel is a connect failure") {
  ScriptedServer proxy("\r\n\r\n", Answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
  HttpFetchOptions options;
  options.url = "https://status.invalid:8443/status";
  options.proxy_url = "http://" + proxy.address();
  options.timeout = milliseconds(5000);
  FetchResult r = HttpGet(options);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == "connect");
  CHECK(r.error ==
        "status.invalid:8443 (through proxy_url): the proxy answered CONNECT with HTTP 403");
  CHECK(proxy.request().rfind("CONNECT status.invalid:8443 HTTP/1.1\r\n", 0) == 0);
}

TEST_CASE("HttpClient: https to a server that does not speak TLS") {
  SUBCASE("a plain HTTP answer is a tls failure") {
    ScriptedServer server("", Answer("HTTP/1.0 400 Bad Request\r\n\r\n"));
    HttpFetchOptions options = Http(server);
    options.url = "https://" + server.address() + "/status";
    FetchResult r = HttpGet(options);
    CHECK_FALSE(r.ok);
    CHECK_MESSAGE(r.reason == "tls", r.error);
  }
  SUBCASE("no answer times out in the handshake") {
    ScriptedServer server("", [](ServerConnection& c) { c.HoldOpen(); });
    HttpFetchOptions options = Http(server);
    options.url = "https://" + server.address() + "/status";
    options.timeout = milliseconds(200);
    auto start = Clock::now();
    FetchResult r = HttpGet(options);
    CHECK(SecondsSince(start) < 2.0);
    CHECK(r.reason == "timeout");
    CHECK(r.error == "timeout after 200ms: connect and TLS handshake with " + server.address());
  }
}

TEST_CASE("CheckHttpUrl") {
  CHECK(CheckHttpUrl("http://127.0.0.1:8080/server-status?auto") == "");
  CHECK(CheckHttpUrl("http://localhost/") == "");
  CHECK(CheckHttpUrl("HTTP://app-1.default.svc.cluster.local:80") == "");
  CHECK(CheckHttpUrl("http://[::1]:9000/stats") == "");
  CHECK(CheckHttpUrl("http://[::1]/stats") == "");
  CHECK(CheckHttpUrl("http://host:/x") == "");  // empty port: the default
  CHECK(CheckHttpUrl("http://host/a%20b?x=1&y=2#top") == "");
  CHECK(CheckHttpUrl("https://host/") == "");
  CHECK(CheckHttpUrl("https://host:8443/status") == "");

  CHECK(CheckHttpUrl("ftp://host/") == "unsupported scheme \"ftp\" (expected http:// or https://)");
  CHECK(CheckHttpUrl("localhost:8080/status") == "expected SCHEME://HOST[:PORT]/PATH");
  CHECK(CheckHttpUrl("http:///status") == "missing host");
  const std::string bad_port = "Port number was not a decimal number between 0 and 65535";
  CHECK(CheckHttpUrl("http://host:80a/") == bad_port);
  CHECK(CheckHttpUrl("http://host:0/") == "invalid port \"0\"");
  CHECK(CheckHttpUrl("http://host:65536/") == bad_port);
  CHECK(CheckHttpUrl("http://::1:80/") == bad_port);  // IPv6 must be bracketed
  CHECK(CheckHttpUrl("http://[::1/") == "Bad IPv6 address");
  CHECK(CheckHttpUrl("http://[zz]:80/") == "Bad IPv6 address");
  CHECK(CheckHttpUrl("http://user:pw@host/") ==
        "credentials in the URL are not supported (use basic auth)");
  CHECK(CheckHttpUrl("http://ho%20st/") == "Bad hostname");
  const std::string bad_character =
      "invalid character in URL (spaces and non-ASCII must be %-encoded)";
  CHECK(CheckHttpUrl("http://ho st/") == bad_character);
  CHECK(CheckHttpUrl("http://host/a b") == bad_character);
  CHECK(CheckHttpUrl("http://host/caf\xc3\xa9") == bad_character);
}

TEST_CASE("CheckProxyUrl") {
  CHECK(CheckProxyUrl("http://127.0.0.1:3128") == "");
  CHECK(CheckProxyUrl("https://proxy.internal:3129/") == "");
  CHECK(CheckProxyUrl("socks5://127.0.0.1:1080") == "");
  CHECK(CheckProxyUrl("socks5h://proxy:1080") == "");
  CHECK(CheckProxyUrl("http://user:pw@proxy:3128") == "");  // proxy credentials are fine
  CHECK(CheckProxyUrl("ftp://proxy/") ==
        "unsupported scheme \"ftp\" (expected http:// or https:// or socks5:// or socks5h://)");
  CHECK(CheckProxyUrl("proxy:3128") == "expected SCHEME://HOST[:PORT]/PATH");
}

TEST_CASE("CheckHttpHeader") {
  CHECK(CheckHttpHeader("X-Api-Key", "secret value") == "");
  CHECK(CheckHttpHeader("", "v") == "invalid header name \"\"");
  CHECK(CheckHttpHeader("X:Y", "v") == "invalid header name \"X:Y\"");
  CHECK(CheckHttpHeader("X-A", "a\nb") == "header X-A: value must not contain CR, LF or NUL");
}

TEST_CASE("TcpExchange: redis bulk reply, connection kept open as redis does") {
  std::string payload = "# Server\r\nredis_version:7.0.11\r\n";
  ScriptedServer server(
      "\r\n", AnswerAndHold("$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n"));
  auto start = Clock::now();
  FetchResult r = TcpExchange(Tcp(server, TcpFraming::kRedisBulk, "INFO\r\n"));
  CHECK(SecondsSince(start) < 2.0);
  CHECK(r.ok);
  CHECK(r.body == payload);
  CHECK(server.request() == "INFO\r\n");
}

TEST_CASE("TcpExchange: redis replies to AUTH before the bulk reply are skipped") {
  ScriptedServer server("INFO\r\n", [](ServerConnection& c) {
    c.SendBytewise("+OK\r\n$5\r\nhello\r\n");
    c.HoldOpen();
  });
  FetchResult r = TcpExchange(Tcp(server, TcpFraming::kRedisBulk, "AUTH secret\r\nINFO\r\n"));
  CHECK(r.ok);
  CHECK(r.body == "hello");
}

TEST_CASE("TcpExchange: redis errors") {
  struct Case {
    const char* reply;
    const char* error;
  };
  const Case cases[] = {
      {"-NOAUTH Authentication required.\r\n", "redis: NOAUTH Authentication required."},
      {"-ERR unknown command 'INFO'\r\n", "redis: ERR unknown command 'INFO'"},
      {"$-1\r\n", "redis: nil reply"},
      {":42\r\n", "redis: expected a bulk reply, got \":42\""},
      {"$x\r\n", "redis: bad bulk length \"$x\""},
      {"$5\r\nhelloXX", "redis: bulk reply not terminated by CRLF"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reply);
    ScriptedServer server("\r\n", AnswerAndHold(c.reply));
    FetchResult r = TcpExchange(Tcp(server, TcpFraming::kRedisBulk, "INFO\r\n"));
    CHECK_FALSE(r.ok);
    CHECK(r.reason == "protocol");
    CHECK(r.error == c.error);
  }
}

TEST_CASE("TcpExchange: redis bulk reply over max_body_bytes, and exactly at it") {
  const std::string payload(1000, 'r');
  ScriptedServer server("\r\n", AnswerAndHold("$1000\r\n" + payload + "\r\n"));
  TcpFetchOptions options = Tcp(server, TcpFraming::kRedisBulk, "INFO\r\n");
  options.max_body_bytes = 999;
  FetchResult r = TcpExchange(options);
  CHECK_FALSE(r.ok);
  CHECK(r.truncated);
  CHECK(r.reason == "too_large");
  CHECK(r.body == payload.substr(0, 999));

  options.max_body_bytes = 1000;
  r = TcpExchange(options);
  CHECK(r.ok);
  CHECK_FALSE(r.truncated);
  CHECK(r.body == payload);
}

TEST_CASE("TcpExchange: memcached stats end with a terminator, not the connection") {
  const std::string stats = "STAT pid 1\r\nSTAT uptime 52\r\nSTAT curr_items 3\r\n";
  ScriptedServer server("\r\n", [&](ServerConnection& c) {
    c.SendBytewise(stats + "END\r\n");
    c.HoldOpen();
  });
  TcpFetchOptions options = Tcp(server, TcpFraming::kUntilTerminator, "stats\r\n");
  options.terminator = "END\r\n";
  auto start = Clock::now();
  FetchResult r = TcpExchange(options);
  CHECK(SecondsSince(start) < 2.0);
  CHECK(r.ok);
  CHECK(r.body == stats);
  CHECK(server.request() == "stats\r\n");
}

TEST_CASE("TcpExchange: terminator framing failures") {
  SUBCASE("closed before the terminator") {
    ScriptedServer server("\r\n", Answer("STAT pid 1\r\n"));
    TcpFetchOptions options = Tcp(server, TcpFraming::kUntilTerminator, "stats\r\n");
    options.terminator = "END\r\n";
    FetchResult r = TcpExchange(options);
    CHECK(r.reason == "protocol");
    CHECK(r.body == "STAT pid 1\r\n");
  }
  SUBCASE("never arrives") {
    ScriptedServer server("\r\n", AnswerAndHold("STAT pid 1\r\n"));
    TcpFetchOptions options = Tcp(server, TcpFraming::kUntilTerminator, "stats\r\n");
    options.terminator = "END\r\n";
    options.timeout = milliseconds(200);
    auto start = Clock::now();
    FetchResult r = TcpExchange(options);
    CHECK(SecondsSince(start) < 2.0);
    CHECK(r.reason == "timeout");
    CHECK(r.error.find("(12 bytes received)") != std::string::npos);
  }
  SUBCASE("too large") {
    ScriptedServer server("\r\n", AnswerAndHold(std::string(500, 's') + "END\r\n"));
    TcpFetchOptions options = Tcp(server, TcpFraming::kUntilTerminator, "stats\r\n");
    options.terminator = "END\r\n";
    options.max_body_bytes = 499;
    FetchResult r = TcpExchange(options);
    CHECK(r.reason == "too_large");
    CHECK(r.body == std::string(499, 's'));
    options.max_body_bytes = 500;
    r = TcpExchange(options);
    CHECK(r.ok);
    CHECK(r.body == std::string(500, 's'));
  }
}

TEST_CASE("TcpExchange: until close, also for servers that speak first") {
  SUBCASE("request and response") {
    ScriptedServer server("\n", Answer("zk_version\t3.8.1\nzk_avg_latency\t0\n"));
    FetchResult r = TcpExchange(Tcp(server, TcpFraming::kUntilClose, "mntr\n"));
    CHECK(r.ok);
    CHECK(r.body == "zk_version\t3.8.1\nzk_avg_latency\t0\n");
    CHECK(server.request() == "mntr\n");
  }
  SUBCASE("nothing sent") {
    ScriptedServer server("", Answer("banner\n"));
    FetchResult r = TcpExchange(Tcp(server, TcpFraming::kUntilClose, ""));
    CHECK(r.ok);
    CHECK(r.body == "banner\n");
  }
  SUBCASE("too large") {
    ScriptedServer server("", AnswerAndHold(std::string(100, 'z')));
    TcpFetchOptions options = Tcp(server, TcpFraming::kUntilClose, "");
    options.max_body_bytes = 50;
    FetchResult r = TcpExchange(options);
    CHECK(r.reason == "too_large");
    CHECK(r.truncated);
    CHECK(r.body == std::string(50, 'z'));
  }
}

TEST_CASE("TcpExchange: a bad address fails without a connection") {
  TcpFetchOptions options;
  options.address = "127.0.0.1";
  FetchResult r = TcpExchange(options);
  CHECK(r.reason == "protocol");
  CHECK(r.error == "address \"127.0.0.1\": expected HOST:PORT, :PORT or [IPV6]:PORT");
  options.address = ":6379";
  r = TcpExchange(options);
  CHECK(r.reason == "protocol");
  CHECK(r.error == "address \":6379\": missing host");
}

}  // namespace
}  // namespace metrics_adapter
