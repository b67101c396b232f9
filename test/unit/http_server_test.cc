// Tests for HttpServer and the gzip helpers. The server is started on
// 127.0.0.1:0 and spoken to over real sockets by a tiny blocking HTTP/1.1
// client below, so the tests cover civetweb's actual wire behaviour.
#include "adapter/web/http_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "adapter/web/gzip.h"

namespace metrics_adapter {
namespace {

constexpr const char* kPromType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kExposition =
    "# HELP app_lines_total Lines seen.\n"
    "# TYPE app_lines_total counter\n"
    "app_lines_total{file=\"a.log\"} 42\n";

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // with "Transfer-Encoding: chunked", decoded
  bool chunked = false;
  std::string error;  // non-empty if the exchange failed

  bool Has(const std::string& name) const { return headers.count(name) > 0; }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A chunked body's data (RFC 9112 section 7.1), or nullopt if it is
// malformed or lacks its last (zero) chunk.
std::optional<std::string> Dechunk(std::string_view raw) {
  std::string out;
  for (;;) {
    const std::size_t eol = raw.find("\r\n");
    if (eol == std::string_view::npos || eol == 0) return std::nullopt;
    const std::string hex(raw.substr(0, eol));
    if (eol > 8 || !std::all_of(hex.begin(), hex.end(),
                                [](unsigned char c) { return std::isxdigit(c) != 0; })) {
      return std::nullopt;
    }
    const std::size_t size = std::stoul(hex, nullptr, 16);
    raw.remove_prefix(eol + 2);
    if (size == 0) return raw == "\r\n" ? std::optional(out) : std::nullopt;
    if (raw.size() < size + 2 || raw.substr(size, 2) != "\r\n") return std::nullopt;
    out.append(raw.substr(0, size));
    raw.remove_prefix(size + 2);
  }
}

// One request on a fresh connection, read to EOF. Failures are returned in
// `error` rather than asserted so the helper is usable from worker threads.
HttpResponse Fetch(int port, const std::string& method, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& headers = {},
                   const std::string& body = "", const std::string& version = "HTTP/1.1") {
  HttpResponse r;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    r.error = "socket failed";
    return r;
  }
  // A broken server must fail the test, not hang it.
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    r.error = "connect failed";
    return r;
  }
  std::string request = method + " " + path + " " + version + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "Connection: close\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      r.error = "send failed";
      return r;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) {
      close(fd);
      r.error = "recv failed or timed out";
      return r;
    }
    if (n == 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);

  std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) {
    r.error = "malformed response: " + raw.substr(0, 200);
    return r;
  }
  r.status = std::stoi(raw.substr(9, 3));
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    std::size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    std::size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[Lower(line.substr(0, colon))] = value;
    pos = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  if (r.Header("transfer-encoding") == "chunked" && method != "HEAD") {
    r.chunked = true;
    std::optional<std::string> data = Dechunk(r.body);
    if (!data) r.error = "malformed chunked body";
    r.body = data.value_or("");
  }
  return r;
}

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (rc != Z_STREAM_END);
  bool consumed_all = zs.avail_in == 0;
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  REQUIRE(consumed_all);
  return out;
}

// Writes `text` as the whole body, one chunk.
void Reply(MetricsBody& body, std::string text, std::string content_type = kPromType) {
  body.SetContentType(std::move(content_type));
  body.Write(std::move(text), true);
}

HttpHandlers DefaultHandlers() {
  HttpHandlers h;
  h.metrics = [](std::string_view, MetricsBody& body) { Reply(body, kExposition); };
  h.ready = [] { return true; };
  return h;
}

std::unique_ptr<HttpServer> StartOrFail(HttpHandlers handlers) {
  std::string error;
  auto server = HttpServer::Start("127.0.0.1:0", std::move(handlers), &error);
  INFO(error);
  REQUIRE(server != nullptr);
  REQUIRE(server->port() > 0);
  return server;
}

}  // namespace

