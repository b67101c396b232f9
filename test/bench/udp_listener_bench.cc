// UDP listener throughput: StatsD lines sent over loopback to a LineListener
// as fast as one sender thread can (sendmmsg, 64 datagrams per call), or at a
// fixed packet rate, then the figures: what was sent, what arrived, how fast,
// and what was lost (sent - received, and the kernel's own drop count).
//
// A live run measures the slower of sender and receiver. So a second phase
// measures the receiver alone: with the handler held, the receive buffer is
// filled, then released and timed while the listener drains it.
//
// The handler only counts, so this measures the listener (recvmmsg, line
// splitting, one handler call per batch), not the StatsD parser or the rule
// pipeline behind it (see pipeline_bench for those).
//
// Usage:
//   udp_listener_bench [--lines 1000000] [--lines-per-packet 10]
//                      [--rcvbuf 4194304] [--rate PACKETS_PER_SECOND]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "adapter/sources/line_listener.h"

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;

class CountingHandler : public LineHandler {
 public:
  void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override {
    if (held_.load(std::memory_order_acquire)) {
      entered_.store(true);
      while (held_.load(std::memory_order_acquire)) {
      }
    }
    auto now = Clock::now().time_since_epoch().count();
    Clock::rep unset = 0;
    first_ns_.compare_exchange_strong(unset, now, std::memory_order_relaxed);
    last_ns_.store(now, std::memory_order_relaxed);
    lines_.fetch_add(lines.size(), std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    calls_.fetch_add(1, std::memory_order_relaxed);
  }
  void OnDrop(std::string_view reason, std::uint64_t count) override {
    // The kernel's drops are printed from LineListener::kernel_drops().
    if (reason != "receive_buffer_full") drops_.fetch_add(count, std::memory_order_relaxed);
  }

  // Makes the next OnLines call spin until Release(), first resetting the clock.
  void Hold() {
    first_ns_.store(0);
    entered_.store(false);
    held_.store(true);
  }
  bool entered() const { return entered_.load(); }
  void Release() { held_.store(false, std::memory_order_release); }

  std::uint64_t lines() const { return lines_.load(); }
  std::uint64_t calls() const { return calls_.load(); }
  std::uint64_t drops() const { return drops_.load(); }
  double receive_seconds() const {
    return std::chrono::duration<double>(Clock::duration(last_ns_.load() - first_ns_.load()))
        .count();
  }

 private:
  std::atomic<bool> held_{false};
  std::atomic<bool> entered_{false};
  std::atomic<Clock::rep> first_ns_{0};
  std::atomic<Clock::rep> last_ns_{0};
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> drops_{0};
};

struct Args {
  std::uint64_t lines = 1'000'000;
  int lines_per_packet = 10;
  std::size_t rcvbuf = 4 << 20;
  double rate = 0;  // packets per second; 0: as fast as possible
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    double value = std::atof(argv[i + 1]);
    if (flag == "--lines") {
      args.lines = static_cast<std::uint64_t>(value);
    } else if (flag == "--lines-per-packet") {
      args.lines_per_packet = static_cast<int>(value);
    } else if (flag == "--rcvbuf") {
      args.rcvbuf = static_cast<std::size_t>(value);
    } else if (flag == "--rate") {
      args.rate = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return args;
}

int Main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  CountingHandler handler;
  ListenerOptions options;
  options.protocol = ListenerOptions::Protocol::kUdp;
  options.address = "127.0.0.1:0";
  options.udp_receive_buffer_bytes = args.rcvbuf;
  std::string error;
  auto listener = LineListener::Start(options, &handler, &error);
  if (!listener) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }

