#include "parsers/influx_parser.h"

#include <charconv>
#include <cstdint>
#include <utility>

#include "parsers/number.h"

namespace metrics_adapter {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Reads from `pos` up to the first unescaped ',' or ' ' (and '=' too when
// `stop_at_equals`), or the end, leaving `pos` on that delimiter. A backslash
// escapes the character after it.
template <bool stop_at_equals>
std::string_view ScanEscaped(std::string_view line, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < line.size()) {
    const char c = line[pos];
    if (c == ',' || c == ' ' || (stop_at_equals && c == '=')) break;
    pos += (c == '\\' && pos + 1 < line.size()) ? 2 : 1;
  }
  return line.substr(start, pos - start);
}

template <typename Int>
std::optional<double> ParseInteger(std::string_view text) {
  Int number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return static_cast<double>(number);
}

// A field value that is not a string: boolean, integer (`i`), unsigned
// integer (`u`) or float.
std::optional<double> ParseFieldValue(std::string_view text) {
  if (text == "t" || text == "T" || text == "true" || text == "True" || text == "TRUE") return 1;
  if (text == "f" || text == "F" || text == "false" || text == "False" || text == "FALSE") {
    return 0;
  }
  // from_chars takes no '+' and an unsigned type no '-': exactly the
  // protocol's `-?[0-9]+i` and `[0-9]+u`, range-checked.
  if (text.ends_with('i')) return ParseInteger<std::int64_t>(text.substr(0, text.size() - 1));
  if (text.ends_with('u')) return ParseInteger<std::uint64_t>(text.substr(0, text.size() - 1));
  return ParseNumber(text);
}

}  // namespace

InfluxParser::InfluxParser(std::string separator) : separator_(std::move(separator)) {}

std::unique_ptr<Parser> InfluxParser::Create(const ParserOptions& options, std::string* error) {
  const std::string& separator = options.Get("separator");
  if (separator.empty()) {
    *error = "influx: separator must not be empty";
    return nullptr;
  }
  return std::make_unique<InfluxParser>(separator);
}

std::string_view InfluxParser::Unescape(std::string_view raw, bool string_field) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  // Names and tag values escape comma, space and equals sign; string field
  // values escape the double quote. Both escape the backslash. A backslash
  // before anything else is a literal backslash.
  const std::string_view escapable = string_field ? "\"\\" : ", =\\";
  const std::size_t start = unescaped_.size();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() &&
        escapable.find(raw[i + 1]) != std::string_view::npos) {
      ++i;
    }
    unescaped_ += raw[i];
  }
  return std::string_view(unescaped_).substr(start);
}

std::string_view InfluxParser::ParseLine(std::string_view line) {
  std::size_t pos = 0;
  measurement_ = Unescape(ScanEscaped<false>(line, pos), false);
  if (measurement_.empty()) return "missing_measurement";

  while (pos < line.size() && line[pos] == ',') {
    ++pos;
    const std::string_view key = ScanEscaped<true>(line, pos);
    if (key.empty() || pos == line.size() || line[pos] != '=') return "bad_tag";
    ++pos;
    const std::string_view value = ScanEscaped<false>(line, pos);
    if (value.empty()) return "bad_tag";
    tags_.push_back({Unescape(key, false), Unescape(value, false)});
  }

  while (pos < line.size() && IsBlank(line[pos])) ++pos;
  if (pos == line.size()) return "missing_field";
  while (true) {
    const std::string_view key = ScanEscaped<true>(line, pos);
    if (key.empty() || pos == line.size() || line[pos] != '=') return "bad_field";
    ++pos;
    Field field{Unescape(key, false), std::nullopt, {}};
    if (pos < line.size() && line[pos] == '"') {
      const std::size_t start = ++pos;
      while (pos < line.size() && line[pos] != '"') {
        pos += (line[pos] == '\\' && pos + 1 < line.size()) ? 2 : 1;
      }
      if (pos >= line.size()) return "bad_quote";
      field.string_value = Unescape(line.substr(start, pos - start), true);
      ++pos;
      if (pos < line.size() && line[pos] != ',' && !IsBlank(line[pos])) return "bad_quote";
    } else {
      const std::size_t start = pos;
      while (pos < line.size() && line[pos] != ',' && !IsBlank(line[pos])) ++pos;
      const std::string_view text = line.substr(start, pos - start);
      if (text.empty()) return "missing_value";
      field.value = ParseFieldValue(text);
      if (!field.value) return "bad_value";
    }
    fields_.push_back(field);
    if (pos < line.size() && line[pos] == ',') {
      ++pos;
      continue;
    }
    break;
  }

  while (pos < line.size() && IsBlank(line[pos])) ++pos;
  if (pos < line.size()) {
    // Nanoseconds since the epoch (or the writer's precision); checked only,
    // since a record carries no time.
    if (!ParseInteger<std::int64_t>(line.substr(pos))) return "bad_timestamp";
  }
  return {};
}

void InfluxParser::Parse(std::string_view unit, RecordSink& sink) {
  std::string_view line = unit;
  while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
  while (!line.empty() && (IsBlank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return;

  unescaped_.clear();
  unescaped_.reserve(line.size());
  tags_.clear();
  fields_.clear();
  // The whole line is read before any record goes out: like InfluxDB, a line
  // with one bad field is refused whole, so its good fields are not half-counted.
  const std::string_view error = ParseLine(line);
  if (!error.empty()) {
    sink.OnParseError(error);
    return;
  }

  for (const Field& field : fields_) {
    text_.assign(measurement_);
    text_ += separator_;
    text_ += field.key;
    Record record{text_, field.value, tags_};
    if (!field.value) {
      // The string is the label `value`; a tag of that name would make
      // ${label.value} ambiguous, so it is left out of this record.
      string_labels_.clear();
      string_labels_.push_back({"value", field.string_value});
      for (const RecordLabel& tag : tags_) {
        if (tag.name != "value") string_labels_.push_back(tag);
      }
      record.labels = string_labels_;
    }
    sink.OnRecord(record);
  }
}

}  // namespace metrics_adapter
