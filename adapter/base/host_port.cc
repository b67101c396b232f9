#include "adapter/base/host_port.h"

#include <charconv>

namespace metrics_adapter {

bool SplitHostPort(const std::string& address, HostPort* out, std::string* why) {
  std::string port_text;
  *out = {};
  if (!address.empty() && address[0] == '[') {
    const std::size_t close = address.find("]:");
    if (close == std::string::npos) {
      *why = "expected [IPV6]:PORT";
      return false;
    }
    out->host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
    out->bracketed = true;
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      *why = "expected HOST:PORT, :PORT or [IPV6]:PORT";
      return false;
    }
    out->host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
    if (out->host.find(':') != std::string::npos) {
      *why = "IPv6 addresses must be bracketed, as in [" + out->host + "]:" + port_text;
      return false;
    }
  }
  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port > 65535) {
    *why = "port must be a number in 0..65535";
    return false;
  }
  out->port = static_cast<int>(port);
  return true;
}

}  // namespace metrics_adapter
