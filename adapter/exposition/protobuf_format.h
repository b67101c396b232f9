// The Prometheus protobuf exposition format: io.prometheus.client
// MetricFamily messages (metrics.proto), each preceded by its size as a
// varint ("encoding=delimited"). The one format that carries native
// histograms: Prometheus negotiates it when native histograms are on.
//
// Usage:
//   std::string body;
//   for (const ModelFamily& family : families) AppendDelimitedFamily(body, family);
#pragma once

#include <string>

#include "adapter/exposition/exposable.h"

namespace metrics_adapter {

// Appends `family` as one length-delimited MetricFamily message. A
// histogram with native buckets carries its schema, zero bucket and
// populated buckets as spans and count deltas, plus its classic buckets
// when it has any (a server without native histograms reads those); a
// native histogram with no populated bucket at all gets one empty span, so
// it still reads as native. Timestamps are kept; a family without metrics
// is written as such (the callers skip empty families).
void AppendDelimitedFamily(std::string& out, const ModelFamily& family);

}  // namespace metrics_adapter
