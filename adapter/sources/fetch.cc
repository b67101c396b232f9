#include "adapter/sources/fetch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

// Reads go through one stack buffer of this size; the body grows by appends.
constexpr std::size_t kReadChunk = 64 * 1024;
// Bounds on what is buffered before the body: no status page needs more.
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxLineBytes = 64 * 1024;  // chunk-size, trailer, redis reply lines
// Lookups that outlived their deadline still hold a thread until getaddrinfo
// returns (it cannot be cancelled); with a dead DNS server every scrape would
// add one, so the count is capped.
constexpr int kMaxLookupsInFlight = 8;
// How much of an error response's body goes into FetchResult::error.
constexpr std::size_t kErrorBodySnippet = 200;

std::string Errno(int err) { return std::error_code(err, std::generic_category()).message(); }

// "2s" or "250ms", as timeouts are written in configs.
std::string FormatTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + "s";
  return std::to_string(timeout.count()) + "ms";
}

// One line of printable ASCII for logs: a body can hold anything.
std::string Printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : u >= 0x80 ? '?' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16 |
                      static_cast<unsigned char>(in[i + 1]) << 8 |
                      static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    std::uint32_t v =
        static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool IsTokenChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Parses "65535"; 0 and anything else are invalid.
bool ParsePort(std::string_view text, std::uint16_t* port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return false;
  }
  *port = static_cast<std::uint16_t>(value);
  return true;
}

struct HostPort {
  std::string host;  // without brackets
  bool ipv6_literal = false;
  std::uint16_t port = 0;

  // "host:port" or "[::1]:port", for messages and the Host header.
  std::string HostText() const { return ipv6_literal ? "[" + host + "]" : host; }
  std::string Text() const { return HostText() + ":" + std::to_string(port); }
};

bool ValidHostName(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// Parses an authority "host", "host:port", "[v6]" or "[v6]:port". An empty
// port (allowed by RFC 3986) or a missing one means `default_port`; 0 there
// means the port is required.
std::string ParseAuthority(std::string_view authority, std::uint16_t default_port, HostPort* out) {
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "missing ] after IPv6 address";
    out->host = std::string(authority.substr(1, close - 1));
    out->ipv6_literal = true;
    in6_addr addr;
    if (inet_pton(AF_INET6, out->host.c_str(), &addr) != 1) {
      return "invalid IPv6 address \"" + out->host + "\"";
    }
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "expected :PORT after ]";
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        return "IPv6 addresses must be bracketed, as in [::1]:8080";
      }
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    out->host = std::string(authority.substr(0, colon));
    if (out->host.empty()) return "missing host";
    if (!ValidHostName(out->host)) return "invalid host \"" + Printable(out->host, 100) + "\"";
  }
  if (has_port && !port_text.empty()) {
    if (!ParsePort(port_text, &out->port)) {
      return "invalid port \"" + Printable(port_text, 20) + "\"";
    }
  } else if (default_port != 0) {
    out->port = default_port;
  } else {
    return "missing port";
  }
  return "";
}

struct ParsedUrl {
  HostPort server;
  std::string target;  // path and query, as sent on the request line
};

std::string ParseUrl(std::string_view url, ParsedUrl* out) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "expected http://HOST[:PORT]/PATH";
  std::string_view scheme = url.substr(0, scheme_end);
  if (EqualsIgnoreCase(scheme, "https")) return "https is not supported";
  if (!EqualsIgnoreCase(scheme, "http")) {
    return "unsupported scheme \"" + Printable(scheme, 20) + "\" (expected http://)";
  }
  std::string_view rest = url.substr(scheme_end + 3);
  // Browsers and curl never send the fragment either.
  rest = rest.substr(0, rest.find('#'));
  std::size_t target_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, target_start);
  if (authority.find('@') != std::string_view::npos) {
    return "credentials in the URL are not supported (use basic auth)";
  }
  if (std::string error = ParseAuthority(authority, 80, &out->server); !error.empty()) {
    return error;
  }
  std::string_view target =
      target_start == std::string_view::npos ? std::string_view() : rest.substr(target_start);
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return "invalid character in path (spaces and non-ASCII must be %-encoded)";
    }
  }
  out->target = target.empty()          ? "/"
                : target.front() == '?' ? "/" + std::string(target)
                                        : std::string(target);
  return "";
}

