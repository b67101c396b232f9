#include "parsers/graphite_parser.h"

#include "parsers/number.h"

namespace metrics_adapter {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits off the next run of non-blank characters from `rest` (carbon
// splits lines on any run of whitespace). Empty when none is left.
std::string_view NextWord(std::string_view& rest) {
  std::size_t start = 0;
  while (start < rest.size() && IsBlank(rest[start])) ++start;
  std::size_t end = start;
  while (end < rest.size() && !IsBlank(rest[end])) ++end;
  const std::string_view word = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return word;
}

// Seconds since the epoch, the common case, without a floating-point parse.
bool IsDigits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void GraphiteParser::Parse(std::string_view unit, RecordSink& sink) {
  std::string_view rest = unit;
  const std::string_view path_and_tags = NextWord(rest);
  // Blank lines (e.g. after a trailing newline) carry nothing.
  if (path_and_tags.empty()) return;
  const std::string_view value_text = NextWord(rest);
  const std::string_view timestamp = NextWord(rest);
  if (value_text.empty()) {
    sink.OnParseError("missing_value");
    return;
  }
  if (!NextWord(rest).empty()) {
    sink.OnParseError("extra_field");
    return;
  }

  labels_.clear();
  std::string_view tags = path_and_tags;
  const std::size_t semicolon = tags.find(';');
  const std::string_view path = tags.substr(0, semicolon);
  if (path.empty()) {
    sink.OnParseError("missing_path");
    return;
  }
  if (semicolon != std::string_view::npos) {
    tags.remove_prefix(semicolon + 1);
    while (true) {
      const std::size_t end = tags.find(';');
      const std::string_view tag = tags.substr(0, end);
      // Graphite splits a tag at its first '=': the value may contain more.
      const std::size_t equals = tag.find('=');
      if (equals == std::string_view::npos || equals == 0 || equals + 1 == tag.size()) {
        sink.OnParseError("bad_tag");
        return;
      }
      labels_.push_back({tag.substr(0, equals), tag.substr(equals + 1)});
      if (end == std::string_view::npos) break;
      tags.remove_prefix(end + 1);
    }
  }

  const std::optional<double> value = ParseNumber(value_text);
  if (!value) {
    sink.OnParseError("bad_value");
    return;
  }
  // Absent or -1 means "now"; any other timestamp must at least be a number.
  // Either way it is dropped: the adapter exports current values.
  if (!timestamp.empty() && timestamp != "-1" && !IsDigits(timestamp) && !ParseNumber(timestamp)) {
    sink.OnParseError("bad_timestamp");
    return;
  }
  sink.OnRecord(Record{path, value, labels_});
}

}  // namespace metrics_adapter
