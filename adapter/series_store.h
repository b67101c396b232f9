// SeriesStore holds the current value of every series the rules write, and
// exposes them to prometheus-cpp through its one-method Collectable seam.
//
// A series is created on its first update. Its key is the family plus its
// label values in the family's label order; the label names are fixed by the
// schema, so every series of a family has the same label set and the
// exposition can never hold inconsistent or duplicate series.
//
// Writers take the store's lock once per batch of records (not per record):
//   {
//     SeriesStore::Writer writer = store.Write();
//     rules.Match(line, scratch, counts, writer);  // Writer is an UpdateSink
//   }
//   std::vector<prometheus::MetricFamily> families = store.Collect();
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/rule_set.h"
#include "rules/schema.h"

namespace metrics_adapter {

class SeriesStore : public prometheus::Collectable {
 public:
  // The store exposes exactly the families of `schema` (copied).
  explicit SeriesStore(const Schema& schema);

  // Holds the store's lock for its lifetime and applies updates under it.
  class Writer : public UpdateSink {
   public:
    void Apply(const Update& update) override;

   private:
    friend class SeriesStore;
    explicit Writer(SeriesStore& store) : store_(store), lock_(store.mu_) {}
    SeriesStore& store_;
    std::unique_lock<std::mutex> lock_;
  };
  Writer Write() { return Writer(*this); }

  // Families with at least one series, series sorted by label values.
  // Thread-safe.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Number of series in all families. Thread-safe.
  std::size_t SeriesCount() const;

 private:
  struct Series {
    double value = 0;                   // counters and gauges
    std::vector<std::uint64_t> counts;  // histograms: per bucket, +Inf last
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Heterogeneous lookup, so finding an existing series allocates nothing.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Family {
    FamilySpec spec;
    std::unordered_map<std::string, Series, KeyHash, std::equal_to<>> series;
  };

  void ApplyLocked(const Update& update);

  mutable std::mutex mu_;
  std::vector<Family> families_;
  std::string key_buffer_;  // reused by ApplyLocked, guarded by mu_
};

}  // namespace metrics_adapter
