// The `prometheus` parser: a whole response body in the Prometheus text
// exposition format 0.0.4 (an application's own /metrics page, often not
// following the conventions). Each sample line `name{l1="v",l2="v"} value
// [timestamp]` is one record whose text is the name as written (with any
// _bucket/_sum/_count suffix), whose value is the sample value (NaN, +Inf and
// -Inf included), and whose labels are the sample's labels, unescaped.
// `# HELP`, `# TYPE`, other comments and blank lines make no record; the
// timestamp is checked and dropped. See parsers/README.md.
#pragma once

#include <string>
#include <vector>

#include "parsers/parser.h"

namespace metrics_adapter {

class PrometheusParser : public Parser {
 public:
  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  // Parses one sample line into labels_ and emits its record; false if the
  // line is malformed.
  bool ParseSample(std::string_view line, RecordSink& sink);
  // Reads the label set `{...}` at `pos` (its `{`) into labels_ and moves
  // `pos` past its `}`; false if it is malformed.
  bool ReadLabelSet(std::string_view line, std::size_t& pos);
  // Reads one `name="value"` at `pos` into labels_ and moves `pos` past it.
  bool ReadLabel(std::string_view line, std::size_t& pos);
  // Resolves the escapes of a quoted label value into unescaped_ and points
  // `value` there; false on an escape the format does not define.
  bool Unescape(std::string_view& value);

  // Reused for every line so that records cost no allocation in the steady
  // state. unescaped_ is reserved to the line's length before use (escapes
  // only shorten), so views into it stay valid for the whole line.
  std::string unescaped_;
  std::vector<RecordLabel> labels_;
};

}  // namespace metrics_adapter
