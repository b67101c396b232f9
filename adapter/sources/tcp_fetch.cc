#include "adapter/sources/tcp_fetch.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "adapter/base/host_port.h"
#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

// Reads go through one buffer of this size; the body grows by appends.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
// Lookups that outlived their deadline still hold a thread until getaddrinfo
// returns (it cannot be cancelled); with a dead DNS server every scrape would
// add one, so the count is capped.
constexpr int kMaxLookupsInFlight = 8;

// "host:port" or "[v6]:port", for messages.
std::string PeerText(const HostPort& server) {
  const std::string host = server.bracketed ? "[" + server.host + "]" : server.host;
  return host + ":" + std::to_string(server.port);
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

void SetPort(Address* a, int port) {
  if (a->storage.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a->storage)->sin6_port =
        htons(static_cast<std::uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in*>(&a->storage)->sin_port = htons(static_cast<std::uint16_t>(port));
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

  // Sets the failure; returns false for `return Fail(...)`.
  bool Fail(std::string_view reason, std::string error) {
    result_->Fail(reason, std::move(error));
    return false;
  }
  bool FailTimeout(const std::string& what) {
    return Fail("timeout", "timeout after " + FormatTimeout(timeout_) + ": " + what);
  }

  // Resolves and connects to `server`, trying its addresses in order.
  bool Connect(const HostPort& server) {
    peer_ = PeerText(server);
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
          return Fail("connect", "connect " + peer_ + ": " + ErrnoText(err));
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
    return Fail("connect", "connect " + peer_ + ": " + ErrnoText(last_error));
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
        if (ready < 0) return Fail("connect", "send to " + peer_ + ": " + ErrnoText(errno));
        continue;
      }
      return Fail("connect", "send to " + peer_ + ": " + ErrnoText(n < 0 ? errno : EPIPE));
    }
    return true;
  }

  enum class ReadEnd { kDone, kTimeout, kFailed };

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
        // A consumer that wants more at the close has failed the result.
        return consume(std::string_view(), true) == Feed::kDone ? ReadEnd::kDone : ReadEnd::kFailed;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Fail("connect", "read from " + peer_ + ": " + ErrnoText(errno));
        return ReadEnd::kFailed;
      }
      int ready = Wait(fd_, POLLIN);
      if (ready == 0) return ReadEnd::kTimeout;
      if (ready < 0) {
        Fail("connect", "read from " + peer_ + ": " + ErrnoText(errno));
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

}  // namespace

FetchResult TcpExchange(const TcpFetchOptions& options) {
  FetchResult result;
  Exchange exchange(options.timeout, &result);
  HostPort server;
  std::string why;
  if (!SplitHostPort(options.address, &server, &why)) {
    exchange.Fail("protocol", "address " + Quoted(Printable(options.address, 200)) + ": " + why);
    return result;
  }
  if (server.host.empty() || server.port == 0) {
    exchange.Fail("protocol", "address " + Quoted(Printable(options.address, 200)) + ": " +
                                  (server.host.empty() ? "missing host" : "port 0"));
    return result;
  }
  if (options.framing == TcpFraming::kUntilTerminator && options.terminator.empty()) {
    exchange.Fail("protocol", "framing until terminator without a terminator");
    return result;
  }
  if (!exchange.Connect(server) || !exchange.SendAll(options.send)) return result;
  TcpReplyReader reader(options.framing, options.terminator, options.max_body_bytes,
                        exchange.peer(), &result);
  switch (
      exchange.Read([&](std::string_view data, bool eof) { return reader.Consume(data, eof); })) {
    case Exchange::ReadEnd::kDone:
      reader.Finish();
      break;
    case Exchange::ReadEnd::kTimeout:
      exchange.FailReadTimeout();
      break;
    case Exchange::ReadEnd::kFailed:
      break;
  }
  return result;
}

}  // namespace metrics_adapter
