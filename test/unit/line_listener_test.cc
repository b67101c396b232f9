// Tests for LineListener over real UDP and TCP sockets on 127.0.0.1, with
// the listener on port 0. Every wait is a bounded wait on a condition the
// handler signals, never a sleep.
//
// Exact UDP counts: loopback UDP does not lose datagrams in transit, only
// when the receive buffer is full. The bulk test therefore sends in windows
// small enough to fit the buffer and waits for each window to arrive before
// sending the next, which makes its exact counts a guarantee rather than
// luck. The drop test does the opposite on purpose (a tiny buffer and a
// handler that holds the thread) and checks the kernel's drop count, and
// that the handler is told the same count.
#include "adapter/sources/line_listener.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPatience = std::chrono::seconds(10);

// Records everything the listener hands over; tests wait on it.
class Recorder : public LineHandler {
 public:
  void OnLines(std::span<const std::string_view> lines, std::size_t bytes) override {
    std::unique_lock lock(mu_);
    for (std::string_view line : lines) lines_.emplace_back(line);
    bytes_ += bytes;
    cv_.notify_all();
    // A test may hold the listener's thread here.
    cv_.wait_for(lock, kPatience, [&] { return !hold_; });
  }

  void OnDrop(std::string_view reason, std::uint64_t count) override {
    std::lock_guard lock(mu_);
    drops_[std::string(reason)] += count;
    cv_.notify_all();
  }

  // Waits (bounded) until `done()` holds; evaluated under the lock.
  bool WaitUntil(const std::function<bool()>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, done);
  }

  bool WaitForLines(std::size_t n) {
    return WaitUntil([&] { return lines_.size() >= n; });
  }
  bool WaitForBytes(std::size_t n) {
    return WaitUntil([&] { return bytes_ >= n; });
  }
  bool WaitForDrops(const std::string& reason, std::uint64_t n) {
    return WaitUntil([&] { return Drops(reason) >= n; });
  }
  // Waits up to `patience` for the last line received to be `line`.
  bool WaitForLastLine(const std::string& line, std::chrono::milliseconds patience) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, patience, [&] { return !lines_.empty() && lines_.back() == line; });
  }

  // The next OnLines call blocks until Release().
  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }

  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::size_t line_count() {
    std::lock_guard lock(mu_);
    return lines_.size();
  }
  std::size_t bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  std::uint64_t drops(const std::string& reason) {
    std::lock_guard lock(mu_);
    return Drops(reason);
  }
  std::uint64_t total_drops() {
    std::lock_guard lock(mu_);
    std::uint64_t n = 0;
    for (const auto& [reason, count] : drops_) n += count;
    return n;
  }

 private:
  std::uint64_t Drops(const std::string& reason) const {
    auto it = drops_.find(reason);
    return it == drops_.end() ? 0 : it->second;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::size_t bytes_ = 0;
  std::map<std::string, std::uint64_t> drops_;
  bool hold_ = false;
};

std::unique_ptr<LineListener> StartListener(ListenerOptions options, LineHandler* handler) {
  if (options.address.empty()) options.address = "127.0.0.1:0";
  std::string error;
  auto listener = LineListener::Start(options, handler, &error);
  INFO(error);
  REQUIRE(listener != nullptr);
  REQUIRE(listener->port() > 0);
  return listener;
}

ListenerOptions Udp() {
  ListenerOptions options;
  options.protocol = ListenerOptions::Protocol::kUdp;
  return options;
}

