// FixedFamilies: an Exposable that returns the same prometheus::MetricFamily
// list at every collection, for exposition tests that write hand-made families.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <utility>
#include <vector>

#include "adapter/exposition/exposable.h"

namespace metrics_adapter {

// Fixed families, exposed as any prometheus::Collectable is.
class FixedFamilies : public prometheus::Collectable, public Exposable {
 public:
  explicit FixedFamilies(std::vector<prometheus::MetricFamily> families)
      : families_(std::move(families)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return families_; }
  std::unique_ptr<TextSnapshot> OpenSnapshot() const override {
    return CollectableExposable(*this).OpenSnapshot();
  }

 private:
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace metrics_adapter
