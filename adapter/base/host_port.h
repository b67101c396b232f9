// Splitting the listen and connect addresses users write: "HOST:PORT",
// ":PORT" (every interface) and "[IPV6]:PORT", the forms Prometheus
// exporters accept for --web.listen-address.
//
// Usage:
//   HostPort hp;
//   std::string why;
//   if (!SplitHostPort("127.0.0.1:9469", &hp, &why)) ...;  // hp.host "127.0.0.1", hp.port 9469
#pragma once

#include <string>

namespace metrics_adapter {

struct HostPort {
  std::string host;        // "" for ":PORT"; without brackets for IPv6
  int port = 0;            // 0..65535
  bool bracketed = false;  // written as "[IPV6]:PORT"
};

// Returns false with *why ("expected HOST:PORT, :PORT or [IPV6]:PORT",
// "port must be a number in 0..65535", ...) when `address` is not one of the
// forms above. Resolves nothing.
bool SplitHostPort(const std::string& address, HostPort* out, std::string* why);

}  // namespace metrics_adapter
