// The `influx` parser: one line of InfluxDB line protocol,
// `measurement[,tag=v...] field=value[,field2=value2...] [timestamp]`, yields
// one record per field. A record's text is `measurement<separator>field`
// (separator "." by default), its labels are the line's tags, and its value
// is the field's number (integers, unsigned integers, floats; booleans as 1
// or 0). A string field has no value; its string is the label `value`.
// The timestamp is checked and dropped: the adapter exports current values.
// See parsers/README.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parsers/parser.h"
#include "parsers/registry.h"

namespace metrics_adapter {

class InfluxParser : public Parser {
 public:
  explicit InfluxParser(std::string separator = ".");
  // The registry's factory: checks the options (see registry.cc).
  static std::unique_ptr<Parser> Create(const ParserOptions& options, std::string* error);
  void Parse(std::string_view unit, RecordSink& sink) override;

 private:
  struct Field {
    std::string_view key;
    std::optional<double> value;  // absent for a string field
    std::string_view string_value;
  };

  // Parses `line` into measurement_, tags_ and fields_; returns the error
  // reason, or an empty view when the line is good.
  std::string_view ParseLine(std::string_view line);
  // `raw` with its backslash escapes resolved: `raw` itself when it has
  // none, else a view into unescaped_.
  std::string_view Unescape(std::string_view raw, bool string_field);

  std::string separator_;
  // Reused for every line so that records cost no allocation in the steady
  // state. unescaped_ is reserved to the line's length before use (escapes
  // only shorten), so views into it stay valid for the whole line.
  std::string unescaped_;
  std::string text_;
  std::string_view measurement_;
  std::vector<RecordLabel> tags_;
  std::vector<RecordLabel> string_labels_;  // `value` and the tags, for a string field
  std::vector<Field> fields_;
};

}  // namespace metrics_adapter
