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

}  // namespace

void StatsdParser::Parse(std::string_view unit, RecordSink& sink) {
  const std::string_view line = Trim(unit, kBlanksAndCr);
  // A packet ending in a newline leaves an empty last line: nothing to read.
  if (line.empty()) return;

  // DogStatsD events and service checks are valid input but not metrics:
  // counted apart from malformed lines, so a dashboard can tell them apart.
  if (line.starts_with("_e{") || line.starts_with("_sc|")) {
    sink.OnParseError("unsupported_event");
    return;
  }

  std::string_view rest = line;
  const std::string_view head = NextField(rest, '|');  // name:value
  const std::size_t colon = head.find(':');
  if (colon == std::string_view::npos || colon + 1 == head.size()) {
    sink.OnParseError("missing_value");
    return;
  }
  const std::string_view name = head.substr(0, colon);
  const std::string_view value_text = head.substr(colon + 1);
  if (name.empty()) {
    sink.OnParseError("missing_name");
    return;
  }
  const std::string_view type = NextField(rest, '|');
  // "name:1|c:2|c" (several values in one line) lands here too: its type is "c:2".
  if (!IsKnownType(type)) {
    sink.OnParseError("bad_type");
    return;
  }

  labels_.clear();
  labels_.push_back({"type", type});
  double rate = 1;
  while (!rest.empty()) {
    const std::string_view section = NextField(rest, '|');
    if (section.starts_with('@')) {
      std::optional<double> parsed = ParseNumber(section.substr(1));
      if (!parsed || !(*parsed > 0) || *parsed > 1) {
        sink.OnParseError("bad_sample_rate");
        return;
      }
      rate = *parsed;
    } else if (section.starts_with('#')) {
      std::string_view tags = section.substr(1);
      while (!tags.empty()) {
        const std::string_view tag = NextField(tags, ',');
        if (tag.empty()) continue;  // "#a:1,,b:2" or a trailing comma: nothing there
        const std::size_t tag_colon = tag.find(':');
        const std::string_view tag_name = tag.substr(0, tag_colon);
        const std::string_view tag_value =
            tag_colon == std::string_view::npos ? std::string_view() : tag.substr(tag_colon + 1);
        if (tag_name.empty()) {
          sink.OnParseError("bad_tag");
          return;
        }
        if (!IsReservedLabel(tag_name)) labels_.push_back({tag_name, tag_value});
      }
    }
    // Other sections are DogStatsD extensions (`c:` container ID, `T`
    // timestamp, `e:` external data, `card:` cardinality) that carry nothing
    // a rule can use; like the Datadog agent, skip them rather than refuse
    // the line, so newer clients keep working.
  }

  Record record{name, std::nullopt, {}};
  if (type == "s") {
    // A set counts distinct members; the member is text, not a number.
    labels_.push_back({"value", value_text});
  } else {
    std::optional<double> value = ParseNumber(value_text);
    if (!value) {
      sink.OnParseError("bad_value");
      return;
    }
    if (type == "c") {
      // A counter sampled at rate r was sent for a fraction r of the events:
      // dividing estimates the true count.
      *value /= rate;
    }
    // Timers, histograms and distributions keep their value: each line is one
    // observation of that size whatever the rate, and dividing would distort
    // the observed duration. Gauges are not sampled.
    if (type == "g" && (value_text.front() == '+' || value_text.front() == '-')) {
      // StatsD gauge semantics: a signed value changes the gauge by that much.
      labels_.push_back({"delta", "true"});
    }
    record.value = value;
  }
  record.labels = labels_;
  sink.OnRecord(record);
}

}  // namespace metrics_adapter
