// Pulled `tcp` sources: one request/response exchange over a plain TCP
// connection (redis INFO, memcached stats, ZooKeeper mntr), framed by
// tcp_framing.h. The deadline covers name resolution, connect, send and
// receive: sockets are non-blocking and every wait is a poll() against what
// is left of it.
//
// Usage:
//   TcpFetchOptions redis;
//   redis.address = "127.0.0.1:6379";
//   redis.send = "INFO\r\n";
//   redis.framing = TcpFraming::kRedisBulk;
//   FetchResult info = TcpExchange(redis);
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "adapter/sources/fetch.h"
#include "adapter/sources/tcp_framing.h"

namespace metrics_adapter {

struct TcpFetchOptions {
  // host:port or [IPv6]:port (adapter/base/host_port.h).
  std::string address;
  // Bytes to send once connected, e.g. "INFO\r\n" or "stats\r\n". May be
  // empty for servers that speak first.
  std::string send;
  TcpFraming framing = TcpFraming::kUntilClose;
  // kUntilTerminator only: how the response ends, e.g. "END\r\n". Not part of
  // the returned body.
  std::string terminator;
  // For the whole exchange: resolve + connect + send + receive.
  std::chrono::milliseconds timeout{2000};
  std::size_t max_body_bytes = 10 << 20;
};

// One request/response exchange over a fresh TCP connection, closed after.
// A name resolving to several addresses is tried address by address within
// the one deadline. Thread-safe.
FetchResult TcpExchange(const TcpFetchOptions& options);

}  // namespace metrics_adapter
