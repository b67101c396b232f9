// ReadWatchdog and the socket lookup it relies on, over real loopback TCP
// sockets: a connection's socket is found by its addresses, and a read
// blocked on it ends (end of input) once its deadline passes or CutAll runs.
#include "adapter/web/read_watchdog.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "adapter/web/socket_lookup.h"

namespace metrics_adapter {
namespace {

int PortOf(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A connected pair over 127.0.0.1, closed at the end of the scope.
struct Connection {
  int listener = -1;
  int client = -1;
  int server = -1;

  Connection() {
    listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listener, 1) == 0);
    address.sin_port = htons(static_cast<uint16_t>(PortOf(listener)));
    client = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    server = accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
  }
  ~Connection() {
    close(server);
    close(client);
    close(listener);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Whether the server side reads end of input within 10 s (it would block
  // forever without the cut: the client sends nothing and stays open).
  bool ServerSeesEnd() const {
    pollfd p{server, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) return false;
    char c;
    return recv(server, &c, 1, 0) == 0;
  }
};

TEST_CASE("FindConnectedSocket and FindListeningSocket find the right descriptors") {
  Connection c;
  const int port = PortOf(c.listener);
  CHECK(FindListeningSocket(port) == c.listener);
  CHECK(FindConnectedSocket(port, "127.0.0.1", PortOf(c.client)) == c.server);
  CHECK(FindConnectedSocket(port, "127.0.0.2", PortOf(c.client)) == -1);
  CHECK(FindConnectedSocket(port, "127.0.0.1", PortOf(c.client) + 1) == -1);
}

TEST_CASE("ReadWatchdog cuts the reading side at the deadline, the writing side stays") {
  ReadWatchdog watchdog;
  Connection c;
  ReadWatchdog::Ticket ticket = watchdog.Arm(c.server, ReadWatchdog::Clock::now());
  CHECK(c.ServerSeesEnd());
  CHECK(send(c.server, "ok", 2, MSG_NOSIGNAL) == 2);  // the answer still goes out
  char buffer[2];
  CHECK(recv(c.client, buffer, 2, MSG_WAITALL) == 2);
  CHECK(watchdog.Disarm(ticket));
}

TEST_CASE("ReadWatchdog: a ticket disarmed in time cuts nothing; CutAll cuts now and later") {
  ReadWatchdog watchdog;
  Connection early;
  ReadWatchdog::Ticket ticket =
      watchdog.Arm(early.server, ReadWatchdog::Clock::now() + std::chrono::hours(1));
  CHECK_FALSE(watchdog.Disarm(ticket));
  CHECK_FALSE(watchdog.Disarm(ticket));  // twice is harmless
  CHECK_FALSE(watchdog.Disarm(ReadWatchdog::Ticket{}));
  CHECK_FALSE(watchdog.Disarm(watchdog.Arm(-1, ReadWatchdog::Clock::now())));

  Connection armed;
  ticket = watchdog.Arm(armed.server, ReadWatchdog::Clock::now() + std::chrono::hours(1));
  watchdog.CutAll();
  CHECK(armed.ServerSeesEnd());
  CHECK(watchdog.Disarm(ticket));
  Connection later;
  ticket = watchdog.Arm(later.server, ReadWatchdog::Clock::now() + std::chrono::hours(1));
  CHECK(later.ServerSeesEnd());
  CHECK(watchdog.Disarm(ticket));
}

}  // namespace
}  // namespace metrics_adapter
