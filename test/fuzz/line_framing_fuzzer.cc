// A libFuzzer target for LineFramer (adapter/sources/line_framer.h), the
// framing of `tcp_listener` connections (`framing: newline`,
// `octet_counting`, `auto`), tailed files and whole inputs: the input is what
// a client sends.
// Its first byte picks the framing, strip_cr and skip_empty; its second the
// longest line (small, to reach the over-long paths) and how the bytes are
// split into reads; the rest is the stream. The oracle is the contract's:
//   - the stream fed read by read gives the same lines, the same count of
//     over-long ones and the same broken() as the stream fed at once: where
//     the reads split it does not matter;
//   - no line is longer than the limit, none is empty with skip_empty, none
//     holds '\n' under newline framing;
//   - after Reset the framer frames a known line as a fresh one would.
// Every line is copied out before the next call, so AddressSanitizer sees a
// view that outlives its call.
// Built like parser_fuzzer.cc (see test/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/sources/line_framer.h"

namespace {

using metrics_adapter::LineFramer;

void Check(bool condition) {
  if (!condition) std::abort();
}

struct Framed {
  std::vector<std::string> lines;
  std::size_t too_long = 0;
  bool broken = false;
};

void Collect(const std::vector<std::string_view>& views, Framed& out) {
  for (std::string_view line : views) out.lines.emplace_back(line);
}

// Feeds `stream` in reads of `read_size` bytes (0: all at once), then ends it.
Framed Feed(LineFramer& framer, std::string_view stream, std::size_t read_size) {
  Framed out;
  std::vector<std::string_view> views;
  do {
    const std::string_view read = read_size == 0 ? stream : stream.substr(0, read_size);
    stream.remove_prefix(read.size());
    views.clear();
    out.too_long += framer.Frame(read, views);
    Collect(views, out);
  } while (!stream.empty());
  out.broken = framer.broken();
  views.clear();
  framer.Finish(views);
  Collect(views, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  constexpr LineFramer::Framing kFramings[] = {LineFramer::Framing::kNewline,
                                               LineFramer::Framing::kOctetCounting,
                                               LineFramer::Framing::kAuto};
  const LineFramer::Options options{
      .framing = kFramings[(data[0] & 3) % 3],
      .max_line_bytes = std::size_t{1} + (data[1] & 63),  // 1..64
      .strip_cr = (data[0] & 4) != 0,
      .skip_empty = (data[0] & 8) != 0,
  };
  const std::size_t read_size = 1 + (data[1] >> 6) * 5 + (data[0] >> 4);  // 1..31
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  LineFramer whole(options);
  const Framed at_once = Feed(whole, stream, 0);
  LineFramer pieces(options);
  const Framed in_reads = Feed(pieces, stream, read_size);
  Check(at_once.lines == in_reads.lines);
  Check(at_once.too_long == in_reads.too_long);
  Check(at_once.broken == in_reads.broken);

  const bool newline = options.framing == LineFramer::Framing::kNewline;
  for (const std::string& line : at_once.lines) {
    Check(line.size() <= options.max_line_bytes);
    Check(!options.skip_empty || !line.empty());
    Check(!newline || line.find('\n') == std::string::npos);
  }

  // Whatever state the stream left, Reset makes a fresh framer of it.
  pieces.Reset();
  LineFramer fresh(options);
  const std::string_view known = "1 x\n";
  Check(Feed(pieces, known, 0).lines == Feed(fresh, known, 0).lines);
  return 0;
}
