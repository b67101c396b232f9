// Pulled `status_file` sources: a snapshot file an app rewrites (a JSON
// status document, key=value lines, a node_exporter-style textfile), read
// whole at each scrape and parsed as a body, like an `http` response.
//
// The read takes what the file holds at that moment. An app that rewrites
// the file in place (truncate, then write) can be caught half-way: the
// scrape then sees a cut-off document, which fails to parse (up 0) or, for
// line formats, lacks the lines not yet written. Apps should write a
// temporary file and rename it over the old one, which readers see as one
// change.
//
// Usage:
//   StatusFileOptions app;
//   app.path = "/run/app/status.json";
//   FetchResult r = ReadStatusFile(app);
#pragma once

#include <cstddef>
#include <string>

#include "adapter/sources/fetch.h"

namespace metrics_adapter {

struct StatusFileOptions {
  std::string path;  // resolved against the config's directory
  std::size_t max_body_bytes = 10 << 20;
};

// Reads the regular file at options.path whole. On failure reason is
// "missing" (no such file, or a directory on the path is missing), "read"
// (permission denied, not a regular file, an I/O error) or "too_large"
// (body holds the first max_body_bytes). Opening never blocks on a FIFO.
// Thread-safe.
FetchResult ReadStatusFile(const StatusFileOptions& options);

}  // namespace metrics_adapter
