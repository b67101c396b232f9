// Exposable: what RenderExposition reads. An object holding metric families
// opens a snapshot of them; the snapshot writes its families' sample lines
// straight into the text format (a SeriesStore's series: no prometheus-cpp
// data model is built, which is most of Collect's cost), and hands over any
// other families in prometheus-cpp's model (a store's own metrics, a
// registry's).
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

namespace metrics_adapter {

// A consistent read of an Exposable's families, valid while it lives (a
// store holds its lock for that long). Not thread-safe; one scrape uses it.
class TextSnapshot {
 public:
  struct Family {
    std::string_view name;
    std::string_view help;
    prometheus::MetricType type;
  };

  virtual ~TextSnapshot() = default;

  // The families written straight as text, in order: each has at least one
  // sample.
  virtual const std::vector<Family>& families() const = 0;
  // About how many bytes AppendSamples writes for family `i`.
  virtual std::size_t EstimateTextSize(std::size_t i) const = 0;
  // Appends family `i`'s sample lines. With `seen`, a series whose label
  // block (`a="x",b="y"`) is in it is skipped and the others' are added:
  // how RenderExposition keeps the first of identical series.
  virtual void AppendSamples(std::size_t i, std::string& out,
                             std::unordered_set<std::string>* seen) const = 0;
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
