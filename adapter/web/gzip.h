// Gzip helpers for HTTP responses: compressing a body and deciding from a
// request's Accept-Encoding header whether the client takes gzip at all.
//
// Prometheus scrapes with "Accept-Encoding: gzip" and exposition text
// compresses ~10x, so compressing /metrics saves most of the scrape traffic.
//
// Usage:
//   if (AcceptsGzip(accept_encoding)) {
//     body = GzipCompress(body);
//     // ... add "Content-Encoding: gzip"
//   }
//   GzipStream gzip(1);                 // a body that comes in pieces
//   gzip.Write(piece, false, out);      // out: what deflate has ready so far
//   gzip.Write(last_piece, true, out);  // the rest and the trailer
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct z_stream_s;  // zlib's z_stream

namespace metrics_adapter {

// One gzip member (RFC 1952) written from its input piece by piece, so a
// body can be compressed as it is produced and sent as it is compressed.
// The pieces' concatenation compresses as one input would. Not thread-safe.
class GzipStream {
 public:
  // `level` as GzipCompress's; throws as it does.
  explicit GzipStream(int level = 6);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  // Compresses `data` and appends to `out` what deflate has ready (for a
  // small piece often nothing: deflate keeps up to a block); with `finish`,
  // everything and the trailer, after which no call may follow. Throws
  // std::runtime_error if zlib fails.
  void Write(std::string_view data, bool finish, std::string& out);

 private:
  std::unique_ptr<z_stream_s> zs_;
};

// Returns `data` as a complete gzip member (RFC 1952: header, deflate stream,
// CRC-32 and size trailer), readable by `gunzip` and any HTTP client.
// `level` is a zlib level: 0 (store) .. 9 (smallest), or -1 for zlib's default.
// Throws std::invalid_argument for any other level and std::runtime_error if
// zlib fails (out of memory). Empty input gives a valid, ~20-byte member.
std::string GzipCompress(std::string_view data, int level = 6);

// True if a request carrying this Accept-Encoding header value accepts a
// gzip-coded response (RFC 9110 section 12.5.3):
//   - the header is a comma-separated list of codings, each optionally
//     followed by parameters (";q=0.5"); names compare case-insensitively;
//   - "gzip" or its alias "x-gzip" with q > 0 means yes, with q=0 means no,
//     whatever "*" says;
//   - otherwise "*" with q > 0 means yes;
//   - a malformed q-value makes its entry unacceptable (identity is always a
//     safe answer).
// An empty or absent header returns false: the spec would allow any coding,
// but sending identity to such clients is what every server does.
bool AcceptsGzip(std::string_view accept_encoding_header);

}  // namespace metrics_adapter
