#include "adapter/exposition/native_histogram.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace metrics_adapter {
namespace {

// For schema s > 0, the 2^s bucket boundaries within [0.5, 1):
// 2^(k/2^s - 1) for k = 0 .. 2^s - 1, the fractions frexp returns. Computed
// once; a boundary is then found by a binary search among at most 256
// doubles, and NativeBucketUpperBound reads the same table, so a value
// equal to an upper bound is always in that bound's bucket.
const std::vector<double>& Fractions(int schema) {
  static const std::array<std::vector<double>, kMaxNativeSchema + 1> tables = [] {
    std::array<std::vector<double>, kMaxNativeSchema + 1> t;
    for (int s = 1; s <= kMaxNativeSchema; ++s) {
      const int n = 1 << s;
      for (int k = 0; k < n; ++k)
        t[static_cast<std::size_t>(s)].push_back(0.5 * std::exp2(static_cast<double>(k) / n));
    }
    return t;
  }();
  return tables[static_cast<std::size_t>(schema)];
}

// The bucket of index `index` at schema s holds, at schema s - 1, the
// bucket ceil(index / 2): (base^2)^(j-1) < v <= (base^2)^j covers
// base^(index-1) < v <= base^index exactly when j = ceil(index / 2).
std::int32_t HalfIndex(std::int32_t index) { return index > 0 ? (index + 1) / 2 : index / 2; }

void Merge(std::vector<NativeHistogram::Bucket>& buckets) {
  std::vector<NativeHistogram::Bucket> merged;
  merged.reserve(buckets.size());
  for (const NativeHistogram::Bucket& bucket : buckets) {
    const std::int32_t index = HalfIndex(bucket.index);
    // Sorted input gives sorted, non-decreasing halves: neighbours merge.
    if (!merged.empty() && merged.back().index == index) {
      merged.back().count += bucket.count;
    } else {
      merged.push_back({index, bucket.count});
    }
  }
  buckets = std::move(merged);
}

}  // namespace

int NativeSchemaForFactor(double bucket_factor) {
  // The growth factor at schema s is 2^(2^-s), smaller as s grows: the
  // smallest s with 2^-s <= log2(factor) is s = -floor(log2(log2(factor))).
  const double s = -std::floor(std::log2(std::log2(bucket_factor)));
  if (!(s > kMinNativeSchema)) return kMinNativeSchema;  // also NaN
  if (s > kMaxNativeSchema) return kMaxNativeSchema;
  return static_cast<int>(s);
}

std::int32_t NativeBucketIndex(double value, int schema) {
  if (value > std::numeric_limits<double>::max()) {
    return NativeBucketIndex(std::numeric_limits<double>::max(), schema) + 1;
  }
  int exponent = 0;
  const double fraction = std::frexp(value, &exponent);  // value = fraction * 2^exponent
  if (schema > 0) {
    const std::vector<double>& fractions = Fractions(schema);
    // The first boundary >= fraction: fraction lies in (boundary k-1, boundary k].
    const auto k =
        std::lower_bound(fractions.begin(), fractions.end(), fraction) - fractions.begin();
    return static_cast<std::int32_t>(k) +
           (exponent - 1) * static_cast<std::int32_t>(fractions.size());
  }
  // Schema 0: index = ceil(log2 value), i.e. exponent, less one for an
  // exact power of two (fraction 0.5). Lower schemas group 2^-s of those.
  std::int32_t index = fraction == 0.5 ? exponent - 1 : exponent;
  const int shift = -schema;
  return (index + (1 << shift) - 1) >> shift;  // ceil(index / 2^shift), arithmetic shift
}

double NativeBucketUpperBound(std::int32_t index, int schema) {
  if (schema > 0) {
    const std::int32_t n = 1 << schema;
    // Floor division: index = n * (exponent - 1) + k, 0 <= k < n.
    const std::int32_t k = ((index % n) + n) % n;
    const std::int32_t exponent = (index - k) / n + 1;
    return std::ldexp(Fractions(schema)[static_cast<std::size_t>(k)], exponent);
  }
  return std::ldexp(1.0, index * (1 << -schema));
}

NativeHistogram::NativeHistogram(int schema, double zero_threshold, std::size_t max_buckets)
    : schema_(std::clamp(schema, kMinNativeSchema, kMaxNativeSchema)),
      zero_threshold_(zero_threshold),
      max_buckets_(max_buckets) {}

void NativeHistogram::Observe(double value) {
  if (value > zero_threshold_) {
    Count(positive_, NativeBucketIndex(value, schema_));
  } else if (value < -zero_threshold_) {
    Count(negative_, NativeBucketIndex(-value, schema_));
  } else {
    ++zero_count_;
  }
}

void NativeHistogram::Count(std::vector<Bucket>& buckets, std::int32_t index) {
  const auto it = std::lower_bound(buckets.begin(), buckets.end(), index,
                                   [](const Bucket& b, std::int32_t i) { return b.index < i; });
  if (it != buckets.end() && it->index == index) {
    ++it->count;
    return;
  }
  buckets.insert(it, Bucket{index, 1});
  if (max_buckets_ > 0) {
    while (positive_.size() + negative_.size() > max_buckets_ && schema_ > kMinNativeSchema) {
      ReduceResolution();
    }
  }
}

void NativeHistogram::ReduceResolution() {
  --schema_;
  Merge(positive_);
  Merge(negative_);
}

}  // namespace metrics_adapter
