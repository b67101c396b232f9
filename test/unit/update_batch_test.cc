// UpdateBatch: updates replayed in the order recorded, with the label values
// they had when recorded, whether kept as views into the line or copied.
#include "adapter/pipeline/update_batch.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {
namespace {

struct Replayed {
  int family;
  UpdateOp op;
  double value;
  std::vector<std::string> labels;
  std::vector<const char*> data;  // where each label value's bytes were
};

class Recorder : public UpdateSink {
 public:
  void Apply(const Update& update) override {
    Replayed replayed{update.family, update.op, update.value, {}, {}};
    for (std::string_view value : update.label_values) {
      replayed.labels.emplace_back(value);
      replayed.data.push_back(value.data());
    }
    updates.push_back(std::move(replayed));
  }
  std::vector<Replayed> updates;
};

TEST_CASE("values inside the line are kept as views, others copied; order kept") {
  const std::string line = "GET /index.html 200";
  const std::string_view in_line(line);
  std::string built = "s7";  // a value made from a template, in a buffer that is reused
  UpdateBatch batch;
  batch.SetLine(in_line);
  const std::string_view first[] = {in_line.substr(0, 3), in_line.substr(16, 3)};
  batch.Apply({0, UpdateOp::kInc, 1, first});
  const std::string_view second[] = {built, in_line.substr(4, 11)};
  batch.Apply({2, UpdateOp::kSet, 0.5, second});
  // The reused buffer changes before the batch is replayed: the copy holds.
  built = "s8";
  // A value that ends past the line, though it starts inside it, is copied.
  const std::string longer = line + " extra";
  batch.SetLine(std::string_view(longer).substr(0, 3));
  const std::string_view third[] = {std::string_view(longer).substr(0, 9)};
  batch.Apply({1, UpdateOp::kAdd, 3, third});
  CHECK(batch.size() == 3);

  Recorder recorder;
  batch.Replay(recorder);
  REQUIRE(recorder.updates.size() == 3);
  CHECK(recorder.updates[0].family == 0);
  CHECK(recorder.updates[0].labels == std::vector<std::string>{"GET", "200"});
  CHECK(recorder.updates[0].data[0] == line.data());
  CHECK(recorder.updates[1].op == UpdateOp::kSet);
  CHECK(recorder.updates[1].value == 0.5);
  CHECK(recorder.updates[1].labels == std::vector<std::string>{"s7", "/index.html"});
  CHECK(recorder.updates[1].data[0] != built.data());
  CHECK(recorder.updates[1].data[1] == line.data() + 4);
  CHECK(recorder.updates[2].labels == std::vector<std::string>{"GET /inde"});
  CHECK(recorder.updates[2].data[0] != longer.data());
}

TEST_CASE("a cleared batch is empty and records anew") {
  UpdateBatch batch;
  const std::string copied = "copied";
  const std::string_view labels[] = {copied};
  batch.Apply({0, UpdateOp::kInc, 1, labels});
  batch.Clear();
  CHECK(batch.size() == 0);
  Recorder empty;
  batch.Replay(empty);
  CHECK(empty.updates.empty());

  // Many copies: the copied text grows and moves; every value stays right.
  for (int i = 0; i < 1000; ++i) {
    const std::string value = "v" + std::to_string(i);
    const std::string_view one[] = {value};
    batch.Apply({0, UpdateOp::kInc, 1, one});
  }
  Recorder recorder;
  batch.Replay(recorder);
  REQUIRE(recorder.updates.size() == 1000);
  for (int i = 0; i < 1000; i += 111) {
    CHECK(recorder.updates[static_cast<std::size_t>(i)].labels[0] == "v" + std::to_string(i));
  }
}

TEST_CASE("an update that shares the labels of the one before refers to its values") {
  UpdateBatch batch;
  std::string storage = "GET";  // not in a line: copied
  std::vector<std::string_view> labels = {storage, "200"};
  batch.Apply({0, UpdateOp::kInc, 1, labels});
  batch.Apply({1, UpdateOp::kAdd, 512, labels, /*same_labels=*/true});
  storage = "PUT";  // the caller's buffer changes: the batch holds its own copy
  labels = {storage, "201"};
  batch.Apply({0, UpdateOp::kInc, 1, labels});
  batch.Apply({1, UpdateOp::kAdd, 7, labels, true});
  batch.Apply({2, UpdateOp::kSet, 3, {}, false});
  class Dump : public UpdateSink {
   public:
    void Apply(const Update& update) override {
      text += std::to_string(update.family) + "{";
      for (std::size_t i = 0; i < update.label_values.size(); ++i) {
        text += (i ? "," : "") + std::string(update.label_values[i]);
      }
      text += update.same_labels ? "}= " : "} ";
    }
    std::string text;
  } dump;
  batch.Replay(dump);
  CHECK(dump.text == "0{GET,200} 1{GET,200}= 0{PUT,201} 1{PUT,201}= 2{} ");

  // After Clear nothing is there to share: the values are recorded anew.
  batch.Clear();
  batch.Apply({1, UpdateOp::kAdd, 9, labels, true});
  Dump again;
  batch.Replay(again);
  CHECK(again.text == "1{PUT,201} ");
}

}  // namespace
}  // namespace metrics_adapter