// ---------------------------------------------------------------------------
// Resolution, connection and I/O against one deadline.

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// State shared between a lookup thread and its waiter; the thread may outlive
// the waiter, so it is reference-counted.
struct Lookup {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  int rc = 0;
  std::vector<Address> addresses;
};

std::atomic<int> g_lookups_in_flight{0};

void RunLookup(const std::shared_ptr<Lookup>& lookup, const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  std::vector<Address> addresses;
  for (addrinfo* ai = list; rc == 0 && ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    addresses.push_back(a);
  }
  if (list != nullptr) freeaddrinfo(list);
  {
    std::lock_guard lock(lookup->mu);
    lookup->rc = rc;
    lookup->addresses = std::move(addresses);
    lookup->done = true;
  }
  lookup->done_cv.notify_all();
  g_lookups_in_flight.fetch_sub(1);
}

void SetPort(Address* a, std::uint16_t port) {
  if (a->storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a->storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&a->storage)->sin_port = htons(port);
  }
}

// One fetch: the deadline, the socket and the result being filled in.
class Exchange {
 public:
  Exchange(std::chrono::milliseconds timeout, FetchResult* result)
      : timeout_(timeout), deadline_(Clock::now() + timeout), result_(result) {}
  ~Exchange() {
    if (fd_ >= 0) close(fd_);
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  FetchResult& result() { return *result_; }

  // Sets the failure; returns false for `return Fail(...)`.
  bool Fail(std::string_view reason, std::string error) {
    result_->ok = false;
    result_->reason = std::string(reason);
    result_->error = std::move(error);
    return false;
  }
  bool FailTimeout(const std::string& what) {
    return Fail("timeout", "timeout after " + FormatTimeout(timeout_) + ": " + what);
  }

  // Resolves and connects to `server`, trying its addresses in order.
  bool Connect(const HostPort& server) {
    peer_ = server.Text();
    std::vector<Address> addresses;
    if (!Resolve(server, &addresses)) return false;
    int last_error = ECONNREFUSED;
    for (Address& a : addresses) {
      SetPort(&a, server.port);
      int fd = socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        last_error = errno;
        continue;
      }
      if (connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0) {
        if (errno != EINPROGRESS) {
          last_error = errno;
          close(fd);
          continue;
        }
        int ready = Wait(fd, POLLOUT);
        if (ready <= 0) {
          int err = errno;
          close(fd);
          if (ready == 0) return FailTimeout("connect " + peer_);
          return Fail("connect", "connect " + peer_ + ": " + Errno(err));
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) {
          last_error = err;
          close(fd);
          continue;
        }
      }
      fd_ = fd;
      return true;
    }
    return Fail("connect", "connect " + peer_ + ": " + Errno(last_error));
  }

