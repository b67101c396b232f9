// The Prometheus protobuf exposition format: io.prometheus.client
// MetricFamily messages (metrics.proto), each preceded by its size as a
// varint ("encoding=delimited"). The one format that carries native
// histograms: Prometheus negotiates it when native histograms are on.
//
// Usage:
//   std::string body;
//   std::vector<ProtobufMetric> metrics = {{&client_metric, &native_or_null}};
//   AppendDelimitedFamily(body, "x_seconds", "Help.", prometheus::MetricType::Histogram, metrics);
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

#include "adapter/exposition/native_histogram.h"

namespace metrics_adapter {

// One metric of a family, pointing at where it lies (no copy per scrape):
// its labels and values, and for a native histogram its native buckets.
struct ProtobufMetric {
  const prometheus::ClientMetric* metric;
  const NativeHistogram* native = nullptr;
};

// Appends one length-delimited MetricFamily message of `metrics`. A
// histogram with native buckets carries its schema, zero bucket and
// populated buckets as spans and count deltas, plus its classic buckets
// when it has any (a server without native histograms reads those); a
// native histogram with no populated bucket at all gets one empty span, so
// it still reads as native. Timestamps are kept; a family without metrics
// is written as such (the callers skip empty families).
void AppendDelimitedFamily(std::string& out, std::string_view name, std::string_view help,
                           prometheus::MetricType type, const std::vector<ProtobufMetric>& metrics);

}  // namespace metrics_adapter