TEST_CASE("GzipCompress round-trips through zlib's gzip decoder") {
  std::string big;
  for (int i = 0; i < 20000; ++i)
    big += "metric_" + std::to_string(i % 97) + " " + std::to_string(i) + "\n";
  std::string binary;
  for (int i = 0; i < 70000; ++i) binary.push_back(static_cast<char>((i * 2654435761u) >> 13));
  for (const std::string& input :
       {std::string(), std::string("a"), std::string(kExposition), big, binary}) {
    for (int level : {-1, 0, 1, 6, 9}) {
      std::string gz = GzipCompress(input, level);
      REQUIRE(gz.size() >= 18);
      CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);  // gzip magic, not a zlib header
      CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
      CHECK(Gunzip(gz) == input);
    }
  }
  CHECK(GzipCompress(big).size() < big.size() / 4);
  CHECK_THROWS_AS(GzipCompress("x", 10), std::invalid_argument);
  CHECK_THROWS_AS(GzipCompress("x", -2), std::invalid_argument);
}

TEST_CASE("AcceptsGzip parses Accept-Encoding") {
  // Plain tokens, case-insensitive, with whitespace.
  CHECK(AcceptsGzip("gzip"));
  CHECK(AcceptsGzip("GZIP"));
  CHECK(AcceptsGzip("  gzip  "));
  CHECK(AcceptsGzip("x-gzip"));
  CHECK(AcceptsGzip("deflate, gzip"));
  CHECK(AcceptsGzip("gzip, deflate, br"));
  CHECK(AcceptsGzip("br,gzip"));
  CHECK(AcceptsGzip(",, gzip ,"));
  // What Prometheus sends.
  CHECK(AcceptsGzip("gzip"));
  // Not gzip at all, or look-alikes.
  CHECK_FALSE(AcceptsGzip(""));
  CHECK_FALSE(AcceptsGzip("identity"));
  CHECK_FALSE(AcceptsGzip("deflate, br"));
  CHECK_FALSE(AcceptsGzip("gzipped"));
  CHECK_FALSE(AcceptsGzip("xgzip"));
  CHECK_FALSE(AcceptsGzip("gzip-ish;q=1"));
  // q-values.
  CHECK(AcceptsGzip("gzip;q=1"));
  CHECK(AcceptsGzip("gzip;q=1.000"));
  CHECK(AcceptsGzip("gzip;q=0.5"));
  CHECK(AcceptsGzip("gzip;q=0.001"));
  CHECK(AcceptsGzip("gzip ; Q=0.8"));
  CHECK(AcceptsGzip("identity;q=1, gzip;q=0.1"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip; q=0.0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.000"));
  CHECK_FALSE(AcceptsGzip("deflate, gzip;q=0"));
  // Other parameters are ignored; a malformed q makes the entry unacceptable.
  CHECK(AcceptsGzip("gzip;foo=bar"));
  CHECK(AcceptsGzip("gzip;foo=bar;q=0.3"));
  CHECK_FALSE(AcceptsGzip("gzip;q=abc"));
  CHECK_FALSE(AcceptsGzip("gzip;q=1.5"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0.0001"));
  CHECK_FALSE(AcceptsGzip("gzip;q="));
  // "*" counts unless gzip is named explicitly.
  CHECK(AcceptsGzip("*"));
  CHECK(AcceptsGzip("br, *;q=0.1"));
  CHECK_FALSE(AcceptsGzip("*;q=0"));
  CHECK_FALSE(AcceptsGzip("*, gzip;q=0"));
  CHECK_FALSE(AcceptsGzip("gzip;q=0, *"));
  CHECK(AcceptsGzip("*;q=0, gzip"));
}

TEST_CASE("GET /metrics returns the handler's body and content type") {
  auto server = StartOrFail(DefaultHandlers());
  HttpResponse r = Fetch(server->port(), "GET", "/metrics");
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.body == kExposition);
  CHECK(r.Header("content-type") == kPromType);
  CHECK(r.Header("content-length") == std::to_string(std::string(kExposition).size()));
  CHECK_FALSE(r.Has("content-encoding"));
  CHECK(r.Header("vary") == "Accept, Accept-Encoding");
  CHECK(r.Header("date").size() == std::string("Sun, 06 Nov 1994 08:49:37 GMT").size());

  // The query string does not change routing.
  HttpResponse q = Fetch(server->port(), "GET", "/metrics?name[]=x");
  CHECK(q.status == 200);
  CHECK(q.body == kExposition);
}

TEST_CASE("/metrics hands the Accept header, all its lines, to the handler and uses its type") {
  HttpHandlers h = DefaultHandlers();
  h.metrics = [](std::string_view accept, MetricsBody& body) {
    Reply(body, "accept=" + std::string(accept), "x/y");
  };
  auto server = StartOrFail(std::move(h));
  HttpResponse r =
      Fetch(server->port(), "GET", "/metrics",
            {{"Accept", "application/openmetrics-text"}, {"Accept", "text/plain;q=0.5"}});
  CHECK(r.status == 200);
  CHECK(r.body == "accept=application/openmetrics-text, text/plain;q=0.5");
  CHECK(r.Header("content-type") == "x/y");
  CHECK(Fetch(server->port(), "GET", "/metrics").body == "accept=");
}

TEST_CASE("/metrics is gzip-coded only when Accept-Encoding allows it") {
  auto server = StartOrFail(DefaultHandlers());
  SUBCASE("gzip") {
    HttpResponse r = Fetch(server->port(), "GET", "/metrics", {{"Accept-Encoding", "gzip"}});
    REQUIRE(r.error == "");
    CHECK(r.status == 200);
    CHECK(r.Header("content-encoding") == "gzip");
    CHECK(r.Header("vary") == "Accept, Accept-Encoding");
    CHECK(r.Header("content-type") == kPromType);
    CHECK(r.Header("content-length") == std::to_string(r.body.size()));
    CHECK(Gunzip(r.body) == kExposition);
  }
  SUBCASE("gzip in a second Accept-Encoding line") {
    HttpResponse r = Fetch(server->port(), "GET", "/metrics",
                           {{"Accept-Encoding", "br"}, {"Accept-Encoding", "gzip;q=0.5"}});
    CHECK(r.Header("content-encoding") == "gzip");
    CHECK(Gunzip(r.body) == kExposition);
  }
  SUBCASE("gzip;q=0") {
    HttpResponse r =
        Fetch(server->port(), "GET", "/metrics", {{"Accept-Encoding", "deflate, gzip;q=0"}});
    CHECK(r.status == 200);
    CHECK_FALSE(r.Has("content-encoding"));
    CHECK(r.body == kExposition);
  }
  SUBCASE("identity") {
    HttpResponse r = Fetch(server->port(), "GET", "/metrics", {{"Accept-Encoding", "identity"}});
    CHECK_FALSE(r.Has("content-encoding"));
    CHECK(r.body == kExposition);
  }
}

TEST_CASE("HEAD /metrics sends GET's headers and no body") {
  auto server = StartOrFail(DefaultHandlers());
  HttpResponse r = Fetch(server->port(), "HEAD", "/metrics", {{"Accept-Encoding", "gzip"}});
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.body.empty());
  CHECK(r.Header("content-encoding") == "gzip");
  CHECK(r.Header("content-length") == std::to_string(GzipCompress(kExposition).size()));
}

TEST_CASE("a throwing metrics handler gives 500 and the server keeps serving") {
  HttpHandlers h = DefaultHandlers();
  h.metrics = [](std::string_view, MetricsBody&) { throw std::runtime_error("boom"); };
  auto server = StartOrFail(std::move(h));
  CHECK(Fetch(server->port(), "GET", "/metrics").status == 500);
  CHECK(Fetch(server->port(), "GET", "/healthz").status == 200);
}

// An exposition of `lines` sample lines, about 50 bytes each.
std::string LargeExposition(std::size_t lines) {
  std::string text = "# TYPE big_total counter\n";
  for (std::size_t i = 0; i < lines; ++i) {
    text += "big_total{route=\"/api/" + std::to_string(i) + "\"} " + std::to_string(i * 7) + "\n";
  }
  return text;
}

// Writes `text` as a render does: in chunks of `chunk_bytes`, the last one
// marked.
void WriteInChunks(MetricsBody& body, const std::string& text, std::size_t chunk_bytes) {
  body.SetContentType(kPromType);
  std::size_t at = 0;
  for (; text.size() - at > chunk_bytes; at += chunk_bytes) {
    body.Write(text.substr(at, chunk_bytes), false);
  }
  body.Write(text.substr(at), true);
}

TEST_CASE("a large exposition is sent as it renders: chunked to HTTP/1.1, to the close to 1.0") {
  const std::string text = LargeExposition(40000);  // about 1.6 MB
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&text](std::string_view, MetricsBody& body) {
    WriteInChunks(body, text, 64 * 1024);
  };
  auto server = StartOrFail(std::move(h));
  for (const std::string version : {"HTTP/1.1", "HTTP/1.0"}) {
    CAPTURE(version);
    for (const bool gzip : {false, true}) {
      CAPTURE(gzip);
      std::vector<std::pair<std::string, std::string>> headers;
      if (gzip) headers.emplace_back("Accept-Encoding", "gzip");
      HttpResponse r = Fetch(server->port(), "GET", "/metrics", headers, "", version);
      REQUIRE(r.error == "");
      CHECK(r.status == 200);
      CHECK_FALSE(r.Has("content-length"));
      CHECK(r.chunked == (version == "HTTP/1.1"));
      CHECK(r.Header("content-type") == kPromType);
      CHECK(r.Header("vary") == "Accept, Accept-Encoding");
      CHECK(r.Header("content-encoding") == (gzip ? "gzip" : ""));
      CHECK((gzip ? Gunzip(r.body) : r.body) == text);
      if (gzip) CHECK(r.body.size() < text.size() / 4);
    }
  }
  // A body that is one chunk, however large, keeps its Content-Length.
  HttpHandlers one = DefaultHandlers();
  one.metrics = [&text](std::string_view, MetricsBody& body) { Reply(body, text); };
  auto whole = StartOrFail(std::move(one));
  HttpResponse r = Fetch(whole->port(), "GET", "/metrics");
  CHECK_FALSE(r.chunked);
  CHECK(r.Header("content-length") == std::to_string(text.size()));
  CHECK(r.body == text);
}

TEST_CASE("HEAD of a large exposition sends the head alone") {
  const std::string text = LargeExposition(40000);
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&text](std::string_view, MetricsBody& body) {
    WriteInChunks(body, text, 64 * 1024);
  };
  auto server = StartOrFail(std::move(h));
  HttpResponse r = Fetch(server->port(), "HEAD", "/metrics");
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.Header("transfer-encoding") == "chunked");
  CHECK_FALSE(r.Has("content-length"));
  CHECK(r.body.empty());
  CHECK(Fetch(server->port(), "GET", "/metrics").body == text);
}