  bool SendAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        int ready = Wait(fd_, POLLOUT);
        if (ready == 0) return FailTimeout("send to " + peer_);
        if (ready < 0) return Fail("connect", "send to " + peer_ + ": " + Errno(errno));
        continue;
      }
      return Fail("connect", "send to " + peer_ + ": " + Errno(n < 0 ? errno : EPIPE));
    }
    return true;
  }

  enum class ReadEnd { kDone, kTimeout, kFailed };
  enum class Feed { kMore, kDone, kFailed };

  // Reads until `consume(data, eof)` says kDone or kFailed (having set the
  // result), the peer fails, or the deadline passes (kTimeout, result not
  // set: the caller knows best what a timeout means at that point).
  template <typename Consumer>
  ReadEnd Read(Consumer&& consume) {
    // On the heap: fetches run on server threads whose stacks may be small.
    auto buffer = std::make_unique<char[]>(kReadChunk);
    while (true) {
      ssize_t n = recv(fd_, buffer.get(), kReadChunk, 0);
      if (n > 0) {
        received_ += static_cast<std::size_t>(n);
        Feed f = consume(std::string_view(buffer.get(), static_cast<std::size_t>(n)), false);
        if (f == Feed::kDone) return ReadEnd::kDone;
        if (f == Feed::kFailed) return ReadEnd::kFailed;
        continue;
      }
      if (n == 0) {
        Feed f = consume(std::string_view(), true);
        if (f == Feed::kDone) return ReadEnd::kDone;
        if (f == Feed::kMore) Fail("protocol", "connection closed by " + peer_);
        return ReadEnd::kFailed;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Fail("connect", "read from " + peer_ + ": " + Errno(errno));
        return ReadEnd::kFailed;
      }
      int ready = Wait(fd_, POLLIN);
      if (ready == 0) return ReadEnd::kTimeout;
      if (ready < 0) {
        Fail("connect", "read from " + peer_ + ": " + Errno(errno));
        return ReadEnd::kFailed;
      }
    }
  }

  bool FailReadTimeout() {
    return FailTimeout("read from " + peer_ + " (" + std::to_string(received_) +
                       " bytes received)");
  }

  const std::string& peer() const { return peer_; }

 private:
  // Fills `addresses` (ports unset) or fails. Literals need no lookup; names
  // go to getaddrinfo on a helper thread so that the deadline holds even when
  // DNS does not answer (glibc's own timeouts are 5 s per try and server).
  bool Resolve(const HostPort& server, std::vector<Address>* addresses) {
    Address a;
    auto* sin = reinterpret_cast<sockaddr_in*>(&a.storage);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    if (inet_pton(AF_INET, server.host.c_str(), &sin->sin_addr) == 1) {
      sin->sin_family = AF_INET;
      a.length = sizeof(sockaddr_in);
      addresses->push_back(a);
      return true;
    }
    if (inet_pton(AF_INET6, server.host.c_str(), &sin6->sin6_addr) == 1) {
      sin6->sin6_family = AF_INET6;
      a.length = sizeof(sockaddr_in6);
      addresses->push_back(a);
      return true;
    }
    if (g_lookups_in_flight.fetch_add(1) >= kMaxLookupsInFlight) {
      g_lookups_in_flight.fetch_sub(1);
      return Fail("resolve", "resolve " + server.host + ": too many lookups still pending");
    }
    auto lookup = std::make_shared<Lookup>();
    try {
      std::thread([lookup, host = server.host] { RunLookup(lookup, host); }).detach();
    } catch (const std::system_error& e) {
      g_lookups_in_flight.fetch_sub(1);
      return Fail("resolve", "resolve " + server.host + ": " + e.what());
    }
    std::unique_lock lock(lookup->mu);
    if (!lookup->done_cv.wait_until(lock, deadline_, [&] { return lookup->done; })) {
      return FailTimeout("resolve " + server.host);
    }
    if (lookup->rc != 0 || lookup->addresses.empty()) {
      return Fail("resolve", "resolve " + server.host + ": " +
                                 (lookup->rc != 0 ? gai_strerror(lookup->rc) : "no address"));
    }
    *addresses = std::move(lookup->addresses);
    return true;
  }

  // poll() for `events` until the deadline: 1 ready, 0 deadline passed, -1
  // error (errno set). A socket that is ready exactly at the deadline still
  // counts, so data that has arrived is never thrown away for a timeout.
  int Wait(int fd, short events) {
    while (true) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
      pollfd p{fd, events, 0};
      int rc = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
      if (rc > 0) return 1;  // POLLERR/POLLHUP too: the next call reports them
      if (rc < 0 && errno != EINTR) return -1;
      if (Clock::now() >= deadline_) return 0;
    }
  }

  std::chrono::milliseconds timeout_;
  Clock::time_point deadline_;
  FetchResult* result_;
  int fd_ = -1;
  std::string peer_;
  std::size_t received_ = 0;
};

using Feed = Exchange::Feed;

// Appends to the result body up to max_body_bytes.
class BodySink {
 public:
  BodySink(std::string* body, std::size_t max) : body_(body), max_(max) {}
  // Returns false once the body is full and more was offered.
  bool Append(std::string_view data) {
    std::size_t room = max_ - std::min(max_, body_->size());
    if (data.size() > room) {
      body_->append(data.substr(0, room));
      over_ = true;
      return false;
    }
    body_->append(data);
    return true;
  }
  // For a body known to be longer (Content-Length) once it is full.
  void MarkOver() { over_ = true; }
  bool over() const { return over_; }

 private:
  std::string* body_;
  std::size_t max_;
  bool over_ = false;
};

void MarkTooLarge(FetchResult& r, std::size_t max) {
  r.truncated = true;
  r.ok = false;
  r.reason = "too_large";
  r.error = "body over " + std::to_string(max) + " bytes";
}

