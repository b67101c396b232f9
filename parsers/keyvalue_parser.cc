#include "parsers/keyvalue_parser.h"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

#include "adapter/base/strings.h"
#include "parsers/number.h"
#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

// \r included: redis INFO ends its lines with \r\n.

}  // namespace

std::unique_ptr<Parser> KeyValueParser::Create(const ParserOptions& options, std::string* error) {
  Options parsed;
  parsed.separator = options.Get("separator");
  parsed.comment_prefix = options.Get("comment_prefix");
  parsed.line_prefix = options.Get("line_prefix");
  parsed.subfields = options.Get("subfields");
  parsed.subfield_separator = options.Get("subfield_separator");
  const std::string& skip = options.Get("skip_lines_without_separator");
  if (skip != "true" && skip != "false") {
    *error = "keyvalue: skip_lines_without_separator must be true or false, not \"" + skip + "\"";
    return nullptr;
  }
  parsed.skip_lines_without_separator = options.Bool("skip_lines_without_separator");
  if (parsed.separator.empty()) {
    *error = "keyvalue: separator must not be empty";
    return nullptr;
  }
  parsed.count_key = options.Get("count_key");
  parsed.count_characters = options.Get("count_characters");
  if (parsed.count_key.empty() != parsed.count_characters.empty()) {
    *error = "keyvalue: count_key and count_characters go together: set both or neither";
    return nullptr;
  }
  for (std::size_t i = 0; i < parsed.count_characters.size(); ++i) {
    if (parsed.count_characters.find(parsed.count_characters[i], i + 1) != std::string::npos) {
      *error = "keyvalue: count_characters lists \"" + std::string(1, parsed.count_characters[i]) +
               "\" twice";
      return nullptr;
    }
  }
  if (!parsed.subfields.empty()) {
    if (parsed.subfield_separator.empty()) {
      *error = "keyvalue: subfield_separator must not be empty when subfields is set";
      return nullptr;
    }
    if (parsed.subfield_separator == parsed.subfields) {
      *error = "keyvalue: subfields and subfield_separator must differ";
      return nullptr;
    }
  }
  return std::make_unique<KeyValueParser>(std::move(parsed));
}

KeyValueParser::KeyValueParser(Options options)
    : options_(std::move(options)), whitespace_separator_(options_.separator == " ") {}

void KeyValueParser::Parse(std::string_view unit, RecordSink& sink) {
  while (!unit.empty()) {
    std::size_t newline = unit.find('\n');
    std::string_view line = unit.substr(0, newline);
    unit.remove_prefix(newline == std::string_view::npos ? unit.size() : newline + 1);
    ParseLine(line, sink);
  }
}

void KeyValueParser::ParseLine(std::string_view raw, RecordSink& sink) {
  std::string_view line = Trim(raw, kWhitespace);
  if (line.empty()) return;
  if (!options_.comment_prefix.empty() && line.starts_with(options_.comment_prefix)) return;
  if (!options_.line_prefix.empty()) {
    // Lines without the prefix are the format's framing (memcached's "END"), not errors.
    if (!line.starts_with(options_.line_prefix)) return;
    line.remove_prefix(options_.line_prefix.size());
  }
  std::size_t split, separator_size;
  if (whitespace_separator_) {
    split = line.find_first_of(" \t");
    separator_size = 1;  // the rest of the run is trimmed off the value
  } else {
    split = line.find(options_.separator);
    separator_size = options_.separator.size();
  }
  if (split == std::string_view::npos) {
    // A separator made of whitespace ("\t") before an empty value was
    // trimmed off with the line's end: the key has an empty value.
    const std::string_view trimmed_end =
        raw.substr(static_cast<std::size_t>(line.data() + line.size() - raw.data()));
    if (!whitespace_separator_ && !line.empty() &&
        trimmed_end.find(options_.separator) != std::string_view::npos) {
      EmitValue(Trim(line, kWhitespace), {}, sink);
      return;
    }
    if (!options_.skip_lines_without_separator) sink.OnParseError("missing_separator");
    return;
  }
  std::string_view key = Trim(line.substr(0, split), kWhitespace);
  if (key.empty()) {
    sink.OnParseError("empty_key");
    return;
  }
  EmitValue(key, Trim(line.substr(split + separator_size), kWhitespace), sink);
}

void KeyValueParser::EmitValue(std::string_view key, std::string_view value, RecordSink& sink) {
  if (!options_.count_key.empty() && key == options_.count_key) {
    EmitCharacterCounts(key, value, sink);
    return;
  }
  const std::string& subfields = options_.subfields;
  const std::string& subfield_separator = options_.subfield_separator;
  if (subfields.empty() || value.find(subfield_separator) == std::string_view::npos) {
    EmitRecord(key, value, sink);
    return;
  }
  // Split only when every non-empty part is a pair: a free-text value that
  // happens to contain the sub-field separator (a path, a command line)
  // stays one record rather than becoming bogus sub-fields.
  // The next sub-field of `rest`, trimmed; `rest` moves past it.
  const auto next_part = [&subfields](std::string_view& rest) {
    const std::size_t end = rest.find(subfields);
    const std::string_view part = Trim(rest.substr(0, end), kWhitespace);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + subfields.size());
    return part;
  };
  for (std::string_view rest = value; !rest.empty();) {
    const std::string_view part = next_part(rest);
    if (!part.empty() && part.find(subfield_separator) == std::string_view::npos) {
      EmitRecord(key, value, sink);
      return;
    }
  }
  for (std::string_view rest = value; !rest.empty();) {
    const std::string_view part = next_part(rest);
    if (part.empty()) continue;
    std::size_t split = part.find(subfield_separator);
    subfield_key_.assign(key);
    subfield_key_ += '.';
    subfield_key_.append(Trim(part.substr(0, split), kWhitespace));
    EmitRecord(subfield_key_, Trim(part.substr(split + subfield_separator.size()), kWhitespace),
               sink);
  }
}

void KeyValueParser::EmitCharacterCounts(std::string_view key, std::string_view value,
                                         RecordSink& sink) {
  std::array<std::size_t, 256> counts{};
  for (const char c : value) ++counts[static_cast<unsigned char>(c)];
  for (const char c : options_.count_characters) {
    subfield_key_.assign(key);
    subfield_key_ += '.';
    subfield_key_ += c;
    const std::string count = std::to_string(counts[static_cast<unsigned char>(c)]);
    const RecordLabel label{"value", count};
    sink.OnRecord(Record{subfield_key_, static_cast<double>(counts[static_cast<unsigned char>(c)]),
                         std::span<const RecordLabel>(&label, 1)});
  }
}

void KeyValueParser::EmitRecord(std::string_view key, std::string_view value, RecordSink& sink) {
  const RecordLabel label{"value", value};
  sink.OnRecord(Record{key, ParseNumber(value), std::span<const RecordLabel>(&label, 1)});
}

}  // namespace metrics_adapter
