// LineListener receives line protocols pushed to the adapter — StatsD over
// UDP, Graphite plaintext over TCP — and hands complete lines to a
// LineHandler, in batches, from one thread per listener.
//
// UDP: each datagram is split into lines (StatsD clients pack several metrics
// per datagram, separated by \n); the last line needs no \n. Datagrams are
// read 64 at a time with recvmmsg(2) into buffers allocated once, and the
// lines of a whole batch go to the handler in one call, so a packet costs no
// allocation and no per-packet call. A datagram longer than max_line_bytes is
// dropped whole (its lines cannot be trusted to be complete).
//
// TCP: one poll(2) loop over the listening socket and every connection. Each
// connection has its own LineFramer (line_framer.h): a partial line is held
// until its \n arrives; a line longer than max_line_bytes is skipped up to the
// next \n and reported once. An unterminated line left when a connection ends is dropped
// and reported ("unterminated"), as Graphite's carbon does: a client that dies
// mid-write would otherwise deliver a cut-off value as if it were whole. A
// connection beyond max_connections is accepted and closed at once (reported
// as "connection_limit") rather than left in the backlog, so that the client
// sees an error and reconnects later instead of writing into the void. A
// connection that sends nothing for idle_timeout is closed, freeing its slot:
// clients that connect and go quiet (or leak their sockets) cannot lock the
// others out for good. Each ready connection gets one read per loop turn, so
// a busy client cannot starve the others. Every drop is also logged, at most
// once a minute per reason, with how many were suppressed in between.
//
// Both: empty lines are skipped and a trailing \r is stripped. The handler
// runs on the listener's thread: while it runs, datagrams queue in the
// socket's receive buffer (udp_receive_buffer_bytes) — those that do not fit
// are dropped by the kernel, which says how many (SO_RXQ_OVFL), and are
// reported as "receive_buffer_full" — and TCP clients are flow-controlled.
//
// Usage:
//   class Counter : public LineHandler {
//     void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override {
//       for (std::string_view line : lines) parser.Parse(line, sink);
//     }
//     void OnDrop(std::string_view reason, std::uint64_t count) override {
//       drops.Add(reason, count);
//     }
//   } handler;
//   std::string error;
//   auto listener = LineListener::Start({.protocol = ListenerOptions::Protocol::kUdp,
//                                        .address = ":8125"}, &handler, &error);
//   if (!listener) { spdlog::critical("{}", error); return 1; }
//   ...
//   listener.reset();  // stops the thread; no handler call after this returns
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "adapter/sources/line_framer.h"
#include "adapter/sources/line_sink.h"

namespace metrics_adapter {

// Receives the output of a LineListener.
//
// OnLines (see LineSink): complete lines (without \n; a trailing \r stripped;
// never empty), valid during the call only. `bytes`: the bytes received that
// this call accounts for — UDP: the batch's datagrams, TCP: one read from one
// connection, including the start of a line whose end is still to come — so
// that the sum over all calls is the bytes received (less datagrams dropped
// whole). `lines` may therefore be empty. Called from the listener's thread
// only.
class LineHandler : public virtual LineSink {
 public:
  // `count` datagrams, lines or connections were dropped; `reason` is one of
  // a fixed set, for a metric label:
  //   "too_large"            a datagram or a line over max_line_bytes
  //   "read_error"           a receive failed (TCP: the connection is closed)
  //   "unterminated"         TCP: a connection ended inside a line or frame
  //   "bad_frame"            TCP: an octet-counted frame's length was not a
  //                          number; the connection is closed
  //   "connection_limit"     TCP: a connection over max_connections was refused
  //   "receive_buffer_full"  UDP: datagrams the kernel dropped because the
  //                          receive buffer was full (see kernel_drops())
  // Only "receive_buffer_full" reports more than 1 at a time. Called from the
  // listener's thread only.
  virtual void OnDrop(std::string_view reason, std::uint64_t count) = 0;
};

struct ListenerOptions {
  enum class Protocol { kUdp, kTcp };
  Protocol protocol = Protocol::kUdp;
  // "127.0.0.1:8125", "[::1]:8125", ":8125" (all IPv4 interfaces), or a name
  // resolved once at start. Port 0 picks a free port; see port().
  std::string address;
  // Longest line (not counting its \n) for TCP, longest datagram for UDP.
  std::size_t max_line_bytes = std::size_t{64} * 1024;
  // How each TCP connection is framed: newline, octet counting (RFC 6587:
  // syslog's `LEN SP MSG`), or auto (decided per connection by its first
  // byte). A connection whose octet counting breaks is closed ("bad_frame").
  // UDP: each datagram is split at newlines, whatever this says.
  LineFramer::Framing framing = LineFramer::Framing::kNewline;
  // Concurrent TCP connections; more are accepted and closed at once. Each
  // holds a file descriptor: a running listener keeps this many (and 2) from
  // what followed files may take (fd_budget.h).
  std::size_t max_connections = 64;
  // A TCP connection that sends nothing for this long is closed (a partial
  // line it holds is dropped as "unterminated"); 0: never. A client that
  // writes again after the close loses what it writes before it sees the
  // reset, so this is longer than any sane client's pause between batches.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
  // SO_RCVBUF to ask for: the datagrams that may queue while the thread is
  // busy. The kernel caps the request at net.core.rmem_max unless the process
  // has CAP_NET_ADMIN (then SO_RCVBUFFORCE is used); see receive_buffer_bytes().
  std::size_t udp_receive_buffer_bytes = 4 << 20;
};

// How a TCP connection is framed: newline or octet counting as configured, a
// '\r' before the '\n' stripped, empty lines left out, over-long ones dropped. (A UDP datagram is
// split the same way, its limit applying to the whole datagram.)
LineFramer::Options ListenerFraming(const ListenerOptions& options);

class LineListener {
 public:
  // Binds (synchronously, so that errors are returned here) and starts one
  // thread serving the socket. Returns null with *error set on failure, e.g.
  // "listen udp 127.0.0.1:8125: Address already in use".
  static std::unique_ptr<LineListener> Start(ListenerOptions options, LineHandler* handler,
                                             std::string* error);

  // Stops promptly — an eventfd in every poll set wakes the thread, which
  // otherwise only waits for a handler call to return — joins the thread and
  // closes the sockets, including open TCP connections (their partial lines
  // are dropped silently: this is a shutdown, not a client's fault).
  ~LineListener();

  LineListener(const LineListener&) = delete;
  LineListener& operator=(const LineListener&) = delete;

  // The bound port (the kernel's choice when asked for port 0).
  int port() const;

  // Datagrams the kernel dropped because the receive buffer was full, as
  // counted by SO_RXQ_OVFL (Linux); 0 where the platform does not tell. The
  // kernel reports the count with the next datagram that does get queued, so
  // drops show up once traffic resumes; the handler is told at the same time,
  // as OnDrop("receive_buffer_full", n). Thread-safe.
  std::uint64_t kernel_drops() const;

  // UDP: the receive buffer the kernel actually granted (Linux reports twice
  // the payload it allows, for bookkeeping overhead). 0 for TCP.
  std::size_t receive_buffer_bytes() const;

  // Connections currently open (TCP), for tests and a gauge. Thread-safe.
  std::size_t open_connections() const;

 private:
  struct Impl;
  explicit LineListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace metrics_adapter
