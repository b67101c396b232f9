#include "adapter/web/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "adapter/base/header_list.h"
#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// windowBits 15 is the largest window; +16 asks zlib for a gzip wrapper
// instead of a zlib one, which is what "Content-Encoding: gzip" means.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kMemLevel = 8;  // zlib's default

}  // namespace

GzipStream::GzipStream(int level) : zs_(std::make_unique<z_stream>()) {
  if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION) {
    throw std::invalid_argument("gzip level must be -1..9, got " + std::to_string(level));
  }
  const int rc =
      deflateInit2(zs_.get(), level, Z_DEFLATED, kGzipWindowBits, kMemLevel, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) throw std::runtime_error("deflateInit2 failed: " + std::to_string(rc));
}

GzipStream::~GzipStream() { deflateEnd(zs_.get()); }

void GzipStream::Write(std::string_view data, bool finish, std::string& out) {
  // The output grows by a sixteenth of the input at a time, doubling when
  // that does not do: exposition text compresses 10-20x, and sizing it by
  // deflateBound (the input's size and more) would have zeroed, and made
  // resident, a buffer as large as the input. The loop also copes with
  // inputs larger than zlib's 32-bit avail_in/avail_out.
  std::size_t room = std::max<std::size_t>(data.size() / 16, 4096);
  std::size_t in_pos = 0;
  for (;;) {
    const std::size_t out_pos = out.size();
    const std::size_t out_chunk = std::min<std::size_t>(room, UINT_MAX);
    out.resize(out_pos + out_chunk);
    const std::size_t in_chunk = std::min<std::size_t>(data.size() - in_pos, UINT_MAX);
    zs_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
    zs_->avail_in = static_cast<uInt>(in_chunk);
    zs_->next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    zs_->avail_out = static_cast<uInt>(out_chunk);
    const bool last_input = in_pos + in_chunk == data.size();
    const int rc = deflate(zs_.get(), finish && last_input ? Z_FINISH : Z_NO_FLUSH);
    // Z_BUF_ERROR: no progress was possible (nothing left to do); not fatal.
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed");
    in_pos += in_chunk - zs_->avail_in;
    const bool full = zs_->avail_out == 0;
    out.resize(out_pos + out_chunk - zs_->avail_out);
    if (rc == Z_STREAM_END) return;
    if (full) {
      room *= 2;
    } else if (in_pos == data.size() && !finish) {
      return;  // all input taken, deflate keeps the rest for later
    }
  }
}

std::string GzipCompress(std::string_view data, int level) {
  GzipStream gzip(level);
  std::string out;
  gzip.Write(data, true, out);
  return out;
}

bool AcceptsGzip(std::string_view header) {
  // Best q seen for an explicit gzip entry and for "*"; -1 = not mentioned.
  int gzip_q = -1;
  int star_q = -1;
  for (const HeaderElement& element : ParseHeaderList(header)) {
    if (EqualsIgnoreCase(element.value, "gzip") || EqualsIgnoreCase(element.value, "x-gzip")) {
      gzip_q = std::max(gzip_q, element.q);
    } else if (element.value == "*") {
      star_q = std::max(star_q, element.q);
    }
  }
  if (gzip_q >= 0) return gzip_q > 0;
  return star_q > 0;
}

}  // namespace metrics_adapter
