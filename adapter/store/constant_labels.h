// ConstantLabels: the label values one source adds to every series it
// writes (a source's `labels: {service: cache}` in the config), and
// LabellingSink, which adds them to each update on its way to a store.
//
// A family a source with constant labels writes has, in the store's schema,
// the family's own labels followed by the constant label names of every
// source writing it, sorted (see adapter/runtime/source_labels.h); the rules
// stay compiled against the family's own labels. So each source appends, per
// family, one value per added name: its own value, or "" for a name only
// another source has (Prometheus reads an empty value as no label, and the
// series still differs from the other source's).
//
// Usage:
//   ConstantLabels labels(std::move(values_by_family));
//   SeriesStore::Writer writer = store.Write();
//   LabellingSink sink(labels, writer);
//   rules.Match(line, scratch, counts, sink);  // series get the source's labels
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule_set.h"

namespace metrics_adapter {

class ConstantLabels {
 public:
  ConstantLabels() = default;
  // `by_family[f]`: the values appended to family f's updates, in the order
  // of the names the store's schema adds to it; a family outside the vector
  // gets none.
  explicit ConstantLabels(std::vector<std::vector<std::string>> by_family);

  std::span<const std::string> For(int family) const {
    const auto index = static_cast<std::size_t>(family);
    if (index >= by_family_.size()) return {};
    return by_family_[index];
  }
  // Whether no family gets any value: a sink adds nothing.
  bool empty() const { return empty_; }
  bool operator==(const ConstantLabels& other) const { return by_family_ == other.by_family_; }

 private:
  std::vector<std::vector<std::string>> by_family_;
  bool empty_ = true;
};

// An UpdateSink that appends a source's constant label values to each
// update's own and hands it on to `next`. Not thread-safe (one per writer).
class LabellingSink : public UpdateSink {
 public:
  LabellingSink(const ConstantLabels& labels, UpdateSink& next) : labels_(labels), next_(next) {}
  void Apply(const Update& update) override;

 private:
  const ConstantLabels& labels_;
  UpdateSink& next_;
  std::vector<std::string_view> values_;  // reused: no allocation in the steady state
};

}  // namespace metrics_adapter