ListenerOptions Tcp() {
  ListenerOptions options;
  options.protocol = ListenerOptions::Protocol::kTcp;
  return options;
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

class UdpSender {
 public:
  explicit UdpSender(int port) : addr_(Loopback(port)) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
  }
  ~UdpSender() { close(fd_); }
  void Send(std::string_view datagram) {
    ssize_t n = sendto(fd_, datagram.data(), datagram.size(), 0,
                       reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    REQUIRE(n == static_cast<ssize_t>(datagram.size()));
  }

 private:
  sockaddr_in addr_;
  int fd_ = -1;
};

class TcpClient {
 public:
  explicit TcpClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr = Loopback(port);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~TcpClient() { Close(); }
  void Write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // True if the server closed the connection (EOF or reset) within the
  // patience; data the server never sends is not expected.
  bool ClosedByServer() {
    const auto give_up = Clock::now() + kPatience;
    while (Clock::now() < give_up) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      ssize_t n = recv(fd_, &c, 1, 0);
      if (n <= 0) return true;
    }
    return false;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// For state the handler is not told about (open connections): checks every
// millisecond, for at most kPatience.
bool Eventually(const std::function<bool()>& done) {
  const auto give_up = Clock::now() + kPatience;
  while (!done()) {
    if (Clock::now() >= give_up) return false;
    pollfd none{-1, 0, 0};
    poll(&none, 1, 1);
  }
  return true;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST_CASE("UDP: a datagram holds several lines") {
  Recorder recorder;
  auto listener = StartListener(Udp(), &recorder);
  UdpSender sender(listener->port());
  const std::string first = "a:1|c\nb:2|ms\r\nc:3|g";  // the last line needs no \n
  const std::string second = "\n\nd:4|c\n";            // empty lines are skipped
  sender.Send(first);
  sender.Send(second);
  REQUIRE(recorder.WaitForLines(4));
  REQUIRE(recorder.WaitForBytes(first.size() + second.size()));
  CHECK(recorder.lines() == std::vector<std::string>{"a:1|c", "b:2|ms", "c:3|g", "d:4|c"});
  CHECK(recorder.bytes() == first.size() + second.size());
  CHECK(recorder.total_drops() == 0);
}

TEST_CASE("UDP: a datagram over the limit is dropped whole and reported") {
  Recorder recorder;
  ListenerOptions options = Udp();
  options.max_line_bytes = 100;
  auto listener = StartListener(options, &recorder);
  UdpSender sender(listener->port());
  sender.Send(std::string(101, 'x'));
  sender.Send("x:1|c\n" + std::string(200, 'y'));          // lines that fit do not save it
  const std::string fits = std::string(96, 'z') + ":1|c";  // exactly 100
  sender.Send(fits);
  REQUIRE(recorder.WaitForLines(1));
  REQUIRE(recorder.WaitForDrops("too_large", 2));
  CHECK(recorder.lines() == std::vector<std::string>{fits});
  CHECK(recorder.drops("too_large") == 2);
  CHECK(recorder.bytes() == 100);
}

TEST_CASE("UDP: 10000 datagrams arrive exactly, in windows that fit the buffer") {
  Recorder recorder;
  auto listener = StartListener(Udp(), &recorder);
  // A small datagram costs well under 4 KiB of buffer (its skb's truesize);
  // the window below needs at most 64 * 4 KiB.
  constexpr int kWindow = 64;
  REQUIRE(listener->receive_buffer_bytes() >= kWindow * 4096);
  constexpr int kPackets = 10000;
  constexpr int kLinesPerPacket = 3;
  UdpSender sender(listener->port());
  std::size_t bytes = 0;
  for (int sent = 0; sent < kPackets;) {
    for (int i = 0; i < kWindow && sent < kPackets; ++i, ++sent) {
      std::string datagram;
      for (int l = 0; l < kLinesPerPacket; ++l) {
        datagram += "m" + std::to_string(sent) + "_" + std::to_string(l) + ":1|c\n";
      }
      bytes += datagram.size();
      sender.Send(datagram);
    }
    REQUIRE(recorder.WaitForLines(static_cast<std::size_t>(sent) * kLinesPerPacket));
  }
  CHECK(recorder.line_count() == kPackets * kLinesPerPacket);
  CHECK(recorder.bytes() == bytes);
  CHECK(listener->kernel_drops() == 0);
  CHECK(recorder.total_drops() == 0);
  // Each line exactly once.
  std::vector<std::string> lines = recorder.lines();
  std::set<std::string> unique(lines.begin(), lines.end());
  CHECK(unique.size() == lines.size());
  CHECK(unique.count("m0_0:1|c") == 1);
  CHECK(unique.count("m9999_2:1|c") == 1);
}

TEST_CASE("UDP: datagrams the kernel drops for a full buffer are counted") {
  Recorder recorder;
  ListenerOptions options = Udp();
  options.udp_receive_buffer_bytes = 1;  // the kernel's minimum: a handful of datagrams
  auto listener = StartListener(options, &recorder);
  UdpSender sender(listener->port());
  // Hold the listener's thread in the handler so nothing drains the buffer.
  recorder.Hold();
  sender.Send("first:1|c");
  REQUIRE(recorder.WaitForLines(1));
  constexpr int kBurst = 200;
  for (int i = 0; i < kBurst; ++i) sender.Send("burst:1|c");
  recorder.Release();
  // The kernel reports the drop count with the next datagram it queues. A
  // marker sent while the buffer is still full is dropped too (and counted),
  // so send numbered markers until the latest one arrives: then nothing is in
  // flight, and everything sent before it was queued before it (and so
  // received) or dropped (and so in the count it carries).
  int sent = 1 + kBurst;
  bool marker_arrived = false;
  for (int attempt = 0; attempt < 100 && !marker_arrived; ++attempt) {
    const std::string marker = "marker" + std::to_string(attempt) + ":1|c";
    sender.Send(marker);
    ++sent;
    marker_arrived = recorder.WaitForLastLine(marker, std::chrono::milliseconds(100));
  }
  REQUIRE(marker_arrived);
  const std::size_t received = recorder.line_count();
  CHECK(listener->kernel_drops() > 0);
  // Everything sent before the marker was either received or dropped.
  CHECK(received + listener->kernel_drops() == static_cast<std::size_t>(sent));
  // The handler was told of every drop, by the kernel's deltas, before the
  // lines of the datagram that carried the count: the metric is exact.
  CHECK(recorder.drops("receive_buffer_full") == listener->kernel_drops());
  CHECK(recorder.total_drops() == listener->kernel_drops());
}

TEST_CASE("TCP: a line split across writes is held until its newline") {
  Recorder recorder;
  auto listener = StartListener(Tcp(), &recorder);
  TcpClient client(listener->port());
  client.Write("foo");
  REQUIRE(recorder.WaitForBytes(3));  // read, held, no line yet
  CHECK(recorder.line_count() == 0);
  client.Write("bar\nba");
  REQUIRE(recorder.WaitForBytes(9));
  CHECK(recorder.lines() == std::vector<std::string>{"foobar"});
  client.Write("z\r\n\nqux 1 2\n");
  REQUIRE(recorder.WaitForLines(3));
  CHECK(recorder.lines() == std::vector<std::string>{"foobar", "baz", "qux 1 2"});
  CHECK(recorder.total_drops() == 0);
}

TEST_CASE("TCP: connections keep their own partial lines") {
  Recorder recorder;
  auto listener = StartListener(Tcp(), &recorder);
  std::vector<std::unique_ptr<TcpClient>> clients;
  std::size_t bytes = 0;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<TcpClient>(listener->port()));
    std::string start = "c" + std::to_string(i) + "-start";
    clients.back()->Write(start);
    bytes += start.size();
    REQUIRE(recorder.WaitForBytes(bytes));
  }
  CHECK(listener->open_connections() == 3);
  for (int i = 2; i >= 0; --i) clients[i]->Write("-end\n");
  REQUIRE(recorder.WaitForLines(3));
  std::vector<std::string> lines = recorder.lines();
  CHECK(std::set<std::string>(lines.begin(), lines.end()) ==
        std::set<std::string>{"c0-start-end", "c1-start-end", "c2-start-end"});
}

TEST_CASE("TCP: many lines from several connections arrive exactly") {
  Recorder recorder;
  auto listener = StartListener(Tcp(), &recorder);
  constexpr int kClients = 4;
  constexpr int kLines = 5000;
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(std::make_unique<TcpClient>(listener->port()));
  }
  // Interleaved writes of uneven sizes, so lines straddle reads.
  std::vector<std::string> streams(kClients);
  for (int c = 0; c < kClients; ++c) {
    for (int i = 0; i < kLines; ++i) {
      streams[c] += "client" + std::to_string(c) + ".line " + std::to_string(i) + " 1700000000\n";
    }
  }
  std::vector<std::size_t> offsets(kClients, 0);
  for (bool more = true; more;) {
    more = false;
    for (int c = 0; c < kClients; ++c) {
      std::size_t n = std::min<std::size_t>(777 + 100 * c, streams[c].size() - offsets[c]);
      clients[c]->Write(std::string_view(streams[c]).substr(offsets[c], n));
      offsets[c] += n;
      more = more || offsets[c] < streams[c].size();
    }
  }
  REQUIRE(recorder.WaitForLines(kClients * kLines));
  std::vector<std::string> lines = recorder.lines();
  CHECK(lines.size() == kClients * kLines);
  // Per connection, lines arrive in order.
  std::vector<int> next(kClients, 0);
  bool in_order = true;
  for (const std::string& line : lines) {
    int c = line[6] - '0';
    in_order = in_order && line == "client" + std::to_string(c) + ".line " +
                                       std::to_string(next[c]++) + " 1700000000";
  }
  CHECK(in_order);
}

