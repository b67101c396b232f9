// FindConnectedSocket finds the descriptor of one of this process's TCP
// connections by its addresses. civetweb 1.15 does not hand a request's
// socket to its callbacks, and ReadWatchdog needs it to cut a body that
// arrives too slowly.
#pragma once

#include <string_view>

namespace metrics_adapter {

// Returns the descriptor of the connected TCP socket whose local port is
// `local_port` and whose peer is `peer_address` (a numeric IPv4 or IPv6
// address as inet_ntop writes it) port `peer_port`, or -1 if there is none.
// Such a pair names at most one open connection. Costs two system calls per
// open descriptor of the process: call it only when the socket is needed.
int FindConnectedSocket(int local_port, std::string_view peer_address, int peer_port);

}  // namespace metrics_adapter
