#include "parsers/prometheus_parser.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "adapter/base/strings.h"
#include "parsers/number.h"

namespace metrics_adapter {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

void SkipBlanks(std::string_view line, std::size_t& pos) {
  while (pos < line.size() && IsBlank(line[pos])) ++pos;
}

// Names are read leniently (any run of characters that cannot end the name
// or start a label set) because non-standard pages use dots and dashes;
// rules match the name with a regex anyway.
bool IsNameChar(char c) {
  return !IsBlank(c) && c != '{' && c != '}' && c != '"' && c != '=' && c != ',';
}

// A sample value: a number as ParseNumber reads it, or NaN / +Inf / -Inf /
// Inf (any case, as Prometheus itself reads them). ParseNumber refuses
// non-finite numbers, which rule captures must never yield, so they are
// spelled out here.
std::optional<double> ParseSampleValue(std::string_view text) {
  if (EqualsIgnoreCase(text, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (EqualsIgnoreCase(text, "+inf") || EqualsIgnoreCase(text, "inf")) {
    return std::numeric_limits<double>::infinity();
  }
  if (EqualsIgnoreCase(text, "-inf")) return -std::numeric_limits<double>::infinity();
  return ParseNumber(text);
}

// Whether `text` is a whole timestamp: an integer of milliseconds.
bool IsTimestamp(std::string_view text) {
  std::int64_t timestamp = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, timestamp);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool PrometheusParser::Unescape(std::string_view& value) {
  const std::size_t start = unescaped_.size();
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\') {
      // The scan that found the closing quote guarantees a next character.
      const char next = value[++i];
      // The format defines exactly these three escapes.
      if (next == 'n') {
        c = '\n';
      } else if (next == '\\' || next == '"') {
        c = next;
      } else {
        return false;
      }
    }
    unescaped_ += c;
  }
  value = std::string_view(unescaped_).substr(start);
  return true;
}

void PrometheusParser::Parse(std::string_view unit, RecordSink& sink) {
  std::string_view rest = unit;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = Trim(rest.substr(0, end), kBlanksAndCr);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    // HELP, TYPE and any other comment: nothing a rule needs.
    if (line.empty() || line.front() == '#') continue;
    if (!ParseSample(line, sink)) sink.OnParseError("bad_sample");
  }
}

bool PrometheusParser::ParseSample(std::string_view line, RecordSink& sink) {
  unescaped_.clear();
  unescaped_.reserve(line.size());
  labels_.clear();

  std::size_t pos = 0;
  while (pos < line.size() && IsNameChar(line[pos])) ++pos;
  const std::string_view name = line.substr(0, pos);
  if (name.empty()) return false;
  SkipBlanks(line, pos);
  if (pos < line.size() && line[pos] == '{') {
    if (!ReadLabelSet(line, pos)) return false;
    SkipBlanks(line, pos);
  }

  const std::size_t value_start = pos;
  while (pos < line.size() && !IsBlank(line[pos])) ++pos;
  const std::optional<double> value = ParseSampleValue(line.substr(value_start, pos - value_start));
  if (!value) return false;
  SkipBlanks(line, pos);
  // Milliseconds since the epoch; checked only, since a record has no time.
  if (pos < line.size() && !IsTimestamp(line.substr(pos))) return false;
  sink.OnRecord(Record{name, value, labels_});
  return true;
}

bool PrometheusParser::ReadLabelSet(std::string_view line, std::size_t& pos) {
  ++pos;  // '{'
  while (true) {
    SkipBlanks(line, pos);
    if (pos == line.size()) return false;
    if (line[pos] == '}') break;  // also after a trailing comma, which the format allows
    if (!ReadLabel(line, pos)) return false;
    SkipBlanks(line, pos);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos == line.size() || line[pos] != '}') return false;
    break;
  }
  ++pos;  // '}'
  return true;
}

bool PrometheusParser::ReadLabel(std::string_view line, std::size_t& pos) {
  const std::size_t name_start = pos;
  while (pos < line.size() && IsNameChar(line[pos])) ++pos;
  const std::string_view name = line.substr(name_start, pos - name_start);
  if (name.empty()) return false;
  SkipBlanks(line, pos);
  if (pos == line.size() || line[pos] != '=') return false;
  ++pos;
  SkipBlanks(line, pos);
  if (pos == line.size() || line[pos] != '"') return false;
  ++pos;
  const std::size_t quoted_start = pos;
  bool escaped = false;
  while (pos < line.size() && line[pos] != '"') {
    if (line[pos] == '\\') {
      escaped = true;
      ++pos;
    }
    ++pos;
  }
  if (pos >= line.size()) return false;  // unterminated label value
  std::string_view value = line.substr(quoted_start, pos - quoted_start);
  ++pos;  // closing '"'
  if (escaped && !Unescape(value)) return false;
  labels_.push_back({name, value});
  return true;
}

}  // namespace metrics_adapter
