#include "adapter/sources/line_listener.h"

#include "adapter/base/host_port.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "adapter/base/log_limiter.h"
#include "adapter/base/strings.h"
#include "adapter/sources/fd_budget.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

// Datagrams per recvmmsg(2): enough to amortize the syscall and the handler
// call, small enough that one batch's buffers stay modest.
constexpr int kUdpBatch = 64;
// The largest UDP payload (IPv6 without jumbograms; IPv4 allows 65507).
constexpr std::size_t kMaxDatagram = 65527;
// One read(2) from a TCP connection.
constexpr std::size_t kTcpReadChunk = std::size_t{64} * 1024;
// Connections accepted per loop turn, so a connect storm cannot starve reads.
constexpr int kAcceptsPerTurn = 64;
// After accept fails for lack of descriptors the listening socket stays
// readable; it is left out of the poll set this long instead of spinning.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Parses HOST:PORT, :PORT (all IPv4 interfaces) or [IPV6]:PORT, as the web
// listen address is parsed, resolving a name once.
bool ParseAddress(const std::string& address, sockaddr_storage* out, socklen_t* length,
                  std::string* why) {
  HostPort hp;
  if (!SplitHostPort(address, &hp, why)) return false;
  const std::string& host = hp.host;
  const bool bracketed = hp.bracketed;
  const unsigned port = static_cast<unsigned>(hp.port);
  *out = {};
  if (bracketed) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) != 1) {
      *why = "invalid IPv6 address";
      return false;
    }
    *length = sizeof(sockaddr_in6);
    return true;
  }
  auto* sin = reinterpret_cast<sockaddr_in*>(out);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(static_cast<std::uint16_t>(port));
  *length = sizeof(sockaddr_in);
  if (host.empty()) {
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    return true;
  }
  if (inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) return true;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr || result->ai_addrlen > sizeof(sockaddr_storage)) {
    *why = std::string("cannot resolve host: ") + (rc != 0 ? gai_strerror(rc) : "no address");
    if (result != nullptr) freeaddrinfo(result);
    return false;
  }
  std::memcpy(out, result->ai_addr, result->ai_addrlen);
  *length = result->ai_addrlen;
  freeaddrinfo(result);
  if (out->ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(out)->sin6_port = htons(static_cast<std::uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in*>(out)->sin_port = htons(static_cast<std::uint16_t>(port));
  }
  return true;
}

// Appends the non-empty lines of `data`, one whole datagram, to `lines`,
// stripping a trailing \r; the last line needs no \n. Not a LineFramer: a
// datagram holds nothing over to the next one, and the views must stay valid
// for a whole batch of datagrams, so they point into the datagram itself.
void SplitLines(const char* data, std::size_t size, std::vector<std::string_view>* lines) {
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    const char* line_end = nl != nullptr ? nl : end;
    std::size_t length = line_end - p;
    if (length > 0 && p[length - 1] == '\r') --length;
    if (length > 0) lines->emplace_back(p, length);
    p = nl != nullptr ? nl + 1 : end;
  }
}

#ifdef SO_RXQ_OVFL
constexpr std::size_t kControlBytes = CMSG_SPACE(sizeof(std::uint32_t));
#else
constexpr std::size_t kControlBytes = 0;
#endif

// The buffers of one recvmmsg(2) batch, allocated once: one slot per
// datagram, one byte longer than the limit so that an oversized datagram is
// recognizable even when it is cut to the slot, and room for each message's
// ancillary data (the kernel's drop count).
class UdpBatch {
 public:
  explicit UdpBatch(std::size_t max_datagram)
      : slot_(std::min(max_datagram, kMaxDatagram) + 1),
        // Not value-initialized: pages no datagram ever reaches stay untouched.
        buffers_(new char[slot_ * kUdpBatch]),
        iovs_(kUdpBatch),
        messages_(kUdpBatch),
        // cmsghdr-aligned storage.
        control_((kControlBytes * kUdpBatch + sizeof(cmsghdr) - 1) / sizeof(cmsghdr) + 1) {
    for (int i = 0; i < kUdpBatch; ++i) iovs_[i] = {buffers_.get() + i * slot_, slot_};
  }

