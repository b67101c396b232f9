#include "rules/log_format/apache_log_format.h"

#include <cctype>
#include <string_view>
#include <utility>
#include <vector>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// The format string of the directive: its first argument, unquoted (\" and
// \\ as httpd's config reader takes them), with each byte's column in `text`.
bool FormatOfDirective(std::string_view text, std::size_t start, std::string* format,
                       std::vector<std::size_t>* columns, std::string* error) {
  std::size_t i = start;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
  if (i >= text.size()) {
    *error = "LogFormat has no format string";
    return false;
  }
  if (text[i] != '"' && text[i] != '\'') {  // a bare word
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) {
      *format += text[i];
      columns->push_back(++i);
    }
    return true;
  }
  const char quote = text[i];
  const std::size_t open = i++;
  for (;;) {
    if (i >= text.size()) {
      *error = "column " + std::to_string(open + 1) + ": string never ends (no closing " +
               std::string(1, quote) + ")";
      return false;
    }
    if (text[i] == quote) break;
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == quote || text[i + 1] == '\\')) {
      // \\ stays for the format's own escapes (\\ is a backslash there too).
      if (text[i + 1] == '\\') {
        *format += '\\';
        columns->push_back(i + 1);
      }
      *format += text[i + 1];
      columns->push_back(i + 2);
      i += 2;
      continue;
    }
    *format += text[i];
    columns->push_back(++i);
  }
  return true;
}

// A field httpd writes in a known shape.
void Shaped(FormatField& field, FieldRole role, std::string shape, std::string a, std::string b) {
  field.role = role;
  field.shape = std::move(shape);
  field.sample[0] = std::move(a);
  field.sample[1] = std::move(b);
}

// %T, %{s}T, %{ms}T, %{us}T: the time taken, in that unit.
bool DescribeTime(const std::string& arg, FormatField& field, std::string* error) {
  if (arg != "" && arg != "s" && arg != "ms" && arg != "us") {
    *error = "%{" + arg + "}T: httpd times in s, ms or us only";
    return false;
  }
  field.duration_unit = arg.empty() ? "s" : arg;
  if (field.duration_unit == "s") {
    Shaped(field, FieldRole::kDuration, R"(\d+)", "0", "1");
  } else if (field.duration_unit == "ms") {
    Shaped(field, FieldRole::kDuration, R"(\d+)", "250", "500");
  } else {
    Shaped(field, FieldRole::kDuration, R"(\d+)", "250000", "500000");
  }
  return true;
}

// What httpd writes for directive `letter` with argument `arg` (empty when
// there is none). Returns false with *error for a %{unit}T of a unit httpd
// does not have.
bool DescribeField(char letter, const std::string& arg, FormatField& field, std::string* error) {
  // Written by httpd, never with a space (%h: an address or a looked-up
  // host name; %L: a log id or "-").
  if (std::string_view("haApPkLXIS").find(letter) != std::string_view::npos) {
    Shaped(field, FieldRole::kSkipped, R"(\S*)", "127.0.0.1", "-");
    return true;
  }
  switch (letter) {
    case 'r':
      field.role = FieldRole::kRequestLine;
      break;
    case 'm':
      field.role = FieldRole::kMethod;
      break;
    case 's':
      Shaped(field, FieldRole::kStatus, R"(\d{3})", "200", "404");
      break;
    case 'b':
      Shaped(field, FieldRole::kBodyBytes, R"(\d+|-)", "512", "-");
      break;
    case 'B':
      Shaped(field, FieldRole::kBodyBytes, R"(\d+)", "512", "0");
      break;
    case 'O':
      Shaped(field, FieldRole::kTotalBytes, R"(\d+)", "700", "188");
      break;
    case 'D':
      Shaped(field, FieldRole::kDuration, R"(\d+)", "250000", "500000");
      field.duration_unit = "us";
      break;
    case 'T':
      return DescribeTime(arg, field, error);
    case 't':
      // Plain %t is "[day/month/year:hour:minute:second zone]"; a
      // strftime format of %{...}t is text of any shape.
      if (arg.empty()) {
        Shaped(field, FieldRole::kSkipped, R"(\[[^\]]*\])", "[03/Dec/2026:10:00:00 +0000]",
               "[03/Dec/2026:10:00:01 +0000]");
      }
      break;
    default:
      // %u, %l, %U, %q, %H, %f, %v, %V, %R, %{...}i/o/n/e/C/^ti/^to, and
      // directives of modules this does not know: text a client may
      // control.
      break;
  }
  return true;
}

