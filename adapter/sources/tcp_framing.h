// Where the reply of a `tcp` source's upstream ends (redis INFO, memcached
// stats, ZooKeeper mntr): the bytes the server sends, fed as they arrive,
// become the body of a FetchResult or a "protocol" failure. No I/O here, so
// the whole of it can be fed arbitrary bytes (test/fuzz/tcp_framing_fuzzer.cc).
//
// Usage:
//   FetchResult result;
//   TcpReplyReader reader(TcpFraming::kRedisBulk, "", max_body, "127.0.0.1:6379", &result);
//   Feed f = Feed::kMore;
//   while (f == Feed::kMore) f = reader.Consume(received_bytes, /*eof=*/closed);
//   if (f == Feed::kDone) reader.Finish();  // result.ok, or "too_large"
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adapter/sources/fetch.h"

namespace metrics_adapter {

enum class TcpFraming {
  // The response is everything until the server closes the connection
  // (ZooKeeper four-letter words, many home-grown status ports).
  kUntilClose,
  // The response ends with `terminator`, after which the server waits for the
  // next command (memcached "stats" ends with "END\r\n"). Complete when the
  // bytes received so far end with the terminator; servers speak only when
  // asked, so nothing follows it.
  kUntilTerminator,
  // A redis bulk-string reply "$<n>\r\n<n bytes>\r\n" (INFO). Simple-string
  // replies before it ("+OK" to an AUTH or SELECT sent first in `send`) are
  // skipped; an error reply "-ERR ..." and the nil reply "$-1" are "protocol"
  // failures with the error text.
  kRedisBulk,
};

// What a reader wants after some bytes: more, nothing (the reply is
// complete, or longer than the body may be), or nothing ever (failed).
enum class Feed { kMore, kDone, kFailed };

class TcpReplyReader {
 public:
  // `terminator`: kUntilTerminator only, not empty. `peer` ("host:port")
  // names the server in errors. The body goes to result->body, at most
  // max_body_bytes of it; failures set result's reason "protocol" and error.
  TcpReplyReader(TcpFraming framing, std::string terminator, std::size_t max_body_bytes,
                 std::string peer, FetchResult* result);

  // Feeds the bytes received next; `eof` (with no data) when the server
  // closed the connection. After kDone or kFailed, call no more.
  Feed Consume(std::string_view data, bool eof);

  // After kDone: marks the result ok, or "too_large" with the body cut to
  // max_body_bytes when the reply was longer.
  void Finish();

 private:
  Feed ConsumeUntilClose(std::string_view data, bool eof);
  Feed ConsumeUntilTerminator(std::string_view data, bool eof);
  Feed ConsumeRedis(std::string_view data, bool eof);
  Feed ReadRedisHeader(std::string_view* data, bool eof);
  // Appends to the body up to `limit` bytes; false once more was offered.
  bool Append(std::string_view data, std::size_t limit);
  Feed Failed(std::string error);

  TcpFraming framing_;
  std::string terminator_;
  std::size_t max_;
  std::string peer_;
  FetchResult* result_;
  bool over_ = false;
  // kRedisBulk: the reply line being read, then the bulk bytes still due.
  std::string line_;
  bool in_bulk_ = false;
  std::uint64_t remaining_ = 0;
};

}  // namespace metrics_adapter