  // Receives up to kUdpBatch queued datagrams without waiting. Returns how
  // many, or -1 with errno set.
  int Receive(int fd) {
    auto* control_bytes = reinterpret_cast<char*>(control_.data());
    for (int i = 0; i < kUdpBatch; ++i) {
      msghdr& h = messages_[i].msg_hdr;
      h = {};
      h.msg_iov = &iovs_[i];
      h.msg_iovlen = 1;
      if (kControlBytes > 0) {
        h.msg_control = control_bytes + i * kControlBytes;
        h.msg_controllen = kControlBytes;
      }
    }
    return recvmmsg(fd, messages_.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
  }

  mmsghdr& message(int i) { return messages_[i]; }

 private:
  std::size_t slot_;
  std::unique_ptr<char[]> buffers_;
  std::vector<iovec> iovs_;
  std::vector<mmsghdr> messages_;
  std::vector<cmsghdr> control_;
};

struct Connection {
  int fd = -1;
  LineFramer framer;              // the connection's own partial or over-long line
  Clock::time_point last_active;  // accepted, or last read something
};

// What a drop reason means, for the log line that reports it.
std::string_view DropText(std::string_view reason) {
  if (reason == "too_large") return "a datagram or line over max_line_bytes was dropped";
  if (reason == "read_error") return "a receive failed";
  if (reason == "unterminated")
    return "a connection ended inside a line; the partial line was dropped";
  if (reason == "bad_frame")
    return "a connection sent an octet-counted frame whose length is not a number and was closed";
  if (reason == "connection_limit") return "a connection was refused: max_connections are open";
  if (reason == "receive_buffer_full")
    return "the kernel dropped datagrams: the receive buffer was full";
  return reason;
}

}  // namespace

struct LineListener::Impl {
  ListenerOptions options;
  LineHandler* handler = nullptr;
  int socket_fd = -1;
  int wake_fd = -1;  // eventfd: written once by the destructor
  int port = 0;
  std::size_t receive_buffer = 0;
  std::size_t reserved_fds = 0;  // from FdBudget::Process()
  std::atomic<std::uint64_t> kernel_drops{0};
  std::atomic<std::size_t> open_connections{0};
  std::atomic<bool> stopping{false};
  LogLimiter log_limiter{std::chrono::seconds(60)};
  std::thread thread;

  // The listener thread's own state.
  std::vector<std::string_view> lines;  // reused for every handler call
  std::uint32_t last_drop_count = 0;    // UDP: the socket's SO_RXQ_OVFL count so far
  std::vector<Connection> connections;  // TCP
  std::vector<pollfd> poll_fds;         // TCP: wake_fd, socket_fd, then connections
  std::unique_ptr<char[]> read_buffer;  // TCP: one read from one connection
  Clock::time_point accept_paused_until{};

  ~Impl() {
    FdBudget::Process().Unreserve(reserved_fds);
    if (socket_fd >= 0) close(socket_fd);
    if (wake_fd >= 0) close(wake_fd);
  }

  // UDP
  void RunUdp();
  void DrainUdp(UdpBatch& batch);
  void DeliverUdpBatch(UdpBatch& batch, int count);
  std::uint32_t KernelDropsBefore(msghdr& message);

  // TCP
  void RunTcp();
  void FillPollSet(bool accepting);
  void ReadConnections();
  bool ReadConnection(Connection& connection);
  void AcceptConnections();
  void AddConnection(int fd);
  int PollTimeout(bool accepting) const;
  void CloseIdleConnections();
  void CloseConnections();

  // Both: tells the handler and logs it, once a minute per reason at most.
  void Drop(std::string_view reason, std::uint64_t count, std::string_view detail = {});
};

void LineListener::Impl::Drop(std::string_view reason, std::uint64_t count,
                              std::string_view detail) {
  handler->OnDrop(reason, count);
  if (auto suppressed = log_limiter.Allow(reason)) {
    std::string what(DropText(reason));
    if (reason == "connection_limit") what += " (" + std::to_string(options.max_connections) + ")";
    if (count > 1) what += " (" + std::to_string(count) + ")";
    if (!detail.empty()) what += std::string(": ") + std::string(detail);
    spdlog::warn("{} listener {}: {} ({} similar messages suppressed)",
                 options.protocol == ListenerOptions::Protocol::kUdp ? "udp" : "tcp",
                 options.address, what, *suppressed);
  }
}