// Takes one line ending in \n from `data` into `line` (without the \n).
// Returns true when the line is complete; consumes what it used.
bool TakeLine(std::string_view* data, std::string* line) {
  std::size_t nl = data->find('\n');
  if (nl == std::string_view::npos) {
    line->append(*data);
    data->remove_prefix(data->size());
    return false;
  }
  line->append(data->substr(0, nl));
  data->remove_prefix(nl + 1);
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

// Transfer-Encoding: chunked, decoded incrementally as reads arrive.
class ChunkedDecoder {
 public:
  // Feeds received bytes; decoded payload goes to `sink`. kDone at the end of
  // the last chunk's trailers (or when the sink is full), kFailed with
  // error() set on malformed input.
  Feed Decode(std::string_view data, BodySink& sink) {
    while (!data.empty()) {
      switch (state_) {
        case State::kSize: {
          if (!TakeLine(&data, &line_)) break;
          std::string_view text = line_;
          std::uint64_t size = 0;
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size, 16);
          if (ec != std::errc() || end == text.data() ||
              (end != text.data() + text.size() && *end != ';' && *end != ' ' && *end != '\t')) {
            error_ = "bad chunk size line \"" + Printable(line_, 40) + "\"";
            return Feed::kFailed;
          }
          line_.clear();
          remaining_ = size;
          state_ = size == 0 ? State::kTrailer : State::kData;
          break;
        }
        case State::kData: {
          std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
          if (!sink.Append(data.substr(0, n))) return Feed::kDone;
          data.remove_prefix(n);
          remaining_ -= n;
          if (remaining_ == 0) state_ = State::kDataEnd;
          break;
        }
        case State::kDataEnd:
          if (!TakeLine(&data, &line_)) break;
          if (!line_.empty()) {
            error_ = "chunk longer than its size line says";
            return Feed::kFailed;
          }
          state_ = State::kSize;
          break;
        case State::kTrailer:
          if (!TakeLine(&data, &line_)) break;
          if (line_.empty()) {
            state_ = State::kDone;
            return Feed::kDone;
          }
          line_.clear();  // trailer fields carry nothing we use
          break;
        case State::kDone:
          return Feed::kDone;
      }
      if (line_.size() > kMaxLineBytes) {
        error_ = "chunk size or trailer line too long";
        return Feed::kFailed;
      }
    }
    return Feed::kMore;
  }

  // Servers that close right after the last chunk without its final CRLF
  // have still sent everything.
  bool CompleteAtEof() const { return state_ == State::kTrailer || state_ == State::kDone; }
  const std::string& error() const { return error_; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  State state_ = State::kSize;
  std::string line_;
  std::uint64_t remaining_ = 0;
  std::string error_;
};

// Reads an HTTP response: status line, headers, then the body framed by
// chunked encoding, Content-Length or the close of the connection.
class HttpResponseReader {
 public:
  HttpResponseReader(FetchResult* result, std::size_t max_body)
      : result_(result), sink_(&result->body, max_body), max_body_(max_body) {}

  Feed Consume(std::string_view data, bool eof) {
    if (!in_body_) {
      head_.append(data);
      while (!in_body_) {
        std::size_t end = HeaderEnd();
        if (end == std::string::npos) {
          if (head_.size() > kMaxHeaderBytes) {
            return Failed("response headers over " + std::to_string(kMaxHeaderBytes) + " bytes");
          }
          if (!eof) return Feed::kMore;
          return Failed(head_.empty() ? "connection closed without a response"
                                      : "connection closed inside the response headers");
        }
        if (!ParseHead(std::string_view(head_).substr(0, end))) return Feed::kFailed;
        head_.erase(0, end);
        // An interim 1xx response is followed by the real one.
        if (result_->http_status >= 200) in_body_ = true;
      }
      if (no_body_) return Feed::kDone;
      data = head_;
    }
    Feed f = ConsumeBody(data, eof);
    head_.clear();
    return f;
  }

  bool over() const { return sink_.over(); }
  std::size_t max_body() const { return max_body_; }
  bool headers_done() const { return in_body_; }

 private:
  Feed Failed(std::string error) {
    result_->ok = false;
    result_->reason = "protocol";
    result_->error = std::move(error);
    return Feed::kFailed;
  }

  // Index just past the blank line ending the head, or npos. Bare \n line
  // ends are accepted as well as \r\n.
  std::size_t HeaderEnd() const {
    for (std::size_t nl = head_.find('\n'); nl != std::string::npos;
         nl = head_.find('\n', nl + 1)) {
      if (nl + 1 < head_.size() && head_[nl + 1] == '\n') return nl + 2;
      if (nl + 2 < head_.size() && head_[nl + 1] == '\r' && head_[nl + 2] == '\n') return nl + 3;
    }
    return std::string::npos;
  }

  bool ParseHead(std::string_view head) {
    std::size_t nl = head.find('\n');
    std::string_view status_line = Trim(head.substr(0, nl), kBlanksAndCr);
    head.remove_prefix(nl + 1);
    // "HTTP/1.1 200 OK"; the reason phrase is optional.
    int status = 0;
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/" || status_line[8] != ' ' ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, status).ptr !=
            status_line.data() + 12 ||
        (status_line.size() > 12 && status_line[12] != ' ') || status < 100 || status > 999) {
      Failed("malformed status line \"" + Printable(status_line, 80) + "\"");
      return false;
    }
    result_->http_status = status;
    chunked_ = false;
    content_length_.reset();
    while (!head.empty()) {
      nl = head.find('\n');
      std::string_view line = head.substr(0, nl);
      head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (line.front() == ' ' || line.front() == '\t') continue;  // obsolete folding
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;  // be lenient with junk lines
      std::string_view name = Trim(line.substr(0, colon), kBlanksAndCr);
      std::string_view value = Trim(line.substr(colon + 1), kBlanksAndCr);
      if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
        std::string_view last = Trim(value.substr(value.rfind(',') + 1), kBlanksAndCr);
        if (EqualsIgnoreCase(last, "chunked") && value.find(',') == std::string_view::npos) {
          chunked_ = true;
        } else if (!EqualsIgnoreCase(value, "identity")) {
          Failed("unsupported Transfer-Encoding \"" + Printable(value, 40) + "\"");
          return false;
        }
      } else if (EqualsIgnoreCase(name, "Content-Length")) {
        std::uint64_t length = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
            (content_length_ && *content_length_ != length)) {
          Failed("invalid Content-Length \"" + Printable(value, 40) + "\"");
          return false;
        }
        content_length_ = length;
      } else if (EqualsIgnoreCase(name, "Content-Encoding")) {
        if (!value.empty() && !EqualsIgnoreCase(value, "identity")) {
          Failed("unsupported Content-Encoding \"" + Printable(value, 40) + "\"");
          return false;
        }
      }
    }
    if (status >= 200) {
      no_body_ = status == 204 || status == 304 || (!chunked_ && content_length_ == 0u);
    }
    return true;
  }

  Feed ConsumeBody(std::string_view data, bool eof) {
    if (chunked_) {
      Feed f = chunked_decoder_.Decode(data, sink_);
      if (f == Feed::kFailed) return Failed(chunked_decoder_.error());
      if (f == Feed::kDone || !eof) return f;
      if (chunked_decoder_.CompleteAtEof()) return Feed::kDone;
      return Failed("connection closed inside the chunked body");
    }
    if (content_length_) {
      std::uint64_t left = *content_length_ - body_bytes_;
      data = data.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(left, data.size())));
      body_bytes_ += data.size();
      if (!sink_.Append(data)) return Feed::kDone;
      if (body_bytes_ == *content_length_) return Feed::kDone;
      // Enough to fill the sink: the rest would be thrown away anyway.
      if (*content_length_ > max_body_ && result_->body.size() == max_body_) {
        sink_.MarkOver();
        return Feed::kDone;
      }
      if (!eof) return Feed::kMore;
      return Failed("connection closed after " + std::to_string(body_bytes_) + " of " +
                    std::to_string(*content_length_) + " body bytes");
    }
    if (!sink_.Append(data)) return Feed::kDone;
    return eof ? Feed::kDone : Feed::kMore;
  }

  FetchResult* result_;
  BodySink sink_;
  std::size_t max_body_;
  std::string head_;  // received bytes not yet parsed as the head
  bool in_body_ = false;
  bool no_body_ = false;
  bool chunked_ = false;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t body_bytes_ = 0;
  ChunkedDecoder chunked_decoder_;
};

