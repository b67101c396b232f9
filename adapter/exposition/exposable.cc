#include "adapter/exposition/exposable.h"

namespace metrics_adapter {
namespace {

class CollectedSnapshot final : public TextSnapshot {
 public:
  explicit CollectedSnapshot(const prometheus::Collectable& collectable)
      : collectable_(collectable) {}
  const std::vector<Family>& families() const override { return none_; }
  std::size_t EstimateTextSize(std::size_t) const override { return 0; }
  void AppendSamples(std::size_t, ExpositionOutput&,
                     std::unordered_set<std::string>*) const override {}
  ModelFamily CollectFamily(std::size_t) const override { return {}; }
  std::vector<prometheus::MetricFamily> CollectedFamilies() const override {
    return collectable_.Collect();
  }

 private:
  const prometheus::Collectable& collectable_;
  const std::vector<Family> none_;
};

}  // namespace

std::unique_ptr<TextSnapshot> CollectableExposable::OpenSnapshot() const {
  return std::make_unique<CollectedSnapshot>(collectable_);
}

}  // namespace metrics_adapter