TEST_CASE("TCP: an over-long line is skipped to its newline and reported once") {
  Recorder recorder;
  ListenerOptions options = Tcp();
  options.max_line_bytes = 16;
  auto listener = StartListener(options, &recorder);
  TcpClient client(listener->port());
  std::size_t bytes = 0;
  auto write = [&](const std::string& data) {
    client.Write(data);
    bytes += data.size();
    REQUIRE(recorder.WaitForBytes(bytes));  // one read per write
  };
  write("ok1\n" + std::string(10, 'x'));
  write(std::string(10, 'x'));  // now 20 held: over the limit
  CHECK(recorder.drops("too_large") == 1);
  write(std::string(30, 'x'));  // still the same line: not reported again
  write("xx\nok2\n");
  write(std::string(20, 'y') + "\n" + std::string(16, 's') + "\n");  // whole, in one read
  write("abc");
  write(std::string(20, 'z') + "\nok3\n");  // a held start that grows too long
  CHECK(recorder.lines() == std::vector<std::string>{"ok1", "ok2", std::string(16, 's'), "ok3"});
  CHECK(recorder.drops("too_large") == 3);
}

TEST_CASE("TCP: an unterminated line at the end of a connection is dropped and reported") {
  Recorder recorder;
  auto listener = StartListener(Tcp(), &recorder);
  TcpClient client(listener->port());
  client.Write("whole 1\nhalf");
  REQUIRE(recorder.WaitForLines(1));
  client.Close();
  REQUIRE(recorder.WaitForDrops("unterminated", 1));
  CHECK(recorder.lines() == std::vector<std::string>{"whole 1"});
  REQUIRE(Eventually([&] { return listener->open_connections() == 0; }));
}

