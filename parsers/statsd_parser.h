// The `statsd` parser: one StatsD / DogStatsD line
// `name:value|type[|@rate][|#tag:v,tag2:v2]` is one record whose text is the
// metric name, whose value is the number sent, and whose labels are `type`
// (the type as sent: c, g, ms, h, d, s) and the DogStatsD tags.
//
// Counters are divided by their sample rate so that they estimate the true
// total; a gauge sent with a sign is a delta (label `delta`="true"); a set
// member has no value and is the label `value`. See parsers/README.md.
#pragma once

#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class StatsdParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  // Reused for every line so that a record costs no allocation.
  std::vector<RecordLabel> labels_;
};

}  // namespace metrics_adapter