void LineListener::Impl::RunUdp() {
  UdpBatch batch(options.max_line_bytes);
  lines.reserve(std::size_t{kUdpBatch} * 16);
  pollfd fds[2] = {{wake_fd, POLLIN, 0}, {socket_fd, POLLIN, 0}};
  while (!stopping.load(std::memory_order_relaxed)) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("udp listener {}: poll: {}", options.address, ErrnoText(errno));
      return;
    }
    if (fds[0].revents != 0) return;
    DrainUdp(batch);
  }
}

// Receives what is queued, a batch at a time, checking for stop in between.
void LineListener::Impl::DrainUdp(UdpBatch& batch) {
  while (!stopping.load(std::memory_order_relaxed)) {
    const int n = batch.Receive(socket_fd);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Drop("read_error", 1, ErrnoText(errno));
      }
      return;
    }
    DeliverUdpBatch(batch, n);
    // A short batch means the queue was empty a moment ago: poll again
    // rather than pay for a recvmmsg that finds nothing.
    if (n < kUdpBatch) return;
  }
}

// Hands the lines of `count` received datagrams to the handler in one call,
// after dropping those over the limit and reporting the kernel's drops.
void LineListener::Impl::DeliverUdpBatch(UdpBatch& batch, int count) {
  lines.clear();
  std::size_t bytes = 0;
  std::uint32_t new_drops = 0;
  for (int i = 0; i < count; ++i) {
    msghdr& h = batch.message(i).msg_hdr;
    new_drops += KernelDropsBefore(h);
    const std::size_t length = batch.message(i).msg_len;
    if ((h.msg_flags & MSG_TRUNC) != 0 || length > options.max_line_bytes) {
      Drop("too_large", 1);
      continue;
    }
    bytes += length;
    SplitLines(static_cast<const char*>(h.msg_iov->iov_base), length, &lines);
  }
  // Before the lines: whoever sees a datagram sent after the drops also
  // sees the drops.
  if (new_drops > 0) {
    kernel_drops.fetch_add(new_drops, std::memory_order_relaxed);
    Drop("receive_buffer_full", new_drops);
  }
  if (bytes > 0) handler->OnLines(lines, bytes);
}

// Datagrams the kernel dropped since the previous datagram, from the
// message's SO_RXQ_OVFL count.
std::uint32_t LineListener::Impl::KernelDropsBefore([[maybe_unused]] msghdr& message) {
  std::uint32_t new_drops = 0;
#ifdef SO_RXQ_OVFL
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      // The socket's cumulative 32-bit drop count when this datagram was
      // queued; the difference survives wrap-around.
      std::uint32_t count;
      std::memcpy(&count, CMSG_DATA(c), sizeof(count));
      new_drops += count - last_drop_count;
      last_drop_count = count;
    }
  }
#endif
  return new_drops;
}

void LineListener::Impl::RunTcp() {
  read_buffer.reset(new char[kTcpReadChunk]);
  while (!stopping.load(std::memory_order_relaxed)) {
    const bool accepting = Clock::now() >= accept_paused_until;
    FillPollSet(accepting);
    if (poll(poll_fds.data(), poll_fds.size(), PollTimeout(accepting)) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("tcp listener {}: poll: {}", options.address, ErrnoText(errno));
      break;
    }
    if (poll_fds[0].revents != 0) break;
    ReadConnections();
    if (poll_fds[1].revents != 0) AcceptConnections();
    CloseIdleConnections();
    open_connections.store(connections.size());
  }
  CloseConnections();
}

// The wake-up fd, the listening socket (left out while accepting is paused)
// and every connection, in the order of `connections`.
void LineListener::Impl::FillPollSet(bool accepting) {
  poll_fds.clear();
  poll_fds.push_back({wake_fd, POLLIN, 0});
  poll_fds.push_back({accepting ? socket_fd : -1, POLLIN, 0});
  for (const Connection& c : connections) poll_fds.push_back({c.fd, POLLIN, 0});
}