TEST_CASE("TCP: auto framing reads octet-counted and newline connections side by side") {
  Recorder recorder;
  ListenerOptions options = Tcp();
  options.framing = LineFramer::Framing::kAuto;
  auto listener = StartListener(options, &recorder);
  TcpClient octets(listener->port());
  octets.Write("11 <13>1 a\nb c");  // a frame may hold a newline
  octets.Write("8 <13>1 de");
  REQUIRE(recorder.WaitForLines(2));
  TcpClient lines(listener->port());
  lines.Write("<13>Dec  2 17:00:00 h a: m\n");
  REQUIRE(recorder.WaitForLines(3));
  CHECK(recorder.lines() ==
        std::vector<std::string>{"<13>1 a\nb c", "<13>1 de", "<13>Dec  2 17:00:00 h a: m"});
}

TEST_CASE("TCP: a broken octet count closes the connection and is reported") {
  Recorder recorder;
  ListenerOptions options = Tcp();
  options.framing = LineFramer::Framing::kOctetCounting;
  options.max_line_bytes = 8;
  auto listener = StartListener(options, &recorder);
  TcpClient client(listener->port());
  client.Write("20 over the limit......3 abcx");
  REQUIRE(recorder.WaitForDrops("bad_frame", 1));
  CHECK(client.ClosedByServer());
  REQUIRE(recorder.WaitForDrops("too_large", 1));
  CHECK(recorder.total_drops() == 2);
  CHECK(recorder.lines() == std::vector<std::string>{"abc"});
  REQUIRE(Eventually([&] { return listener->open_connections() == 0; }));
}

