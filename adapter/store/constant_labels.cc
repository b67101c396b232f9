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
  // Sized, then filled: a plain copy, where assign and insert cost several
  // times as much per update (callgrind).
  const std::size_t own = update.label_values.size();
  values_.resize(own + extra.size());
  std::copy(update.label_values.begin(), update.label_values.end(), values_.begin());
  std::copy(extra.begin(), extra.end(), values_.begin() + static_cast<std::ptrdiff_t>(own));
  next_.Apply(Update{update.family, update.op, update.value, values_});
}

}  // namespace metrics_adapter