// Until the backoff after a failed accept ends, or the first connection's
// idle_timeout, whichever is sooner; -1 (forever) when neither applies.
int LineListener::Impl::PollTimeout(bool accepting) const {
  using std::chrono::milliseconds;
  std::optional<Clock::time_point> until;
  if (!accepting) until = accept_paused_until;
  if (options.idle_timeout.count() > 0) {
    for (const Connection& c : connections) {
      const Clock::time_point deadline = c.last_active + options.idle_timeout;
      if (!until || deadline < *until) until = deadline;
    }
  }
  if (!until) return -1;
  const auto wait = std::chrono::ceil<milliseconds>(*until - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(wait, 0, INT_MAX));
}

// Closes the connections silent for idle_timeout, freeing their slots. Not
// a client's error, unless it left a line unfinished.
void LineListener::Impl::CloseIdleConnections() {
  if (options.idle_timeout.count() <= 0 || connections.empty()) return;
  const Clock::time_point now = Clock::now();
  std::size_t closed = 0;
  for (Connection& c : connections) {
    if (now - c.last_active < options.idle_timeout) continue;
    if (c.framer.holding_line()) Drop("unterminated", 1);
    close(c.fd);
    c.fd = -1;
    ++closed;
  }
  if (closed == 0) return;
  std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
  if (auto suppressed = log_limiter.Allow("idle")) {
    spdlog::info(
        "tcp listener {}: closed {} connection(s) idle for {} ms (idle_timeout; {} similar "
        "messages suppressed)",
        options.address, closed, options.idle_timeout.count(), *suppressed);
  }
}

// One read per ready connection per turn keeps busy clients fair.
void LineListener::Impl::ReadConnections() {
  bool closed_any = false;
  for (std::size_t i = 0; i < connections.size(); ++i) {
    if (poll_fds[i + 2].revents != 0 && !ReadConnection(connections[i])) closed_any = true;
  }
  if (closed_any) {
    std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
  }
}

// Reads once from `c` and hands over the lines it completes. Returns false
// when the connection ended (then closed, its fd set to -1).
bool LineListener::Impl::ReadConnection(Connection& c) {
  const ssize_t n = read(c.fd, read_buffer.get(), kTcpReadChunk);
  if (n > 0) {
    c.last_active = Clock::now();
    lines.clear();
    const std::size_t too_long =
        c.framer.Frame(std::string_view(read_buffer.get(), static_cast<std::size_t>(n)), lines);
    for (std::size_t i = 0; i < too_long; ++i) Drop("too_large", 1);
    handler->OnLines(lines, static_cast<std::size_t>(n));
    if (!c.framer.broken()) return true;
    Drop("bad_frame", 1);
    close(c.fd);
    c.fd = -1;
    return false;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  if (n < 0) {
    Drop("read_error", 1, ErrnoText(errno));
  } else if (c.framer.holding_line()) {
    Drop("unterminated", 1);
  }
  close(c.fd);
  c.fd = -1;
  return false;
}

void LineListener::Impl::AcceptConnections() {
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    const int fd = accept4(socket_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays
      // queued and the socket readable; retry later instead of spinning.
      if (auto suppressed = log_limiter.Allow("accept")) {
        spdlog::warn("tcp listener {}: accept: {} ({} similar suppressed)", options.address,
                     ErrnoText(errno), *suppressed);
      }
      accept_paused_until = Clock::now() + kAcceptBackoff;
      return;
    }
    if (connections.size() >= options.max_connections) {
      Drop("connection_limit", 1);
      close(fd);
      continue;
    }
    AddConnection(fd);
  }
}

void LineListener::Impl::AddConnection(int fd) {
  // Dead peers (no FIN: a crashed host, a dropped NAT entry) would hold a
  // connection slot forever; keepalive finds them in about 2 minutes.
  int on = 1, idle = 60, interval = 10, count = 6;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  connections.push_back(Connection{fd, LineFramer(ListenerFraming(options)), Clock::now()});
}

// Shutdown: held partial lines are dropped silently (not a client's fault).
void LineListener::Impl::CloseConnections() {
  for (Connection& c : connections) close(c.fd);
  connections.clear();
  open_connections.store(0);
}

