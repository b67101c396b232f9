// A libFuzzer target for the framings of `tcp` sources' replies
// (adapter/sources/tcp_framing.h): the input is what an upstream sends back.
// Its first byte picks the framing and how the bytes are split into reads,
// its second the body limit; the rest is the reply, fed read by read and
// then closed (for the terminator framing, once for each of a few
// terminators). Every outcome must be one the scrape can report: ok with a
// body within the limit and no reason, or a known reason with an error.
// Built like parser_fuzzer.cc (see test/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapter/sources/tcp_framing.h"

namespace {

using metrics_adapter::Feed;
using metrics_adapter::FetchResult;
using metrics_adapter::TcpFraming;

constexpr TcpFraming kFramings[] = {TcpFraming::kUntilClose, TcpFraming::kUntilTerminator,
                                    TcpFraming::kRedisBulk};

void Check(bool condition) {
  if (!condition) std::abort();
}

// Feeds `reply` to a reader read by read, then closes, and checks that the
// outcome is one the scrape can report.
void ReadReply(TcpFraming framing, const char* terminator, std::size_t max_body,
               std::size_t read_size, std::string_view reply) {
  FetchResult result;
  metrics_adapter::TcpReplyReader reader(framing, terminator, max_body, "127.0.0.1:1", &result);
  Feed feed = Feed::kMore;
  while (feed == Feed::kMore && !reply.empty()) {
    const std::string_view read = reply.substr(0, read_size);
    reply.remove_prefix(read.size());
    feed = reader.Consume(read, false);
  }
  if (feed == Feed::kMore) feed = reader.Consume(std::string_view(), true);
  Check(feed != Feed::kMore);  // a closed connection always ends the reply
  if (feed == Feed::kDone) reader.Finish();

  Check(result.body.size() <= max_body || !result.ok);
  if (result.ok) {
    Check(result.reason.empty() && result.error.empty() && !result.truncated);
  } else {
    Check(result.reason == "protocol" || result.reason == "too_large");
    Check(!result.error.empty());
    Check(result.truncated == (result.reason == "too_large"));
    if (result.truncated) Check(result.body.size() == max_body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const TcpFraming framing = kFramings[(data[0] & 3) % 3];
  const std::size_t read_size = 1 + (data[0] >> 2);  // 1..64 bytes per read
  // Small limits reach the too_large paths; 255 means the default 10 MiB.
  const std::size_t max_body = data[1] == 255 ? 10 << 20 : data[1];
  const std::string_view reply(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (framing != TcpFraming::kUntilTerminator) {
    ReadReply(framing, "END\r\n", max_body, read_size, reply);
    return 0;
  }
  // memcached's terminator, a one-byte one, and one that overlaps itself
  // (a match can start inside a failed partial match).
  for (const char* terminator : {"END\r\n", "\n", "\r\n\r\n"}) {
    ReadReply(framing, terminator, max_body, read_size, reply);
  }
  return 0;
}
