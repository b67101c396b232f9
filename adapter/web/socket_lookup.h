// Finds descriptors of this process's TCP sockets by their addresses.
// civetweb 1.15 hands neither a request's socket to its callbacks (ReadWatchdog
// needs it to cut a body that arrives too slowly) nor its listening socket
// to its user (HttpServer sets TCP_DEFER_ACCEPT on it).
#pragma once

#include <string_view>

namespace metrics_adapter {

// Returns the descriptor of the connected TCP socket whose local port is
// `local_port` and whose peer is `peer_address` (a numeric IPv4 or IPv6
// address as inet_ntop writes it) port `peer_port`, or -1 if there is none.
// Such a pair names at most one open connection. Costs two system calls per
// open descriptor of the process: call it only when the socket is needed.
int FindConnectedSocket(int local_port, std::string_view peer_address, int peer_port);

// Returns the descriptor of the listening TCP socket bound to `local_port`
// (any address), or -1.
int FindListeningSocket(int local_port);

}  // namespace metrics_adapter