LineFramer::Options ListenerFraming(const ListenerOptions& options) {
  return {.framing = options.protocol == ListenerOptions::Protocol::kTcp
                         ? options.framing
                         : LineFramer::Framing::kNewline,
          .max_line_bytes = options.max_line_bytes,
          .strip_cr = true,
          .skip_empty = true};
}

namespace {

// Asks for the receive buffer `options` wants; if the kernel caps it at
// net.core.rmem_max, asks again with SO_RCVBUFFORCE, which only
// CAP_NET_ADMIN may use. Returns the size granted (logged when smaller).
std::size_t SizeUdpReceiveBuffer(int fd, const ListenerOptions& options) {
  const int want =
      static_cast<int>(std::min<std::size_t>(options.udp_receive_buffer_bytes, INT_MAX / 2));
  int got = 0;
  socklen_t len = sizeof(got);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
  if (got < want) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want));
    len = sizeof(got);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
  }
  if (got < want) {
    spdlog::info(
        "udp listener {}: receive buffer {} bytes (asked for {}; raise "
        "net.core.rmem_max to allow more)",
        options.address, got, want);
  }
  return static_cast<std::size_t>(std::max(got, 0));
}

// The port `fd` is bound to, or -1 with errno set.
int BoundPort(int fd) {
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) return -1;
  return ntohs(bound.ss_family == AF_INET6
                   ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                   : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

}  // namespace

std::unique_ptr<LineListener> LineListener::Start(ListenerOptions options, LineHandler* handler,
                                                  std::string* error) {
  const bool udp = options.protocol == ListenerOptions::Protocol::kUdp;
  const std::string prefix = std::string("listen ") + (udp ? "udp " : "tcp ") + options.address;
  auto fail = [&](const std::string& why) {
    *error = prefix + ": " + why;
    return nullptr;
  };
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string why;
  if (!ParseAddress(options.address, &address, &address_length, &why)) return fail(why);

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = handler;
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd < 0) return fail("eventfd: " + ErrnoText(errno));
  impl->socket_fd =
      socket(address.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (impl->socket_fd < 0) return fail("socket: " + ErrnoText(errno));
  const int fd = impl->socket_fd;
  const int on = 1;
  if (udp) {
    impl->receive_buffer = SizeUdpReceiveBuffer(fd, impl->options);
#ifdef SO_RXQ_OVFL
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
#endif
  } else {
    // A restarted adapter must not wait for old connections' TIME_WAIT.
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), address_length) != 0) {
    return fail(ErrnoText(errno));
  }
  if (!udp && listen(fd, SOMAXCONN) != 0) return fail(ErrnoText(errno));
  impl->port = BoundPort(fd);
  if (impl->port < 0) return fail("getsockname: " + ErrnoText(errno));
  // Its descriptors (the socket, the wake-up eventfd, every connection it
  // may hold) are kept from what followed files may take.
  impl->reserved_fds = 2 + (udp ? 0 : impl->options.max_connections);
  FdBudget::Process().Reserve(impl->reserved_fds);
  Impl* raw = impl.get();
  try {
    impl->thread = std::thread([raw, udp] { udp ? raw->RunUdp() : raw->RunTcp(); });
  } catch (const std::system_error& e) {
    return fail(std::string("cannot start thread: ") + e.what());
  }
  return std::unique_ptr<LineListener>(new LineListener(std::move(impl)));
}

LineListener::LineListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LineListener::~LineListener() {
  impl_->stopping.store(true);
  std::uint64_t one = 1;
  // Cannot fail short of a bug: the counter is far from overflowing.
  [[maybe_unused]] ssize_t n = write(impl_->wake_fd, &one, sizeof(one));
  impl_->thread.join();
}

int LineListener::port() const { return impl_->port; }

std::uint64_t LineListener::kernel_drops() const {
  return impl_->kernel_drops.load(std::memory_order_relaxed);
}

std::size_t LineListener::receive_buffer_bytes() const { return impl_->receive_buffer; }

std::size_t LineListener::open_connections() const { return impl_->open_connections.load(); }

}  // namespace metrics_adapter
