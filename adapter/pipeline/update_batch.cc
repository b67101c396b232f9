#include "adapter/pipeline/update_batch.h"

#include <cstdint>

namespace metrics_adapter {
namespace {

// Whether `value` lies inside `line` (compared as addresses: the two need
// not point into one object).
bool Inside(std::string_view value, std::string_view line) {
  const auto begin = reinterpret_cast<std::uintptr_t>(line.data());
  const auto at = reinterpret_cast<std::uintptr_t>(value.data());
  return at >= begin && at - begin <= line.size() && value.size() <= line.size() - (at - begin);
}

}  // namespace

void UpdateBatch::Apply(const Update& update) {
  if (update.same_labels && !updates_.empty() &&
      updates_.back().label_count == update.label_values.size()) {
    // The values recorded for the update before serve this one too.
    updates_.push_back({update.family, update.op, update.value, updates_.back().first_label,
                        update.label_values.size()});
    return;
  }
  updates_.push_back(
      {update.family, update.op, update.value, labels_.size(), update.label_values.size()});
  for (std::string_view value : update.label_values) {
    if (Inside(value, line_)) {
      labels_.push_back(value);
      continue;
    }
    // Its data is set by Replay: text_ may still move.
    copied_.push_back({labels_.size(), text_.size(), value.size()});
    labels_.emplace_back();
    text_.append(value);
  }
}

void UpdateBatch::Replay(UpdateSink& sink) {
  for (const Copied& copy : copied_) {
    labels_[copy.label] = std::string_view(text_).substr(copy.offset, copy.size);
  }
  copied_.clear();
  const Recorded* previous = nullptr;
  for (const Recorded& recorded : updates_) {
    const bool same = previous != nullptr && previous->first_label == recorded.first_label &&
                      previous->label_count == recorded.label_count;
    sink.Apply({recorded.family, recorded.op, recorded.value,
                std::span<const std::string_view>(labels_.data() + recorded.first_label,
                                                  recorded.label_count),
                same});
    previous = &recorded;
  }
}

void UpdateBatch::Clear() {
  line_ = {};
  updates_.clear();
  labels_.clear();
  copied_.clear();
  text_.clear();
}

}  // namespace metrics_adapter
