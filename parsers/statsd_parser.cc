#include "parsers/statsd_parser.h"

#include "adapter/base/strings.h"
#include "parsers/number.h"

namespace metrics_adapter {
namespace {

// Splits off the text up to the next `separator` (or the end) from `rest`.
std::string_view NextField(std::string_view& rest, char separator) {
  const std::size_t end = rest.find(separator);
  const std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return field;
}

bool IsKnownType(std::string_view type) {
  return type == "c" || type == "g" || type == "ms" || type == "h" || type == "d" || type == "s";
}

// The labels this parser sets itself; a tag of the same name would make
// ${label.NAME} ambiguous, so such a tag is left out.
bool IsReservedLabel(std::string_view name) {
  return name == "type" || name == "delta" || name == "value";
}

// DogStatsD events and service checks are valid input but not metrics.
bool IsEventOrServiceCheck(std::string_view line) {
  return line.starts_with("_e{") || line.starts_with("_sc|");
}

// The reason a line is skipped, as RecordSink::OnParseError takes it; empty
// when the line reads.
using ErrorReason = std::string_view;

// The fields every metric line starts with: `name:value|type`.
struct Head {
  std::string_view name;
  std::string_view value_text;  // never empty
  std::string_view type;        // one IsKnownType accepts
};

// Reads the head of a line off the front of `rest`.
ErrorReason ReadHead(std::string_view& rest, Head& head) {
  const std::string_view name_value = NextField(rest, '|');
  const std::size_t colon = name_value.find(':');
  if (colon == std::string_view::npos || colon + 1 == name_value.size()) return "missing_value";
  head.name = name_value.substr(0, colon);
  head.value_text = name_value.substr(colon + 1);
  if (head.name.empty()) return "missing_name";
  head.type = NextField(rest, '|');
  // "name:1|c:2|c" (several values in one line) lands here too: its type is "c:2".
  if (!IsKnownType(head.type)) return "bad_type";
  return {};
}

// Reads `@rate`, a sample rate in (0, 1].
ErrorReason ReadSampleRate(std::string_view text, double& rate) {
  std::optional<double> parsed = ParseNumber(text);
  if (!parsed || !(*parsed > 0) || *parsed > 1) return "bad_sample_rate";
  rate = *parsed;
  return {};
}

// Reads `#tag:v,tag2:v2` into `labels`; a tag without a value has an empty one.
ErrorReason ReadTags(std::string_view tags, std::vector<RecordLabel>& labels) {
  while (!tags.empty()) {
    const std::string_view tag = NextField(tags, ',');
    if (tag.empty()) continue;  // "#a:1,,b:2" or a trailing comma: nothing there
    const std::size_t colon = tag.find(':');
    const std::string_view name = tag.substr(0, colon);
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : tag.substr(colon + 1);
    if (name.empty()) return "bad_tag";
    if (!IsReservedLabel(name)) labels.push_back({name, value});
  }
  return {};
}

// Reads the `|`-separated sections after the head: the sample rate into
// `rate`, the tags into `labels`.
ErrorReason ReadSections(std::string_view rest, double& rate, std::vector<RecordLabel>& labels) {
  while (!rest.empty()) {
    const std::string_view section = NextField(rest, '|');
    ErrorReason error;
    if (section.starts_with('@')) {
      error = ReadSampleRate(section.substr(1), rate);
    } else if (section.starts_with('#')) {
      error = ReadTags(section.substr(1), labels);
    }
    // Other sections are DogStatsD extensions (`c:` container ID, `T`
    // timestamp, `e:` external data, `card:` cardinality) that carry nothing
    // a rule can use; like the Datadog agent, skip them rather than refuse
    // the line, so newer clients keep working.
    if (!error.empty()) return error;
  }
  return {};
}

// The record's value from the head and the sample rate, into `value`; a set
// member and a gauge's sign become labels instead.
ErrorReason ReadValue(const Head& head, double rate, std::optional<double>& value,
                      std::vector<RecordLabel>& labels) {
  if (head.type == "s") {
    // A set counts distinct members; the member is text, not a number.
    labels.push_back({"value", head.value_text});
    return {};
  }
  value = ParseNumber(head.value_text);
  if (!value) return "bad_value";
  if (head.type == "c") {
    // A counter sampled at rate r was sent for a fraction r of the events:
    // dividing estimates the true count.
    *value /= rate;
  }
  // Timers, histograms and distributions keep their value: each line is one
  // observation of that size whatever the rate, and dividing would distort
  // the observed duration. Gauges are not sampled.
  if (head.type == "g" && (head.value_text.front() == '+' || head.value_text.front() == '-')) {
    // StatsD gauge semantics: a signed value changes the gauge by that much.
    labels.push_back({"delta", "true"});
  }
  return {};
}

}  // namespace

void StatsdParser::Parse(std::string_view unit, RecordSink& sink) {
  const std::string_view line = Trim(unit, kBlanksAndCr);
  // A packet ending in a newline leaves an empty last line: nothing to read.
  if (line.empty()) return;
  // Counted apart from malformed lines, so a dashboard can tell them apart.
  if (IsEventOrServiceCheck(line)) {
    sink.OnParseError("unsupported_event");
    return;
  }

  std::string_view rest = line;
  Head head;
  double rate = 1;
  std::optional<double> value;
  ErrorReason error = ReadHead(rest, head);
  if (error.empty()) {
    labels_.clear();
    labels_.push_back({"type", head.type});
    error = ReadSections(rest, rate, labels_);
  }
  if (error.empty()) error = ReadValue(head, rate, value, labels_);
  if (!error.empty()) {
    sink.OnParseError(error);
    return;
  }
  sink.OnRecord(Record{head.name, value, labels_});
}

}  // namespace metrics_adapter
