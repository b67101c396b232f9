// UpdateBatch: the updates of a run of records, kept in order to be applied
// later, on another thread. Matching a slice of lines on a worker thread
// writes into a batch; the slices' batches are then applied to the store in
// input order, so an order-dependent result (a gauge `set` by a later line
// wins) is what one thread would have made.
//
// A label value that lies inside the line the updates come from (SetLine:
// most values are captures of the line) is kept as a view into that line,
// which must therefore stay valid, unchanged, until the batch is replayed;
// any other value (a value built from a template, a parser's unescaped text)
// is copied, since an Update's views are valid only during Apply. An update
// that shares the labels of the one before (Update::same_labels) refers to
// the values recorded for that one. The
// batch's buffers are kept across Clear, so a reused batch allocates nothing
// in the steady state.
//
// Usage:
//   UpdateBatch batch;
//   batch.SetLine(line);                           // the line being matched
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
  // The line the next updates' records were parsed from (empty: none, every
  // value is copied). It must outlive the next Replay.
  void SetLine(std::string_view line) { line_ = line; }
  // Records `update`: its label values as views into the line, or copied.
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
  // A copied value: labels_[label] is set to it once text_ no longer grows.
  struct Copied {
    std::size_t label;
    std::size_t offset;  // into text_
    std::size_t size;
  };
  std::string_view line_;
  std::vector<Recorded> updates_;
  std::vector<std::string_view> labels_;  // every update's label values, in order
  std::vector<Copied> copied_;            // the labels_ whose text is in text_
  std::string text_;                      // the copied values, back to back
};

}  // namespace metrics_adapter
