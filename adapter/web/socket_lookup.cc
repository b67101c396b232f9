#include "adapter/web/socket_lookup.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

namespace metrics_adapter {
namespace {

// The port of an IPv4 or IPv6 address, or -1 for any other family.
int PortOf(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return -1;
}

bool SameHost(const sockaddr_storage& address, std::string_view text) {
  char buffer[INET6_ADDRSTRLEN] = "";
  const void* raw =
      address.ss_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in&>(address).sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6&>(address).sin6_addr);
  if (inet_ntop(address.ss_family, raw, buffer, sizeof buffer) == nullptr) return false;
  return text == buffer;
}

bool Matches(int fd, int local_port, std::string_view peer_address, int peer_port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  // Fails at once (ENOTSOCK) for the files and pipes among the descriptors.
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (PortOf(address) != local_port) return false;
  length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  return PortOf(address) == peer_port && SameHost(address, peer_address);
}

bool IsListening(int fd, int local_port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (PortOf(address) != local_port) return false;
  int listening = 0;
  length = sizeof listening;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

// The first of the process's open descriptors for which `matches` holds, or -1.
template <typename Predicate>
int FindDescriptor(Predicate matches) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  const int own = dirfd(dir);
  int found = -1;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (matches(static_cast<int>(fd))) {
      found = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
  return found;
}

}  // namespace

int FindConnectedSocket(int local_port, std::string_view peer_address, int peer_port) {
  return FindDescriptor([&](int fd) { return Matches(fd, local_port, peer_address, peer_port); });
}

int FindListeningSocket(int local_port) {
  return FindDescriptor([&](int fd) { return IsListening(fd, local_port); });
}

}  // namespace metrics_adapter
