// Native histogram bucket math: indices at every schema against values
// exactly on and next to bucket boundaries, the zero bucket, resolution
// reduction past the bucket limit.
#include "adapter/exposition/native_histogram.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace metrics_adapter {
namespace {

using Buckets = std::vector<NativeHistogram::Bucket>;

TEST_CASE("NativeSchemaForFactor picks the coarsest schema whose factor is not larger") {
  CHECK(NativeSchemaForFactor(1.1) == 3);  // 2^(1/8) = 1.0905
  CHECK(NativeSchemaForFactor(2) == 0);
  CHECK(NativeSchemaForFactor(1.999) == 1);  // 2^(1/2) = 1.414 <= 1.999 < 2
  CHECK(NativeSchemaForFactor(std::pow(2.0, 1.0 / 256)) == 8);
  CHECK(NativeSchemaForFactor(1.0001) == 8);  // clamped
  CHECK(NativeSchemaForFactor(4) == -1);
  CHECK(NativeSchemaForFactor(65536) == -4);
  CHECK(NativeSchemaForFactor(1e300) == -4);  // clamped
}

TEST_CASE("bucket i holds (base^(i-1), base^i]: a boundary value is in the bucket it bounds") {
  for (int schema = kMinNativeSchema; schema <= kMaxNativeSchema; ++schema) {
    CAPTURE(schema);
    const double base = std::exp2(std::exp2(-schema));
    // Indices whose bounds stay well inside the doubles (2^+-1000).
    const std::int32_t limit = schema >= 0 ? 300 : 1000 >> -schema;
    for (std::int32_t index = -limit; index <= limit; ++index) {
      CAPTURE(index);
      const double bound = NativeBucketUpperBound(index, schema);
      // The bound is base^index to within rounding.
      CHECK(bound == doctest::Approx(std::pow(base, index)).epsilon(1e-12));
      CHECK(NativeBucketIndex(bound, schema) == index);
      CHECK(NativeBucketIndex(std::nextafter(bound, 0.0), schema) == index);
      CHECK(NativeBucketIndex(std::nextafter(bound, 1e308), schema) == index + 1);
    }
  }
}

TEST_CASE("powers of two are exact boundaries; examples at schemas 3, 0 and -2") {
  CHECK(NativeBucketIndex(1, 3) == 0);
  CHECK(NativeBucketIndex(2, 3) == 8);
  CHECK(NativeBucketIndex(0.5, 3) == -8);
  CHECK(NativeBucketIndex(1.05, 3) == 1);  // (1, 1.0905]
  CHECK(NativeBucketIndex(1.1, 3) == 2);   // (1.0905, 1.1892]
  CHECK(NativeBucketIndex(3, 0) == 2);     // (2, 4]
  CHECK(NativeBucketIndex(4, 0) == 2);
  CHECK(NativeBucketIndex(0.3, 0) == -1);  // (0.25, 0.5]
  CHECK(NativeBucketIndex(16, -2) == 1);   // base 16: (1, 16]
  CHECK(NativeBucketIndex(17, -2) == 2);
  CHECK(NativeBucketIndex(1, -2) == 0);
  CHECK(NativeBucketIndex(0.0625, -2) == -1);
  CHECK(NativeBucketUpperBound(2, -2) == 256);
  CHECK(NativeBucketUpperBound(-1, 3) == doctest::Approx(std::exp2(-1.0 / 8)));
  // The extremes: denormals and +Inf.
  CHECK(NativeBucketIndex(std::numeric_limits<double>::denorm_min(), 0) == -1074);
  const std::int32_t max = NativeBucketIndex(std::numeric_limits<double>::max(), 3);
  CHECK(max == 1024 * 8);
  CHECK(NativeBucketIndex(std::numeric_limits<double>::infinity(), 3) == max + 1);
}

TEST_CASE("values up to the zero threshold, either sign, and NaN go to the zero bucket") {
  NativeHistogram h(3, 0.001, 0);
  for (double v : {0.0, -0.0, 0.001, -0.001, 1e-9, std::nan("")}) h.Observe(v);
  CHECK(h.zero_count() == 6);
  CHECK(h.positive().empty());
  CHECK(h.negative().empty());
  h.Observe(std::nextafter(0.001, 1.0));
  h.Observe(-1);
  h.Observe(-1);
  h.Observe(-2);
  CHECK(h.zero_count() == 6);
  CHECK(h.positive() == Buckets{{NativeBucketIndex(std::nextafter(0.001, 1.0), 3), 1}});
  CHECK(h.negative() == Buckets{{0, 2}, {8, 1}});
}

TEST_CASE("buckets are kept sorted by index and counted") {
  NativeHistogram h(0, 0, 0);
  for (double v : {8.0, 1.0, 3.0, 0.75, 4.0, 1.0}) h.Observe(v);
  CHECK(h.positive() == Buckets{{0, 3}, {2, 2}, {3, 1}});  // 0.75 and 1 share bucket 0
}

TEST_CASE("past max_buckets the schema drops until the buckets fit, merging pairs") {
  NativeHistogram h(3, 0, 4);
  // Schema 3 buckets 1..4 and -1: five buckets at schema 3.
  for (std::int32_t i : {1, 2, 3, 4}) h.Observe(NativeBucketUpperBound(i, 3));
  CHECK(h.schema() == 3);
  CHECK(h.positive().size() == 4);
  h.Observe(NativeBucketUpperBound(-1, 3));
  // At schema 2, bucket j holds schema-3 buckets 2j-1 and 2j: {1,2}->1,
  // {3,4}->2, {-1,0}->0: three buckets.
  CHECK(h.schema() == 2);
  CHECK(h.positive() == Buckets{{0, 1}, {1, 2}, {2, 2}});
  // The same values observed at schema 2 land in the same buckets.
  NativeHistogram direct(2, 0, 0);
  for (std::int32_t i : {1, 2, 3, 4, -1}) direct.Observe(NativeBucketUpperBound(i, 3));
  CHECK(direct.positive() == h.positive());
}

TEST_CASE("resolution reduction can go several steps and stops at the lowest schema") {
  NativeHistogram h(8, 0, 2);
  // 1, 4 and 16 are three buckets until base^2 > 4: at schema -1 (base 4)
  // 1 -> 0, 4 -> 1, 16 -> 2 still three; at schema -2 (base 16): 0, 1, 1.
  for (double v : {1.0, 4.0, 16.0}) h.Observe(v);
  CHECK(h.schema() == -2);
  CHECK(h.positive() == Buckets{{0, 1}, {1, 2}});
  NativeHistogram floor(kMinNativeSchema, 0, 1);
  floor.Observe(1);
  floor.Observe(1e10);
  floor.Observe(-1e300);
  CHECK(floor.schema() == kMinNativeSchema);  // cannot go lower: keeps the buckets
  CHECK(floor.positive().size() + floor.negative().size() == 3);
}

}  // namespace
}  // namespace metrics_adapter