TEST_CASE("a render that throws after its first chunk went out cuts the body short") {
  HttpHandlers h = DefaultHandlers();
  h.metrics = [](std::string_view, MetricsBody& body) {
    body.SetContentType(kPromType);
    body.Write(LargeExposition(100), false);
    throw std::runtime_error("boom");
  };
  auto server = StartOrFail(std::move(h));
  HttpResponse r = Fetch(server->port(), "GET", "/metrics");
  // The head may or may not have gone out before the render threw: either
  // a 500, or a 200 whose chunked body never ends.
  if (r.status == 200) {
    CHECK(r.error == "malformed chunked body");
  } else {
    CHECK(r.status == 500);
  }
  CHECK(Fetch(server->port(), "GET", "/healthz").status == 200);
}

// A connection that sends `request` and is left open, unread.
struct IdleClient {
  int fd = -1;
  IdleClient(int port, const std::string& request) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    // A small receive buffer, so the server's writes fill it early.
    const int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  ~IdleClient() { close(fd); }
  // Reads up to the end of the response head; false after 10 s.
  bool ReadHead() const {
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string raw;
    char c;
    while (raw.find("\r\n\r\n") == std::string::npos) {
      if (recv(fd, &c, 1, 0) != 1) return false;
      raw += c;
    }
    return true;
  }
};

