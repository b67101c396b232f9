#include "adapter/pipeline/update_batch.h"

namespace metrics_adapter {

void UpdateBatch::Apply(const Update& update) {
  updates_.push_back(
      {update.family, update.op, update.value, labels_.size(), update.label_values.size()});
  for (std::string_view value : update.label_values) {
    labels_.push_back({text_.size(), value.size()});
    text_.append(value);
  }
}

void UpdateBatch::Replay(UpdateSink& sink) {
  for (const Recorded& recorded : updates_) {
    views_.clear();
    for (std::size_t i = 0; i < recorded.label_count; ++i) {
      const LabelText& label = labels_[recorded.first_label + i];
      views_.emplace_back(text_.data() + label.offset, label.size);
    }
    sink.Apply({recorded.family, recorded.op, recorded.value, views_});
  }
}

void UpdateBatch::Clear() {
  updates_.clear();
  labels_.clear();
  text_.clear();
}

}  // namespace metrics_adapter
