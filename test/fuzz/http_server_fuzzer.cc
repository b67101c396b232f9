// A libFuzzer target for the HTTP endpoint (adapter/web/http_server.h):
// civetweb's request parsing and our dispatch under garbage. One HttpServer
// runs for the whole process on 127.0.0.1, port 0, with every endpoint on:
// /metrics (a fixed exposition, gzip-coded when Accept-Encoding asks),
// /readyz (ready every other call), /-/reload (failing every other call)
// and /-/explain (source "app" known; its input read through). Each input is
// the raw bytes of one connection: sent, the sending side shut, and the
// response read back until the server closes.
// The oracle: the server answers within its request timeout (10 s; a
// connection that outlives kMaxWait is a hang and aborts), the answer is
// bounded, and it is nothing (civetweb may drop a request it cannot parse) or
// one whole answer in HttpServer's form (see IsWholeAnswer), whoever wrote
// it. The handlers check what they are given.
// Built like parser_fuzzer.cc (see test/fuzz/CMakeLists.txt).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "adapter/cli/logging.h"
#include "adapter/web/http_server.h"

namespace {

using Clock = std::chrono::steady_clock;

// Longer than the server's request timeout: a slow answer, not a hang.
constexpr auto kMaxWait = std::chrono::seconds(20);
// More than any answer here can be (the exposition, the echo of an explain input).
constexpr std::size_t kMaxResponse = std::size_t{4} << 20;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "http_server_fuzzer: %s\n", what);
    std::abort();
  }
}

std::string Exposition() {
  std::string text =
      "# HELP http_server_requests_total Requests.\n# TYPE http_server_requests_total counter\n";
  for (int status = 100; status < 600; status += 7) {
    text += "http_server_requests_total{http_response_status_code=\"" + std::to_string(status) +
            "\"} " + std::to_string(status * 13) + "\n";
  }
  return text;
}

metrics_adapter::HttpHandlers Handlers() {
  static std::atomic<unsigned> calls{0};
  metrics_adapter::HttpHandlers handlers;
  handlers.metrics = [](std::string_view accept, metrics_adapter::MetricsBody& body) {
    // civetweb bounds a request's head, and so every header in it.
    Check(accept.size() <= (std::size_t{64} << 10), "metrics: Accept header over 64 KiB");
    body.SetContentType("text/plain; version=0.0.4; charset=utf-8");
    body.Write(Exposition(), true);
  };
  handlers.ready = [] { return calls++ % 2 == 0; };
  handlers.reload = [] { return calls++ % 2 == 0 ? std::string() : std::string("bad rules"); };
  handlers.explain = [](const std::string& source,
                        std::string_view input) -> std::optional<std::string> {
    Check(!source.empty() && source.size() < 256, "explain: source name out of bounds");
    Check(input.size() <= (std::size_t{1} << 20), "explain: input over 1 MiB");
    std::size_t newlines = 0;
    for (char c : input) newlines += c == '\n';
    if (source != "app") return std::nullopt;
    return std::to_string(input.size()) + " bytes, " + std::to_string(newlines) + " lines\n";
  };
  return handlers;
}

int ServerPort() {
  static const std::unique_ptr<metrics_adapter::HttpServer> server = [] {
    std::string error;
    // Civetweb's and the server's complaints about bad requests are expected.
    Check(metrics_adapter::SetUpLogging("error", "logfmt", &error), "logging");
    auto started = metrics_adapter::HttpServer::Start("127.0.0.1:0", Handlers(), &error);
    Check(started != nullptr, "cannot start the server");
    return started;
  }();
  return server->port();
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  Check(fd >= 0, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0, "connect");
  return fd;
}

// Waits for `events` on `fd` until `deadline`; false when it passed.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int ready = poll(&p, 1, static_cast<int>(left));
    if (ready > 0) return true;
    Check(ready == 0 || errno == EINTR, "poll");
  }
}

// One connection: sends `request`, shuts the sending side, returns what came
// back before the server closed. The server may close (and reset) before it
// has read everything; what it answered by then still counts.
std::string Exchange(int port, std::string_view request) {
  const int fd = Connect(port);
  const Clock::time_point deadline = Clock::now() + kMaxWait;
  while (!request.empty()) {
    Check(WaitFor(fd, POLLOUT, deadline), "hang: the server reads no more of the request");
    const ssize_t n = send(fd, request.data(), request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) break;  // closed by the server (EPIPE, ECONNRESET): read its answer
    request.remove_prefix(static_cast<std::size_t>(n));
  }
  shutdown(fd, SHUT_WR);
  std::string response;
  char buffer[16384];
  for (;;) {
    Check(WaitFor(fd, POLLIN, deadline), "hang: no answer and no close");
    const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;  // closed, or reset after an early answer
    response.append(buffer, static_cast<std::size_t>(n));
    Check(response.size() <= kMaxResponse, "answer out of bounds");
  }
  close(fd);
  return response;
}

// Whether `response` is one whole answer as HttpServer sends them, civetweb's
// errors included: "HTTP/1.1 NNN Reason\r\n", header lines, a blank line,
// and a body of Content-Length bytes (none after HEAD). Request bytes never
// reach the status line (civetweb 1.15's own errors put the request's version
// field there, CR and all; HttpServer answers those itself).
bool IsWholeAnswer(std::string_view response) {
  const std::size_t line_end = response.find("\r\n");
  const std::size_t head_end = response.find("\r\n\r\n");
  if (line_end == std::string_view::npos || head_end == std::string_view::npos) return false;
  const std::string_view status = response.substr(0, line_end);
  if (!status.starts_with("HTTP/1.1 ") || status.size() < 13 || status[12] != ' ') return false;
  for (char c : status.substr(9, 3)) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : status.substr(13)) {
    if (c < ' ' || c == '\x7f') return false;
  }
  constexpr std::string_view kLength = "\r\nContent-Length: ";
  const std::size_t length_at = response.substr(0, head_end + 2).find(kLength);
  if (length_at == std::string_view::npos) return false;
  const std::size_t length =
      std::strtoull(response.data() + length_at + kLength.size(), nullptr, 10);
  const std::size_t body = response.size() - head_end - 4;
  return body == length || body == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string response =
      Exchange(ServerPort(), std::string_view(reinterpret_cast<const char*>(data), size));
  if (!response.empty() && !IsWholeAnswer(response)) {
    std::fprintf(stderr, "answer: %.200s\n", response.c_str());
    Check(false, "not an answer as HttpServer sends them");
  }
  return 0;
}