TEST_CASE("a client that closes after the head neither hangs nor breaks the server") {
  const std::string text = LargeExposition(200000);  // about 8 MB
  std::promise<void> closed;
  std::shared_future<void> closed_future = closed.get_future().share();
  std::atomic<bool> first{true};
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&](std::string_view, MetricsBody& body) {
    if (first.exchange(false)) {
      // Everything after the first chunk is written once the client is gone.
      body.SetContentType(kPromType);
      body.Write(text.substr(0, 1024), false);
      REQUIRE(closed_future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
      for (std::size_t at = 1024; at < text.size(); at += 256 * 1024) {
        body.Write(text.substr(at, 256 * 1024), false);
      }
      body.Write("", true);
      return;
    }
    WriteInChunks(body, text, 256 * 1024);
  };
  auto server = StartOrFail(std::move(h));
  {
    IdleClient client(server->port(), "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
    CHECK(client.ReadHead());
  }
  closed.set_value();
  HttpResponse r = Fetch(server->port(), "GET", "/metrics");
  REQUIRE(r.error == "");
  CHECK(r.body == text);
}

TEST_CASE("a client that does not read holds no render: the store's lock is let go") {
  // The handler holds `store` while it renders, as a store's snapshot
  // holds its lock; the body is larger than the socket buffers can take.
  const std::string text = LargeExposition(600000);  // about 26 MB
  std::mutex store;
  std::atomic<int> renders_done{0};
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&](std::string_view, MetricsBody& body) {
    std::lock_guard lock(store);
    WriteInChunks(body, text, 256 * 1024);
    ++renders_done;
  };
  auto server = StartOrFail(std::move(h));
  IdleClient client(server->port(), "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  // The render finishes while nobody reads what it wrote.
  for (int i = 0; i < 1000 && renders_done.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(renders_done.load() == 1);
  {
    std::unique_lock lock(store, std::try_to_lock);
    CHECK(lock.owns_lock());  // an update to the store goes through
  }
  // A second scrape is served in full meanwhile.
  HttpResponse r = Fetch(server->port(), "GET", "/metrics", {{"Accept-Encoding", "gzip"}});
  REQUIRE(r.error == "");
  CHECK(Gunzip(r.body) == text);
}

TEST_CASE("/healthz is always ok") {
  HttpHandlers h = DefaultHandlers();
  h.ready = [] { return false; };  // liveness does not depend on readiness
  auto server = StartOrFail(std::move(h));
  HttpResponse r = Fetch(server->port(), "GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  CHECK(r.Header("content-length") == "2");
  CHECK(Fetch(server->port(), "POST", "/healthz").status == 405);
}

TEST_CASE("/readyz follows the ready handler") {
  std::atomic<bool> ready{false};
  HttpHandlers h = DefaultHandlers();
  h.ready = [&] { return ready.load(); };
  auto server = StartOrFail(std::move(h));

  HttpResponse r = Fetch(server->port(), "GET", "/readyz");
  CHECK(r.status == 503);
  CHECK(r.body == "not ready");
  ready = true;
  r = Fetch(server->port(), "GET", "/readyz");
  CHECK(r.status == 200);
  CHECK(r.body == "ready");
}

TEST_CASE("/-/reload exists only when a reload handler is set") {
  SUBCASE("unset") {
    auto server = StartOrFail(DefaultHandlers());
    CHECK(Fetch(server->port(), "POST", "/-/reload").status == 404);
    CHECK(Fetch(server->port(), "GET", "/-/reload").status == 404);
  }
  SUBCASE("set") {
    std::atomic<int> calls{0};
    std::string result;  // written before each request, read on a civetweb thread after
    HttpHandlers h = DefaultHandlers();
    h.reload = [&] {
      ++calls;
      return result;
    };
    auto server = StartOrFail(std::move(h));

    HttpResponse r = Fetch(server->port(), "POST", "/-/reload");
    CHECK(r.status == 200);
    CHECK(calls == 1);

    r = Fetch(server->port(), "GET", "/-/reload");
    CHECK(r.status == 405);
    CHECK(r.Header("allow") == "POST");
    CHECK(calls == 1);

    result = "rules.yaml:3: unknown field \"regx\"";
    r = Fetch(server->port(), "POST", "/-/reload", {}, "{}");
    CHECK(r.status == 500);
    CHECK(r.body == result);
    CHECK(calls == 2);
  }
}

TEST_CASE("the landing page links to /metrics; unknown paths are 404") {
  auto server = StartOrFail(DefaultHandlers());
  HttpResponse r = Fetch(server->port(), "GET", "/");
  CHECK(r.status == 200);
  CHECK(r.Header("content-type").rfind("text/html", 0) == 0);
  CHECK(r.body.find("href=\"/metrics\"") != std::string::npos);

  CHECK(Fetch(server->port(), "GET", "/nope").status == 404);
  CHECK(Fetch(server->port(), "GET", "/metrics/").status == 404);
  CHECK(Fetch(server->port(), "GET", "/index.html").status == 404);
  CHECK(Fetch(server->port(), "GET", "/../etc/passwd").status != 200);
  HttpResponse m = Fetch(server->port(), "DELETE", "/metrics");
  CHECK(m.status == 405);
  CHECK(m.Header("allow") == "GET, HEAD");
}

TEST_CASE("requests civetweb refuses get its status in our form, none of their bytes") {
  auto server = StartOrFail(DefaultHandlers());
  // civetweb 1.15 alone answers these with the request's version field,
  // spaces and CR included, in its status line.
  HttpResponse bad = Fetch(server->port(), "GET", "/metrics HTTP/1.1 Set-Cookie: a=b");
  REQUIRE(bad.error.empty());
  CHECK(bad.status == 400);
  CHECK_FALSE(bad.Has("set-cookie"));
  CHECK(bad.Header("content-length") == std::to_string(bad.body.size()));
  CHECK(bad.Header("connection") == "close");
  HttpResponse version = Fetch(server->port(), "GET", "/metrics HTTP/.1");
  REQUIRE(version.error.empty());
  CHECK(version.status >= 400);
  CHECK(version.body.find("HTTP/.1") == std::string::npos);
}

TEST_CASE("a port already in use gives a clear error") {
  auto first = StartOrFail(DefaultHandlers());
  std::string address = "127.0.0.1:" + std::to_string(first->port());
  std::string error;
  auto second = HttpServer::Start(address, DefaultHandlers(), &error);
  CHECK(second == nullptr);
  CHECK(error == "listen on " + address + ": Address already in use");
  // The first server is unaffected.
  CHECK(Fetch(first->port(), "GET", "/healthz").status == 200);
}

TEST_CASE("invalid listen addresses are rejected before civetweb sees them") {
  for (const char* address :
       {"", "9090", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80s",
        "127.0.0.1:1,127.0.0.1:2", "::1:9090", "[::1]9090", "host name:9090"}) {
    CAPTURE(address);
    std::string error;
    CHECK(HttpServer::Start(address, DefaultHandlers(), &error) == nullptr);
    CHECK(error.rfind("invalid listen address", 0) == 0);
  }
  std::string error;
  CHECK(HttpServer::Start("192.0.2.1:0", DefaultHandlers(), &error) == nullptr);
  CHECK(error == "listen on 192.0.2.1:0: Cannot assign requested address");
}

TEST_CASE("other listen address forms") {
  // ":PORT" listens on all interfaces, "0.0.0.0:PORT" likewise, and host
  // names are resolved; all of them reach loopback here.
  for (const char* address : {":0", "0.0.0.0:0", "localhost:0"}) {
    CAPTURE(address);
    std::string error;
    auto server = HttpServer::Start(address, DefaultHandlers(), &error);
    INFO(error);
    REQUIRE(server != nullptr);
    CHECK(Fetch(server->port(), "GET", "/healthz").status == 200);
  }
}

TEST_CASE("concurrent scrapes all succeed") {
  constexpr int kThreads = 8;
  constexpr int kRequestsPerThread = 25;
  std::atomic<int> calls{0};
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&](std::string_view, MetricsBody& body) {
    ++calls;
    Reply(body, kExposition);
  };
  auto server = StartOrFail(std::move(h));

  std::vector<std::future<std::vector<std::string>>> results;
  for (int t = 0; t < kThreads; ++t) {
    results.push_back(std::async(std::launch::async, [port = server->port(), t] {
      std::vector<std::string> failures;
      for (int i = 0; i < kRequestsPerThread; ++i) {
        bool gzip = (i + t) % 2 == 0;
        HttpResponse r =
            Fetch(port, "GET", "/metrics", {{"Accept-Encoding", gzip ? "gzip" : "identity"}});
        bool ok = r.error.empty() && r.status == 200 &&
                  r.Header("content-length") == std::to_string(r.body.size()) &&
                  (r.Header("content-encoding") == "gzip") == gzip;
        if (!ok) failures.push_back(r.error + " status " + std::to_string(r.status));
      }
      return failures;
    }));
  }
  for (auto& f : results) {
    std::vector<std::string> failures = f.get();
    CHECK(failures.empty());
    for (const std::string& failure : failures) MESSAGE(failure);
  }
  CHECK(calls == kThreads * kRequestsPerThread);
}

TEST_CASE("the destructor finishes in-flight requests and turns new ones away") {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  std::atomic<bool> handler_done{false};
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&](std::string_view, MetricsBody& body) {
    entered.set_value();
    release_future.wait();
    handler_done = true;
    Reply(body, kExposition);
  };
  auto server = StartOrFail(std::move(h));
  int port = server->port();

  auto response = std::async(std::launch::async, [port] { return Fetch(port, "GET", "/metrics"); });
  entered.get_future().wait();
  auto stopped = std::async(std::launch::async, [&] {
    server.reset();
    return handler_done.load();  // must already be true: mg_stop joined the worker
  });
  // Once draining, new requests are turned away without reaching a handler.
  // Poll until the destructor has started draining (bounded, no sleeps).
  HttpResponse late;
  for (int i = 0; i < 100000 && late.status != 503; ++i) late = Fetch(port, "GET", "/healthz");
  CHECK(late.status == 503);
  CHECK(late.body == "shutting down");
  CHECK_FALSE(handler_done.load());

  release.set_value();
  CHECK(stopped.get());
  HttpResponse r = response.get();
  CHECK(r.status == 200);
  CHECK(r.body == kExposition);
}

// Sends `request` as is on a fresh connection, leaving it open (a body may be
// shorter than announced), and returns the status code the server answers
// with, or 0 if none arrives within 10 s.
int RawStatus(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[512];
    for (ssize_t n; raw.size() < 12 && (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
      raw.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return raw.compare(0, 9, "HTTP/1.1 ") == 0 && raw.size() >= 12 ? std::stoi(raw.substr(9, 3)) : 0;
}

TEST_CASE("/-/healthy and /-/ready answer as /healthz and /readyz") {
  std::atomic<bool> ready{false};
  HttpHandlers h = DefaultHandlers();
  h.ready = [&] { return ready.load(); };
  auto server = StartOrFail(std::move(h));
  CHECK(Fetch(server->port(), "GET", "/-/healthy").body == "ok");
  CHECK(Fetch(server->port(), "HEAD", "/-/healthy").status == 200);
  CHECK(Fetch(server->port(), "POST", "/-/healthy").status == 405);
  CHECK(Fetch(server->port(), "GET", "/-/ready").status == 503);
  ready = true;
  CHECK(Fetch(server->port(), "GET", "/-/ready").body == "ready");
}

TEST_CASE("the telemetry path is configurable") {
  HttpServerOptions options;
  options.telemetry_path = "/prom/metrics";
  std::string error;
  auto server = HttpServer::Start("127.0.0.1:0", DefaultHandlers(), options, &error);
  REQUIRE_MESSAGE(server != nullptr, error);
  CHECK(Fetch(server->port(), "GET", "/prom/metrics").body == kExposition);
  CHECK(Fetch(server->port(), "GET", "/metrics").status == 404);
  CHECK(Fetch(server->port(), "GET", "/").body.find("href=\"/prom/metrics\"") != std::string::npos);

  for (const char* bad : {"", "metrics", "/healthz", "/", "/-/ready", "/m?x"}) {
    CAPTURE(bad);
    options.telemetry_path = bad;
    CHECK(HttpServer::Start("127.0.0.1:0", DefaultHandlers(), options, &error) == nullptr);
    CHECK(error.find("telemetry path") != std::string::npos);
  }
}

TEST_CASE("out-of-range limits are refused") {
  std::string error;
  HttpServerOptions options;
  options.max_connections = 0;
  CHECK(HttpServer::Start("127.0.0.1:0", DefaultHandlers(), options, &error) == nullptr);
  CHECK(error == "max connections 0 is not in 1..10000");
  options = {};
  options.max_requests = -1;
  CHECK(HttpServer::Start("127.0.0.1:0", DefaultHandlers(), options, &error) == nullptr);
  options = {};
  options.read_timeout = std::chrono::milliseconds(0);
  CHECK(HttpServer::Start("127.0.0.1:0", DefaultHandlers(), options, &error) == nullptr);
}

TEST_CASE("an IPv6 address is served, or refused with the reason") {
  std::string error;
  auto server = HttpServer::Start("[::1]:0", DefaultHandlers(), &error);
  if (server == nullptr) {
    // Debian 12's civetweb is built without IPv6.
    CHECK(error.find("built without IPv6") != std::string::npos);
    CHECK(error.find("0.0.0.0:PORT") != std::string::npos);
  }
}

TEST_CASE("the landing page shows the version and the sources, escaped") {
  HttpHandlers h = DefaultHandlers();
  h.sources = [] { return std::vector<HttpSourceInfo>{{"nginx", "file"}, {"<b>x</b>", "http"}}; };
  auto server = StartOrFail(std::move(h));
  std::string page = Fetch(server->port(), "GET", "/").body;
  CHECK(page.find(METRICS_ADAPTER_VERSION) != std::string::npos);
  CHECK(page.find("<td>nginx</td><td>file</td>") != std::string::npos);
  CHECK(page.find("<td>&lt;b&gt;x&lt;/b&gt;</td><td>http</td>") != std::string::npos);
  CHECK(page.find("/-/reload") == std::string::npos);  // not enabled
}

TEST_CASE("renders beyond max_requests get 503 and are reported") {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> release_future = release.get_future().share();
  HttpHandlers h = DefaultHandlers();
  h.metrics = [&](std::string_view, MetricsBody& body) {
    entered.set_value();
    release_future.wait();
    Reply(body, kExposition);
  };
  std::mutex mu;
  std::vector<std::string> done;
  std::atomic<int> rejected{0};
  std::atomic<int> in_flight{0};
  HttpServerOptions options;
  options.max_requests = 1;
  options.observer.request_done = [&](std::string_view handler, int code) {
    std::lock_guard lock(mu);
    done.push_back(std::string(handler) + " " + std::to_string(code));
  };
  options.observer.scrape_rejected = [&] { ++rejected; };
  options.observer.in_flight = [&](int delta) { in_flight += delta; };
  std::string error;
  auto server = HttpServer::Start("127.0.0.1:0", std::move(h), options, &error);
  REQUIRE_MESSAGE(server != nullptr, error);
  const int port = server->port();

  auto first = std::async(std::launch::async, [port] { return Fetch(port, "GET", "/metrics"); });
  entered.get_future().wait();
  HttpResponse second = Fetch(port, "GET", "/metrics");
  CHECK(second.status == 503);
  CHECK(second.body.find("--web.max-requests=1") != std::string::npos);
  CHECK(rejected == 1);
  // The probes do not wait for the render.
  CHECK(Fetch(port, "GET", "/healthz").status == 200);
  release.set_value();
  CHECK(first.get().status == 200);
  CHECK(Fetch(port, "GET", "/nope").status == 404);
  server.reset();
  CHECK(in_flight == 0);
  std::sort(done.begin(), done.end());
  CHECK(done ==
        std::vector<std::string>{"/healthz 200", "/metrics 200", "/metrics 503", "other 404"});
}

TEST_CASE("explain: input and report are capped, a body too slow is cut") {
  std::string report;
  HttpHandlers h = DefaultHandlers();
  h.explain = [&](const std::string&, std::string_view) -> std::optional<std::string> {
    return report;
  };
  std::vector<std::string> dropped;
  std::mutex mu;
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(300);
  options.observer.connection_dropped = [&](std::string_view reason) {
    std::lock_guard lock(mu);
    dropped.emplace_back(reason);
  };
  std::string error;
  auto server = HttpServer::Start("127.0.0.1:0", std::move(h), options, &error);
  REQUIRE_MESSAGE(server != nullptr, error);
  const int port = server->port();

  CHECK(Fetch(port, "POST", "/-/explain?source=a", {}, std::string(64 * 1024 + 1, 'x')).status ==
        413);
  report = std::string(3 * 1024 * 1024, 'r');
  for (std::size_t i = 99; i < report.size(); i += 100) report[i] = '\n';
  HttpResponse r = Fetch(port, "POST", "/-/explain?source=a", {}, "line\n");
  CHECK(r.status == 200);
  CHECK(r.body.size() < 1024 * 1024 + 200);
  CHECK(r.body.find("report truncated at 1024 KiB") != std::string::npos);

  // 10 of 100 announced bytes, then nothing: cut at the read timeout.
  CHECK(RawStatus(port,
                  "POST /-/explain?source=a HTTP/1.1\r\nHost: a\r\n"
                  "Content-Length: 100\r\n\r\n0123456789") == 408);
  server.reset();
  CHECK(std::count(dropped.begin(), dropped.end(), "body_timeout") == 1);
}

}  // namespace metrics_adapter
