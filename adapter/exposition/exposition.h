// Rendering metrics in the exposition formats Prometheus scrapes (its text
// format 0.0.4, OpenMetrics 1.0 text, its protobuf format), and reading
// sample lines back (for rule-file tests).
//
// Usage:
//   const CollectableExposable self(*registry);
//   std::string body = RenderExposition({&store, &self});
//   std::string om = RenderExposition({&store, &self}, ExpositionFormat::kOpenMetrics);
//   RenderExposition({&store, &self}, ExpositionFormat::kText, kExpositionChunkBytes,
//                    [&](std::string chunk, bool last) { queue.Push(std::move(chunk), last); });
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/exposition/exposable.h"
#include "adapter/exposition/exposition_output.h"

namespace metrics_adapter {

inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr const char* kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
inline constexpr const char* kOpenMetrics001ContentType =
    "application/openmetrics-text; version=0.0.1; charset=utf-8";
inline constexpr const char* kProtobufContentType =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
    "encoding=delimited";

enum class ExpositionFormat {
  kText,         // Prometheus text 0.0.4; native histograms as their classic buckets
  kOpenMetrics,  // OpenMetrics text (1.0.0 and 0.0.1 read alike); the same
  kProtobuf,     // delimited io.prometheus.client.MetricFamily messages, native
                 // histograms with their native buckets
};

// Writes the families of every exposable in `format`. Several may hold one
// family (a log and a status page both counting requests): it is written
// once, merged in first-seen order; of two identical series the first
// exposable's wins; a family of another type under a name already seen is
// dropped.
std::string RenderExposition(const std::vector<const Exposable*>& exposables,
                             ExpositionFormat format = ExpositionFormat::kText);

// The same text, handed to `sink` in chunks as it is written, so that it can
// be sent while the rest is rendered: each chunk ends after a series (text)
// or a family (protobuf) once it holds at least `chunk_bytes`; the last one,
// marked, holds the rest (a body under `chunk_bytes` is that one chunk).
// `sink` runs on the calling thread while the exposables' snapshots are
// open (a store's holds its lock): it must not wait. kWholeBody: one chunk.
void RenderExposition(const std::vector<const Exposable*>& exposables, ExpositionFormat format,
                      std::size_t chunk_bytes, const ExpositionSink& sink);

// The chunk size /metrics is rendered in: see README.md, "Large scrapes".
inline constexpr std::size_t kExpositionChunkBytes = std::size_t{256} * 1024;

// One sample line of the text format, with its labels in a canonical order.
struct Sample {
  std::string series;  // name{label="value",...}, labels sorted by name
  double value = 0;
};

// Reads `name{a="x",b="y"} 12.5` with the prometheus parser (parsers/) and
// writes its labels sorted by name, escaped as the text format escapes them.
// Returns nullopt for comments, blank lines and lines the parser refuses.
std::optional<Sample> ParseSampleLine(std::string_view line);

}  // namespace metrics_adapter