  // 64 distinct datagrams of lines_per_packet typical StatsD lines each.
  constexpr int kBatch = 64;
  std::vector<std::string> datagrams(kBatch);
  for (int d = 0; d < kBatch; ++d) {
    for (int l = 0; l < args.lines_per_packet; ++l) {
      datagrams[d] += "app.requests." + std::to_string(d) + "_" + std::to_string(l) +
                      ":1|c|#route:/api/v1/items,code:200\n";
    }
  }
  const std::uint64_t packets = args.lines / args.lines_per_packet;

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(listener->port()));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<iovec> iovs(kBatch);
  std::vector<mmsghdr> messages(kBatch);
  for (int d = 0; d < kBatch; ++d) {
    iovs[d] = {datagrams[d].data(), datagrams[d].size()};
    messages[d] = {};
    messages[d].msg_hdr.msg_name = &to;
    messages[d].msg_hdr.msg_namelen = sizeof(to);
    messages[d].msg_hdr.msg_iov = &iovs[d];
    messages[d].msg_hdr.msg_iovlen = 1;
  }

  // Paced sending sends the same batches, spaced to the rate.
  const auto batch_interval = args.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                  std::chrono::duration<double>(kBatch / args.rate))
                                            : Clock::duration::zero();
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  const auto send_start = Clock::now();
  auto next_batch = send_start;
  while (sent < packets) {
    if (args.rate > 0) {
      while (Clock::now() < next_batch) {
      }
      next_batch += batch_interval;
    }
    unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(kBatch, packets - sent));
    int rc = sendmmsg(fd, messages.data(), n, 0);
    if (rc <= 0) {
      ++send_errors;  // ENOBUFS and the like: try again
      continue;
    }
    sent += static_cast<std::uint64_t>(rc);
  }
  const double send_seconds = std::chrono::duration<double>(Clock::now() - send_start).count();

  // Waits until `want` lines arrived, or none arrived for 200 ms.
  auto wait_for_lines = [&](std::uint64_t want) {
    std::uint64_t seen = handler.lines();
    auto last_progress = Clock::now();
    while (seen < want && Clock::now() - last_progress < std::chrono::milliseconds(200)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (std::uint64_t now = handler.lines(); now != seen) {
        seen = now;
        last_progress = Clock::now();
      }
    }
  };
  wait_for_lines(sent * args.lines_per_packet);
  const std::uint64_t received_lines = handler.lines();
  const std::uint64_t received_packets = received_lines / args.lines_per_packet;
  const double receive_seconds = handler.receive_seconds();
  const std::uint64_t kernel_drops = listener->kernel_drops();
  const std::uint64_t calls = handler.calls();
  const std::size_t receive_buffer = listener->receive_buffer_bytes();

  // Drain phase: one datagram gets the thread into the held handler, then as
  // many as the buffer takes are queued (the kernel drops the rest), then the
  // listener drains them.
  handler.Hold();
  const std::uint64_t before = handler.lines();
  const std::uint64_t drops_before = listener->kernel_drops();
  sendmmsg(fd, messages.data(), 1, 0);
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  while (!handler.entered() && Clock::now() < give_up) {
  }
  std::uint64_t queued = 0;
  for (int i = 0; i < 200; ++i) {
    int rc = sendmmsg(fd, messages.data(), kBatch, 0);
    if (rc > 0) queued += static_cast<std::uint64_t>(rc);
  }
  handler.Release();
  wait_for_lines(before + (1 + queued) * args.lines_per_packet);
  // The kernel only reports drops with a later datagram, which is not needed:
  // whatever arrived after the release was queued before it.
  const std::uint64_t drained = (handler.lines() - before) / args.lines_per_packet - 1;
  const double drain_seconds = handler.receive_seconds();
  (void)drops_before;
  close(fd);
  listener.reset();

  std::printf("receive buffer:   %zu bytes granted (asked for %zu)\n", receive_buffer, args.rcvbuf);
  std::printf("datagram:         %d lines, %zu bytes\n", args.lines_per_packet,
              datagrams[0].size());
  std::printf("sent:             %llu packets, %llu lines in %.3f s = %.0f packets/s%s\n",
              static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(sent * args.lines_per_packet), send_seconds,
              sent / send_seconds, args.rate > 0 ? " (paced)" : " (unpaced)");
  std::printf(
      "received:         %llu packets, %llu lines in %.3f s = %.0f packets/s, %.0f lines/s\n",
      static_cast<unsigned long long>(received_packets),
      static_cast<unsigned long long>(received_lines), receive_seconds,
      received_packets / receive_seconds, received_lines / receive_seconds);
  std::printf("handler calls:    %llu (%.1f packets per call)\n",
              static_cast<unsigned long long>(calls),
              calls ? static_cast<double>(received_packets) / calls : 0.0);
  std::printf(
      "dropped:          %llu packets (%.2f%%); kernel says %llu; send errors %llu; "
      "handler drops %llu\n",
      static_cast<unsigned long long>(sent - received_packets),
      100.0 * (sent - received_packets) / sent, static_cast<unsigned long long>(kernel_drops),
      static_cast<unsigned long long>(send_errors),
      static_cast<unsigned long long>(handler.drops()));
  std::printf(
      "receiver alone:   %llu queued packets drained in %.4f s = %.0f packets/s, "
      "%.0f lines/s\n",
      static_cast<unsigned long long>(drained), drain_seconds, drained / drain_seconds,
      drained * args.lines_per_packet / drain_seconds);
  return 0;
}

}  // namespace
}  // namespace metrics_adapter

int main(int argc, char** argv) { return metrics_adapter::Main(argc, argv); }