std::string BuildRequest(const HttpFetchOptions& options, const ParsedUrl& url) {
  auto overridden = [&](std::string_view name) {
    return std::any_of(options.headers.begin(), options.headers.end(),
                       [&](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  };
  std::string request = "GET " + url.target + " HTTP/1.0\r\n";
  // Extra headers of the same name replace the standard ones, e.g. a Host
  // for a virtual host reached through 127.0.0.1.
  if (!overridden("Host")) {
    request += "Host: " + url.server.HostText();
    if (url.server.port != 80) request += ":" + std::to_string(url.server.port);
    request += "\r\n";
  }
  if (!overridden("User-Agent")) request += "User-Agent: metrics-adapter\r\n";
  if (!overridden("Accept-Encoding")) request += "Accept-Encoding: identity\r\n";
  if (!options.basic_auth_user.empty() && !overridden("Authorization")) {
    request += "Authorization: Basic " +
               Base64(options.basic_auth_user + ":" + options.basic_auth_password) + "\r\n";
  }
  for (const auto& [name, value] : options.headers) request += name + ": " + value + "\r\n";
  request += "\r\n";
  return request;
}

void FailHttpStatus(FetchResult& r) {
  r.ok = false;
  r.reason = "http_status";
  r.error = "HTTP " + std::to_string(r.http_status);
  std::string snippet = Printable(r.body, kErrorBodySnippet);
  if (!snippet.empty()) r.error += ": " + snippet;
}

// Redis replies: skips simple strings, then expects one bulk string.
class RedisBulkReader {
 public:
  RedisBulkReader(FetchResult* result, std::size_t max_body)
      : result_(result), sink_(&result->body, max_body) {}

  Feed Consume(std::string_view data, bool eof) {
    while (!in_bulk_) {
      if (!TakeLine(&data, &line_)) {
        if (line_.size() > kMaxLineBytes) return Failed("reply line too long");
        return eof ? Failed("connection closed before the reply") : Feed::kMore;
      }
      std::string_view line = line_;
      if (line.empty()) return Failed("empty reply line");
      char type = line.front();
      line.remove_prefix(1);
      if (type == '+') {  // "+OK" to an AUTH or SELECT sent first
        line_.clear();
        continue;
      }
      if (type == '-') return Failed(Printable(line, 200));
      if (type != '$') {
        return Failed("expected a bulk reply, got \"" + Printable(line_, 40) + "\"");
      }
      std::int64_t length = 0;
      auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), length);
      if (ec != std::errc() || end != line.data() + line.size() || length < -1) {
        return Failed("bad bulk length \"" + Printable(line_, 40) + "\"");
      }
      if (length == -1) return Failed("nil reply");
      remaining_ = static_cast<std::uint64_t>(length) + 2;  // payload + CRLF
      in_bulk_ = true;
    }
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
    std::string_view part = data.substr(0, n);
    remaining_ -= n;
    // The final CRLF goes to the body too and is checked and cut at the end.
    if (!sink_.Append(part)) return Feed::kDone;
    if (remaining_ == 0) {
      if (!result_->body.ends_with("\r\n")) return Failed("bulk reply not terminated by CRLF");
      result_->body.resize(result_->body.size() - 2);
      return Feed::kDone;
    }
    return eof ? Failed("connection closed inside the bulk reply") : Feed::kMore;
  }

  // The sink holds payload + CRLF; a payload of exactly max bytes plus its
  // CRLF must not count as over.
  bool over() const { return sink_.over(); }

 private:
  Feed Failed(std::string error) {
    result_->ok = false;
    result_->reason = "protocol";
    result_->error = "redis: " + std::move(error);
    return Feed::kFailed;
  }

  FetchResult* result_;
  BodySink sink_;
  std::string line_;
  bool in_bulk_ = false;
  std::uint64_t remaining_ = 0;
};

}  // namespace

