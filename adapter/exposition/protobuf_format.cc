#include "adapter/exposition/protobuf_format.h"

#include <google/protobuf/arena.h>

#include <cstdint>
#include <vector>

#include "adapter/exposition/metrics.pb.h"

namespace metrics_adapter {
namespace {

namespace pb = io::prometheus::client;
using prometheus::ClientMetric;
using prometheus::MetricType;

pb::MetricType ProtoType(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return pb::COUNTER;
    case MetricType::Gauge:
      return pb::GAUGE;
    case MetricType::Summary:
      return pb::SUMMARY;
    case MetricType::Histogram:
      return pb::HISTOGRAM;
    case MetricType::Untyped:
      break;
  }
  return pb::UNTYPED;
}

// Populated buckets (sorted by index) as spans of consecutive indices and
// the count deltas from one bucket to the next.
template <typename AddSpan, typename AddDelta>
void AppendBuckets(const std::vector<NativeHistogram::Bucket>& buckets, AddSpan add_span,
                   AddDelta add_delta) {
  pb::BucketSpan* span = nullptr;
  std::int32_t next = 0;  // the index after the previous span's last bucket
  std::int64_t previous = 0;
  for (std::size_t k = 0; k < buckets.size(); ++k) {
    const NativeHistogram::Bucket& bucket = buckets[k];
    if (span == nullptr || bucket.index != next) {
      span = add_span();
      span->set_offset(k == 0 ? bucket.index : bucket.index - next);
      span->set_length(0);
    }
    span->set_length(span->length() + 1);
    next = bucket.index + 1;
    const auto count = static_cast<std::int64_t>(bucket.count);
    add_delta(count - previous);
    previous = count;
  }
}

void SetNative(pb::Histogram& out, const NativeHistogram& native) {
  out.set_schema(native.schema());
  out.set_zero_threshold(native.zero_threshold());
  out.set_zero_count(native.zero_count());
  AppendBuckets(
      native.negative(), [&] { return out.add_negative_span(); },
      [&](std::int64_t delta) { out.add_negative_delta(delta); });
  AppendBuckets(
      native.positive(), [&] { return out.add_positive_span(); },
      [&](std::int64_t delta) { out.add_positive_delta(delta); });
  if (out.positive_span_size() == 0 && out.negative_span_size() == 0) {
    // What marks a histogram with nothing in its buckets as native.
    pb::BucketSpan* empty = out.add_positive_span();
    empty->set_offset(0);
    empty->set_length(0);
  }
}

void SetMetric(pb::Metric& out, MetricType type, const ClientMetric& metric,
               const NativeHistogram* native) {
  for (const ClientMetric::Label& label : metric.label) {
    pb::LabelPair* pair = out.add_label();
    pair->set_name(label.name);
    pair->set_value(label.value);
  }
  if (metric.timestamp_ms != 0) out.set_timestamp_ms(metric.timestamp_ms);
  switch (type) {
    case MetricType::Counter:
      out.mutable_counter()->set_value(metric.counter.value);
      return;
    case MetricType::Gauge:
      out.mutable_gauge()->set_value(metric.gauge.value);
      return;
    case MetricType::Untyped:
      out.mutable_untyped()->set_value(metric.untyped.value);
      return;
    case MetricType::Summary: {
      pb::Summary& summary = *out.mutable_summary();
      summary.set_sample_count(metric.summary.sample_count);
      summary.set_sample_sum(metric.summary.sample_sum);
      for (const ClientMetric::Quantile& q : metric.summary.quantile) {
        pb::Quantile* quantile = summary.add_quantile();
        quantile->set_quantile(q.quantile);
        quantile->set_value(q.value);
      }
      return;
    }
    case MetricType::Histogram: {
      pb::Histogram& histogram = *out.mutable_histogram();
      histogram.set_sample_count(metric.histogram.sample_count);
      histogram.set_sample_sum(metric.histogram.sample_sum);
      for (const ClientMetric::Bucket& b : metric.histogram.bucket) {
        pb::Bucket* bucket = histogram.add_bucket();
        bucket->set_cumulative_count(b.cumulative_count);
        bucket->set_upper_bound(b.upper_bound);
      }
      if (native != nullptr) SetNative(histogram, *native);
      return;
    }
  }
}

}  // namespace

void AppendDelimitedFamily(std::string& out, std::string_view name, std::string_view help,
                           prometheus::MetricType type,
                           const std::vector<ProtobufMetric>& metrics) {
  // On an arena: the message's many small parts (labels, buckets) are
  // carved from a few blocks and freed at once, not one by one.
  google::protobuf::Arena arena;
  auto& message = *google::protobuf::Arena::CreateMessage<pb::MetricFamily>(&arena);
  message.set_name(std::string(name));
  if (!help.empty()) message.set_help(std::string(help));
  message.set_type(ProtoType(type));
  message.mutable_metric()->Reserve(static_cast<int>(metrics.size()));
  for (const ProtobufMetric& metric : metrics) {
    SetMetric(*message.add_metric(), type, *metric.metric, metric.native);
  }
  // The size as a base-128 varint, low groups first, then the message
  // appended in place (no stream: it would resize `out` to its capacity).
  std::size_t size = message.ByteSizeLong();
  while (size >= 0x80) {
    out += static_cast<char>((size & 0x7f) | 0x80);
    size >>= 7;
  }
  out += static_cast<char>(size);
  message.AppendToString(&out);
}

}  // namespace metrics_adapter
