#include "adapter/web/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// windowBits 15 is the largest window; +16 asks zlib for a gzip wrapper
// instead of a zlib one, which is what "Content-Encoding: gzip" means.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default

// Parses an RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")].
// Returns thousandths (0..1000) so comparisons stay exact, or nullopt.
std::optional<int> ParseQValue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1')) return std::nullopt;
  int value = (q[0] - '0') * 1000;
  if (q.size() == 1) return value;
  if (q[1] != '.' || q.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : q.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
    value += (c - '0') * scale;
    scale /= 10;
  }
  if (value > 1000) return std::nullopt;
  return value;
}

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION) {
    throw std::invalid_argument("gzip level must be -1..9, got " + std::to_string(level));
  }
  z_stream zs{};
  int rc = deflateInit2(&zs, level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) throw std::runtime_error("deflateInit2 failed: " + std::to_string(rc));

  // deflateBound is an upper bound for a single-shot deflate, so one
  // allocation normally suffices; the loop still copes with inputs larger
  // than zlib's 32-bit avail_in/avail_out.
  std::string out;
  out.resize(deflateBound(&zs, data.size()));
  std::size_t in_pos = 0;
  std::size_t out_pos = 0;
  do {
    if (out_pos == out.size()) out.resize(out.size() * 2 + 64);
    std::size_t in_chunk = std::min<std::size_t>(data.size() - in_pos, UINT_MAX);
    std::size_t out_chunk = std::min<std::size_t>(out.size() - out_pos, UINT_MAX);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs.avail_out = static_cast<uInt>(out_chunk);
    bool last_input = in_pos + in_chunk == data.size();
    rc = deflate(&zs, last_input ? Z_FINISH : Z_NO_FLUSH);
    in_pos += in_chunk - zs.avail_in;
    out_pos += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_ERROR) {
      deflateEnd(&zs);
      throw std::runtime_error("deflate failed");
    }
  } while (rc != Z_STREAM_END);
  deflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

bool AcceptsGzip(std::string_view header) {
  // Best q seen for an explicit gzip entry and for "*"; -1 = not mentioned.
  int gzip_q = -1;
  int star_q = -1;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);

    std::size_t semi = element.find(';');
    std::string_view coding = Trim(element.substr(0, semi), kBlanks);
    if (coding.empty()) continue;  // "a,,b" has empty list elements; allowed
    int q = 1000;
    while (semi != std::string_view::npos) {
      std::string_view params = element.substr(semi + 1);
      semi = params.find(';');
      std::string_view param = Trim(params.substr(0, semi), kBlanks);
      element = params;
      std::size_t eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      if (!EqualsIgnoreCase(Trim(param.substr(0, eq), kBlanks), "q")) continue;
      std::optional<int> parsed = ParseQValue(Trim(param.substr(eq + 1), kBlanks));
      q = parsed.value_or(0);
    }
    if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      star_q = std::max(star_q, q);
    }
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

}  // namespace metrics_adapter