TEST_CASE("TCP: connections over the limit are closed at once") {
  Recorder recorder;
  ListenerOptions options = Tcp();
  options.max_connections = 2;
  auto listener = StartListener(options, &recorder);
  auto first = std::make_unique<TcpClient>(listener->port());
  TcpClient second(listener->port());
  first->Write("one\n");
  second.Write("two\n");
  REQUIRE(recorder.WaitForLines(2));
  CHECK(listener->open_connections() == 2);

  TcpClient third(listener->port());  // the kernel completes the handshake
  CHECK(third.ClosedByServer());
  CHECK(recorder.drops("connection_limit") == 1);

  // A slot frees up when a client leaves.
  first.reset();
  REQUIRE(Eventually([&] { return listener->open_connections() == 1; }));
  TcpClient fourth(listener->port());
  fourth.Write("four\n");
  REQUIRE(recorder.WaitForLines(3));
  CHECK(recorder.lines().back() == "four");
  CHECK(recorder.drops("connection_limit") == 1);
}

TEST_CASE("TCP: stopping with connections open is prompt and closes them") {
  Recorder recorder;
  auto listener = StartListener(Tcp(), &recorder);
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<TcpClient>(listener->port()));
    clients.back()->Write("partial " + std::to_string(i));
  }
  REQUIRE(recorder.WaitForBytes(5 * 9));
  auto start = Clock::now();
  listener.reset();
  CHECK(SecondsSince(start) < 2.0);
  for (auto& client : clients) CHECK(client->ClosedByServer());
  // A shutdown is not the clients' fault: nothing reported.
  CHECK(recorder.total_drops() == 0);
  CHECK(recorder.line_count() == 0);
}

TEST_CASE("UDP: stopping while datagrams keep arriving is prompt") {
  Recorder recorder;
  auto listener = StartListener(Udp(), &recorder);
  UdpSender sender(listener->port());
  for (int i = 0; i < 1000; ++i) sender.Send("x:1|c");
  auto start = Clock::now();
  listener.reset();
  CHECK(SecondsSince(start) < 2.0);
}

TEST_CASE("Start: errors name the protocol, the address and the cause") {
  Recorder recorder;
  SUBCASE("UDP port in use") {
    auto listener = StartListener(Udp(), &recorder);
    std::string address = "127.0.0.1:" + std::to_string(listener->port());
    ListenerOptions options = Udp();
    options.address = address;
    std::string error;
    CHECK(LineListener::Start(options, &recorder, &error) == nullptr);
    CHECK(error == "listen udp " + address + ": Address already in use");
  }
  SUBCASE("TCP port in use") {
    auto listener = StartListener(Tcp(), &recorder);
    std::string address = "127.0.0.1:" + std::to_string(listener->port());
    ListenerOptions options = Tcp();
    options.address = address;
    std::string error;
    CHECK(LineListener::Start(options, &recorder, &error) == nullptr);
    CHECK(error == "listen tcp " + address + ": Address already in use");
  }
  SUBCASE("malformed addresses") {
    const std::pair<std::string, std::string> cases[] = {
        {"8125", "expected HOST:PORT, :PORT or [IPV6]:PORT"},
        {"127.0.0.1:99999", "port must be a number in 0..65535"},
        {"::1:8125", "IPv6 addresses must be bracketed, as in [::1]:8125"},
        {"[zz]:8125", "invalid IPv6 address"},
    };
    for (const auto& [address, why] : cases) {
      ListenerOptions options = Tcp();
      options.address = address;
      std::string error;
      CHECK(LineListener::Start(options, &recorder, &error) == nullptr);
      CHECK(error == "listen tcp " + address + ": " + why);
    }
  }
}

TEST_CASE("Start: :PORT listens on all IPv4 interfaces, [::1]:PORT on IPv6") {
  Recorder recorder;
  ListenerOptions options = Udp();
  options.address = ":0";
  auto listener = StartListener(options, &recorder);
  UdpSender(listener->port()).Send("any:1|c");  // sent to 127.0.0.1
  REQUIRE(recorder.WaitForLines(1));

  ListenerOptions v6 = Tcp();
  v6.address = "[::1]:0";
  std::string error;
  auto v6_listener = LineListener::Start(v6, &recorder, &error);
  if (v6_listener == nullptr) {
    MESSAGE("no IPv6 loopback here: ", error);
  } else {
    CHECK(v6_listener->port() > 0);
  }
}

}  // namespace
}  // namespace metrics_adapter
