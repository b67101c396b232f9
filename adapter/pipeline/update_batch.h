// UpdateBatch: the updates of a run of records, kept in order to be applied
// later, on another thread. Matching a slice of lines on a worker thread
// writes into a batch; the slices' batches are then applied to the store in
// input order, so an order-dependent result (a gauge `set` by a later line
// wins) is what one thread would have made.
//
// Label values are copied into the batch (an Update's views are valid only
// during Apply); the batch's buffers are kept across Clear, so a reused batch
// allocates nothing in the steady state.
//
// Usage:
//   UpdateBatch batch;
//   rules.Match(record, scratch, counts, batch);  // records, does not apply
//   batch.Replay(writer);                          // applies them in order
//   batch.Clear();
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule_set.h"

namespace metrics_adapter {

class UpdateBatch : public UpdateSink {
 public:
  // Records `update`, its label values copied.
  void Apply(const Update& update) override;
  // Applies every recorded update to `sink`, in the order recorded.
  void Replay(UpdateSink& sink);
  // Forgets the updates, keeping the buffers.
  void Clear();
  std::size_t size() const { return updates_.size(); }

 private:
  struct Recorded {
    int family;
    UpdateOp op;
    double value;
    std::size_t first_label;  // into labels_
    std::size_t label_count;
  };
  struct LabelText {
    std::size_t offset;  // into text_
    std::size_t size;
  };
  std::vector<Recorded> updates_;
  std::vector<LabelText> labels_;
  std::string text_;                     // every label value, back to back
  std::vector<std::string_view> views_;  // Replay's label values of one update
};

}  // namespace metrics_adapter
