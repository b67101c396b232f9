// Test helper: a RecordSink that copies every record and parse error out of
// the callback (records are valid only during it), for parser tests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

using Labels = std::multimap<std::string, std::string>;

struct Copied {
  std::string text;
  std::optional<double> value;
  Labels labels;
};

struct Collector : RecordSink {
  std::vector<Copied> records;
  std::vector<std::string> errors;
  void OnRecord(const Record& record) override {
    Copied copy{std::string(record.text), record.value, {}};
    for (const RecordLabel& label : record.labels) {
      copy.labels.emplace(std::string(label.name), std::string(label.value));
    }
    records.push_back(std::move(copy));
  }
  void OnParseError(std::string_view reason) override { errors.emplace_back(reason); }
};

}  // namespace metrics_adapter