std::string CheckHttpUrl(std::string_view url) {
  ParsedUrl parsed;
  return ParseUrl(url, &parsed);
}

std::string CheckHttpHeader(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return "invalid header name \"" + Printable(name, 60) + "\"";
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "header " + std::string(name) + ": value must not contain CR, LF or NUL";
  }
  return "";
}

FetchResult HttpGet(const HttpFetchOptions& options) {
  FetchResult result;
  Exchange exchange(options.timeout, &result);
  ParsedUrl url;
  if (std::string error = ParseUrl(options.url, &url); !error.empty()) {
    exchange.Fail("protocol", "url \"" + Printable(options.url, 200) + "\": " + error);
    return result;
  }
  for (const auto& [name, value] : options.headers) {
    if (std::string error = CheckHttpHeader(name, value); !error.empty()) {
      exchange.Fail("protocol", error);
      return result;
    }
  }
  if (!exchange.Connect(url.server) || !exchange.SendAll(BuildRequest(options, url))) {
    return result;
  }
  // The body buffer may be 0..max; reserving for typical status pages only.
  result.body.reserve(std::min<std::size_t>(options.max_body_bytes, 16 * 1024));
  HttpResponseReader reader(&result, options.max_body_bytes);
  auto end =
      exchange.Read([&](std::string_view data, bool eof) { return reader.Consume(data, eof); });
  bool success_status = result.http_status >= 200 && result.http_status < 300;
  if (end == Exchange::ReadEnd::kFailed) return result;
  if (end == Exchange::ReadEnd::kTimeout) {
    // An error status is the news even if its body never completed.
    if (reader.headers_done() && !success_status) {
      FailHttpStatus(result);
    } else {
      exchange.FailReadTimeout();
    }
    return result;
  }
  if (reader.over()) {
    MarkTooLarge(result, options.max_body_bytes);
    if (!success_status) FailHttpStatus(result);
    return result;
  }
  if (!success_status) {
    FailHttpStatus(result);
    return result;
  }
  result.ok = true;
  return result;
}

