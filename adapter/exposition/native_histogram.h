// Native (sparse, exponential) histograms: the bucket math and one series'
// state, what the store observes into and the protobuf format writes.
//
// At schema s, bucket boundaries are the powers of base = 2^(2^-s): bucket
// i holds the values whose magnitude lies in (base^(i-1), base^i], so 1 is
// always a boundary and every power of two is split into 2^s buckets (s > 0)
// or 2^-s powers of two share one bucket (s <= 0). Positive and negative
// values have their own buckets, by magnitude; magnitudes up to the zero
// threshold go to the zero bucket. Only populated buckets take memory.
//
// Usage:
//   NativeHistogram h(NativeSchemaForFactor(1.1), 0x1p-128, 160);
//   h.Observe(0.25);
//   for (const NativeHistogram::Bucket& b : h.positive()) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace metrics_adapter {

// The schemas Prometheus accepts.
inline constexpr int kMinNativeSchema = -4;
inline constexpr int kMaxNativeSchema = 8;

// The lowest (coarsest) schema whose bucket growth factor 2^(2^-s) is at
// most `bucket_factor` (as Prometheus's Go client chooses it), clamped to
// kMinNativeSchema..kMaxNativeSchema. `bucket_factor` must be > 1.
int NativeSchemaForFactor(double bucket_factor);

// The index of the bucket holding magnitude `value` at `schema`: the i with
// base^(i-1) < value <= base^i. `value` must be > 0 and not NaN; +Inf gets
// the index after the largest finite double's.
std::int32_t NativeBucketIndex(double value, int schema);

// base^index at `schema`: the inclusive upper bound of bucket `index`.
double NativeBucketUpperBound(std::int32_t index, int schema);

// One series' native histogram. Not thread-safe; the store's lock guards it.
class NativeHistogram {
 public:
  struct Bucket {
    std::int32_t index;
    std::uint64_t count;
    bool operator==(const Bucket&) const = default;
  };

  // `max_buckets` bounds the populated positive plus negative buckets (0: no
  // bound): a new bucket past it halves the resolution (schema - 1, each
  // pair of neighbouring buckets merged) until the buckets fit again or the
  // schema is kMinNativeSchema.
  NativeHistogram(int schema, double zero_threshold, std::size_t max_buckets);

  // Counts `value` in its bucket: the zero bucket when |value| <=
  // zero_threshold (and for NaN, which has no magnitude, as Prometheus's Go
  // client does), else the positive or negative bucket of its magnitude.
  void Observe(double value);

  int schema() const { return schema_; }
  double zero_threshold() const { return zero_threshold_; }
  std::uint64_t zero_count() const { return zero_count_; }
  // Populated buckets by increasing index (negative ones by magnitude).
  const std::vector<Bucket>& positive() const { return positive_; }
  const std::vector<Bucket>& negative() const { return negative_; }

 private:
  void Count(std::vector<Bucket>& buckets, std::int32_t index);
  void ReduceResolution();

  int schema_;
  double zero_threshold_;
  std::size_t max_buckets_;
  std::uint64_t zero_count_ = 0;
  std::vector<Bucket> positive_;
  std::vector<Bucket> negative_;
};

}  // namespace metrics_adapter