// Reads the directive whose '%' is at `start`, *i just after it, moving *i
// past it. Returns false with *error (without the position) when it is
// malformed.
bool ReadDirective(const std::string& format, std::size_t start, std::size_t* i, FormatField* field,
                   std::string* error) {
  // Modifiers: a status condition ("!", codes and commas), '<' or '>'.
  bool conditional = false;
  while (*i < format.size() &&
         (format[*i] == '!' || format[*i] == ',' || format[*i] == '<' || format[*i] == '>' ||
          std::isdigit(static_cast<unsigned char>(format[*i])) != 0)) {
    if (format[*i] != '<' && format[*i] != '>') conditional = true;
    ++*i;
  }
  std::string arg;
  if (*i < format.size() && format[*i] == '{') {
    const std::size_t close = format.find('}', *i + 1);
    if (close == std::string::npos) {
      *error = "\"%{\" without a closing '}'";
      return false;
    }
    arg = format.substr(*i + 1, close - *i - 1);
    *i = close + 1;
  }
  if (*i >= format.size()) {
    *error = "'%' at the end of the format names no directive";
    return false;
  }
  std::string letters(1, format[(*i)++]);
  if (letters == "^" && *i + 1 < format.size()) {  // %{...}^ti, %{...}^to
    letters += format.substr(*i, 2);
    *i += 2;
  }
  field->name = format.substr(start, *i - start);
  if (letters.size() == 1 && !DescribeField(letters[0], arg, *field, error)) return false;
  if (conditional) {
    // "-" when the condition does not hold: only skipped, never captured.
    field->role = FieldRole::kSkipped;
    if (!field->shape.empty()) field->shape = "(?:" + field->shape + ")|-";
    field->sample[1] = "-";
  }
  return true;
}

bool ParseFormat(const std::string& format, const std::vector<std::size_t>& columns, LogFormat* out,
                 std::string* error) {
  std::string literal;
  auto at = [&columns](std::size_t index) {
    return "column " + std::to_string(columns[index]) + ": ";
  };
  std::size_t i = 0;
  while (i < format.size()) {
    const char c = format[i];
    if (c == '\\' && i + 1 < format.size() &&
        (format[i + 1] == 'n' || format[i + 1] == 't' || format[i + 1] == '\\')) {
      if (format[i + 1] == 'n') {
        *error = at(i) + "\\n inside the format: each request would be logged as two lines";
        return false;
      }
      literal += format[i + 1] == 't' ? '\t' : '\\';
      i += 2;
      continue;
    }
    if (c == '\n' || c == '\r') {
      *error = at(i) + "a line break inside the format: each request would be logged as two lines";
      return false;
    }
    if (c != '%') {
      literal += c;
      ++i;
      continue;
    }
    const std::size_t start = i++;
    if (i < format.size() && format[i] == '%') {
      literal += '%';
      ++i;
      continue;
    }
    FormatField field;
    if (!ReadDirective(format, start, &i, &field, error)) {
      *error = at(start) + *error;
      return false;
    }
    AppendField(std::move(field), columns[start], literal, out->items);
  }
  AppendLiteral(literal, out->items);
  return true;
}

}  // namespace

std::optional<LogFormat> ParseApacheLogFormat(std::string_view text, std::string* error) {
  LogFormat out;
  out.server = "apache";
  out.escaping = Escaping::kBackslash;
  std::vector<std::size_t> columns;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  const std::size_t lead = first == std::string_view::npos ? text.size() : first;
  const std::string_view rest = text.substr(lead);
  if (rest.size() > 9 && EqualsIgnoreCase(rest.substr(0, 9), "LogFormat") &&
      std::isspace(static_cast<unsigned char>(rest[9])) != 0) {
    if (!FormatOfDirective(text, lead + 9, &out.format, &columns, error)) return std::nullopt;
  } else {
    ReadBareFormat(text, &out.format, &columns);
  }
  if (!ParseFormat(out.format, columns, &out, error)) return std::nullopt;
  return out;
}

}  // namespace metrics_adapter
