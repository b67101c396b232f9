#include "adapter/store/constant_labels.h"

#include <algorithm>

namespace metrics_adapter {

ConstantLabels::ConstantLabels(std::vector<std::vector<std::string>> by_family)
    : by_family_(std::move(by_family)),
      empty_(std::all_of(by_family_.begin(), by_family_.end(),
                         [](const std::vector<std::string>& values) { return values.empty(); })) {}

void LabellingSink::Apply(const Update& update) {
  const std::span<const std::string> extra = labels_.For(update.family);
  if (extra.empty()) {
    next_.Apply(update);
    return;
  }
  values_.assign(update.label_values.begin(), update.label_values.end());
  values_.insert(values_.end(), extra.begin(), extra.end());
  next_.Apply(Update{update.family, update.op, update.value, values_});
}

}  // namespace metrics_adapter
