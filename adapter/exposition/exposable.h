// Exposable: what RenderExposition reads. An object holding metric families
// opens a snapshot of them; the snapshot writes its families' sample lines
// straight into the text formats (a SeriesStore's series: no prometheus-cpp
// data model is built, which is most of Collect's cost), hands the same
// families over as a data model for the protobuf format (with their native
// histograms), and hands over any other families in prometheus-cpp's model
// (a store's own metrics, a registry's).
//
// Usage:
//   class MyStore : public Exposable {
//     std::unique_ptr<TextSnapshot> OpenSnapshot() const override;
//   };
//   const CollectableExposable self(*registry);   // any prometheus::Collectable
//   std::string body = RenderExposition({&store, &self});
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapter/exposition/exposition_output.h"
#include "adapter/exposition/native_histogram.h"

namespace metrics_adapter {

// One family in prometheus-cpp's model plus what that model cannot hold.
struct ModelFamily {
  prometheus::MetricFamily family;
  // Empty, or parallel to family.metric for a native histogram family: each
  // metric's native buckets, owned by whoever made the ModelFamily and valid
  // as long as it says (a snapshot: while it lives). A native histogram's
  // classic buckets (histogram.bucket) may be empty.
  std::vector<const NativeHistogram*> native;
};

// A consistent read of an Exposable's families, valid while it lives (a
// store holds its lock for that long). Not thread-safe; one scrape uses it.
class TextSnapshot {
 public:
  struct Family {
    std::string_view name;
    std::string_view help;
    prometheus::MetricType type;
    // The base unit the name ends in ("seconds", "bytes", "ratio"), or "".
    std::string_view unit;
  };

  virtual ~TextSnapshot() = default;

  // The families written straight as text, in order: each has at least one
  // sample.
  virtual const std::vector<Family>& families() const = 0;
  // About how many bytes AppendSamples writes for family `i`.
  virtual std::size_t EstimateTextSize(std::size_t i) const = 0;
  // Appends family `i`'s sample lines, the same in the Prometheus text
  // format and in OpenMetrics: counters' names end in _total and series
  // carry no timestamps. With `seen`, a series whose label
  // block (`a="x",b="y"`) is in it is skipped and the others' are added:
  // how RenderExposition keeps the first of identical series. Calls
  // out.Boundary() after each series, so a large family is handed over in
  // chunks while it is written.
  virtual void AppendSamples(std::size_t i, ExpositionOutput& out,
                             std::unordered_set<std::string>* seen) const = 0;
  // Family `i` as a data model, for the protobuf format: the same series,
  // in the same order, as AppendSamples writes, and native histograms.
  virtual ModelFamily CollectFamily(std::size_t i) const = 0;
  // The other families, in prometheus-cpp's model; exposed after the ones
  // above. Called once per snapshot.
  virtual std::vector<prometheus::MetricFamily> CollectedFamilies() const = 0;
};

class Exposable {
 public:
  virtual ~Exposable() = default;
  virtual std::unique_ptr<TextSnapshot> OpenSnapshot() const = 0;
};

// Any prometheus::Collectable as an Exposable: no text families; every
// family comes from Collect. The collectable must outlive it.
class CollectableExposable final : public Exposable {
 public:
  explicit CollectableExposable(const prometheus::Collectable& collectable)
      : collectable_(collectable) {}
  std::unique_ptr<TextSnapshot> OpenSnapshot() const override;

 private:
  const prometheus::Collectable& collectable_;
};

}  // namespace metrics_adapter