FetchResult TcpExchange(const TcpFetchOptions& options) {
  FetchResult result;
  Exchange exchange(options.timeout, &result);
  HostPort server;
  if (std::string error = ParseAuthority(options.address, 0, &server); !error.empty()) {
    exchange.Fail("protocol", "address \"" + Printable(options.address, 200) + "\": " + error);
    return result;
  }
  if (options.framing == TcpFraming::kUntilTerminator && options.terminator.empty()) {
    exchange.Fail("protocol", "framing until terminator without a terminator");
    return result;
  }
  if (!exchange.Connect(server) || !exchange.SendAll(options.send)) return result;

  const std::size_t max = options.max_body_bytes;
  bool over = false;
  Exchange::ReadEnd end;
  switch (options.framing) {
    case TcpFraming::kUntilClose: {
      BodySink sink(&result.body, max);
      end = exchange.Read([&](std::string_view data, bool eof) {
        if (!sink.Append(data)) return Feed::kDone;
        return eof ? Feed::kDone : Feed::kMore;
      });
      over = sink.over();
      break;
    }
    case TcpFraming::kUntilTerminator: {
      // The terminator is received into the body and cut off at the end, so
      // the body may briefly hold max + terminator bytes.
      const std::string& terminator = options.terminator;
      BodySink sink(&result.body, max + terminator.size());
      end = exchange.Read([&](std::string_view data, bool eof) {
        // A cut-off body that happens to end like the terminator is still cut off.
        if (!sink.Append(data)) return Feed::kDone;
        if (result.body.ends_with(terminator)) {
          result.body.resize(result.body.size() - terminator.size());
          return Feed::kDone;
        }
        if (!eof) return Feed::kMore;
        exchange.Fail("protocol", "connection closed by " + exchange.peer() +
                                      " before the terminator \"" + Printable(terminator, 40) +
                                      "\"");
        return Feed::kFailed;
      });
      if (result.body.size() > max) {
        over = true;
        result.body.resize(max);
      }
      break;
    }
    case TcpFraming::kRedisBulk: {
      // Room for the payload's CRLF, which the reader checks and removes.
      RedisBulkReader reader(&result, max + 2);
      end =
          exchange.Read([&](std::string_view data, bool eof) { return reader.Consume(data, eof); });
      if (result.body.size() > max) {
        over = true;
        result.body.resize(max);
      }
      break;
    }
    default:
      exchange.Fail("protocol", "unknown framing");
      return result;
  }
  if (end == Exchange::ReadEnd::kFailed) return result;
  if (end == Exchange::ReadEnd::kTimeout) {
    exchange.FailReadTimeout();
    return result;
  }
  if (over) {
    MarkTooLarge(result, max);
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace metrics_adapter
