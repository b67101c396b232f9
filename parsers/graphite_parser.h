// The `graphite` parser: one line of Graphite's plaintext protocol,
// `path value [timestamp]` or the tagged form `path;tag=v;tag2=v2 value
// [timestamp]`, is one record whose text is the path, whose value is the
// value, and whose labels are the tags. The timestamp is checked and dropped:
// a record has no time, the adapter exports current values. See
// parsers/README.md.
#pragma once

#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class GraphiteParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  // Reused for every line so that a record costs no allocation.
  std::vector<RecordLabel> labels_;
};

}  // namespace metrics_adapter
