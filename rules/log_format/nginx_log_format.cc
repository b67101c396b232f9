#include "rules/log_format/nginx_log_format.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

bool IsNameByte(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// One word of the directive: its text (unquoted) and the column of each of
// its bytes in the input (1-based), so errors point into what was typed.
struct Word {
  std::string text;
  std::vector<std::size_t> columns;
  std::size_t column = 0;  // of the word's first byte
};

// Splits the directive into words as nginx's config parser does: quoted
// strings (' or ") with \" \' \\ \t \r \n unescaped, or bare words; ';'
// ends it.
bool SplitDirective(std::string_view text, std::vector<Word>* words, std::string* error) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
      continue;
    }
    if (c == ';') {
      if (!Trim(text.substr(i + 1), " \t\r\n").empty()) {
        *error = "column " + std::to_string(i + 2) + ": text after the ';' that ends the directive";
        return false;
      }
      return true;
    }
    Word word;
    word.column = i + 1;
    if (c == '\'' || c == '"') {
      const char quote = c;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          *error = "column " + std::to_string(word.column) + ": string never ends (no closing " +
                   std::string(1, quote) + ")";
          return false;
        }
        char byte = text[i];
        if (byte == quote) break;
        if (byte == '\\' && i + 1 < text.size()) {
          const char next = text[i + 1];
          const char unescaped = next == 't'   ? '\t'
                                 : next == 'r' ? '\r'
                                 : next == 'n' ? '\n'
                                               : next;
          if (next == '"' || next == '\'' || next == '\\' || next == 't' || next == 'r' ||
              next == 'n') {
            word.text += unescaped;
            word.columns.push_back(i + 1);
            i += 2;
            continue;
          }
        }
        word.text += byte;
        word.columns.push_back(i + 1);
        ++i;
      }
      ++i;  // the closing quote
    } else {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0 &&
             text[i] != ';') {
        word.text += text[i];
        word.columns.push_back(i + 1);
        ++i;
      }
    }
    words->push_back(std::move(word));
  }
  return true;
}

// What nginx writes for a variable, by name.
FormatField FieldFor(const std::string& name) {
  FormatField field;
  field.name = "$" + name;
  auto shaped = [&field](FieldRole role, std::string shape, std::string a, std::string b) {
    field.role = role;
    field.shape = std::move(shape);
    field.sample[0] = std::move(a);
    field.sample[1] = std::move(b);
  };
  // A list nginx writes for the upstreams a request went through: ", "
  // between servers, " : " between upstream groups (internal redirects),
  // "-" for none.
  const std::string kNumberList = R"((?:\d+(?:\.\d+)?|-)(?:(?:, | : )(?:\d+(?:\.\d+)?|-))*)";
  if (name == "request") {
    field.role = FieldRole::kRequestLine;
  } else if (name == "request_method") {
    field.role = FieldRole::kMethod;
  } else if (name == "status") {
    shaped(FieldRole::kStatus, R"(\d{3})", "200", "404");
  } else if (name == "body_bytes_sent") {
    shaped(FieldRole::kBodyBytes, R"(\d+)", "512", "0");
  } else if (name == "bytes_sent") {
    shaped(FieldRole::kTotalBytes, R"(\d+)", "700", "188");
  } else if (name == "request_time") {
    shaped(FieldRole::kDuration, R"(\d+(?:\.\d+)?)", "0.250", "0.500");
    field.duration_unit = "s";
  } else if (name == "upstream_response_time") {
    shaped(FieldRole::kUpstreamDuration, kNumberList, "0.004", "0.002, 0.001 : -");
  } else if (name == "upstream_connect_time" || name == "upstream_header_time" ||
             name == "upstream_status" || name == "upstream_bytes_received" ||
             name == "upstream_bytes_sent" || name == "upstream_response_length") {
    shaped(FieldRole::kSkipped, kNumberList, "0.004", "0.002, 0.001 : -");
    if (name == "upstream_status") field.sample[0] = "200", field.sample[1] = "502, 404 : -";
  } else if (name == "time_local") {
    shaped(FieldRole::kSkipped, R"(\S+ [+-]\d{4})", "03/Dec/2026:10:00:00 +0000",
           "03/Dec/2026:10:00:01 +0000");
  } else if (name == "remote_addr" || name == "realip_remote_addr" || name == "server_addr" ||
             name == "remote_port" || name == "realip_remote_port" || name == "server_port" ||
             name == "msec" || name == "time_iso8601" || name == "connection" ||
             name == "connection_requests" || name == "pid" || name == "request_length" ||
             name == "request_id" || name == "hostname" || name == "pipe" || name == "gzip_ratio" ||
             name == "scheme" || name == "https" || name == "upstream_cache_status" ||
             name == "nginx_version" || name == "binary_remote_addr" || name == "content_length" ||
             name == "ssl_protocol" || name == "ssl_cipher") {
    // Written by nginx, never with a space; possibly empty or "-".
    shaped(FieldRole::kSkipped, R"(\S*)", "127.0.0.1", "-");
    if (name == "msec") field.sample[0] = "1796292000.123";
    if (name == "time_iso8601") field.sample[0] = "2026-12-03T10:00:00+00:00";
  }
  // Anything else ($remote_user, $http_*, $cookie_*, $arg_*, $uri, $args,
  // $host, a module's variable): text a client may control, shape empty.
  return field;
}

// Reads the variables out of the format string `format`; `columns` gives
// each byte's column in the input.
bool ParseFormat(const std::string& format, const std::vector<std::size_t>& columns, LogFormat* out,
                 std::string* error) {
  std::size_t i = 0;
  std::string literal;
  auto at = [&columns](std::size_t index) {
    return "column " + std::to_string(columns[index]) + ": ";
  };
  while (i < format.size()) {
    const char c = format[i];
    if (c == '\n' || c == '\r') {
      *error = at(i) + "a line break inside the format: each request would be logged as two lines";
      return false;
    }
    if (c != '$') {
      literal += c;
      ++i;
      continue;
    }
    const std::size_t start = i;
    std::string name;
    if (i + 1 < format.size() && format[i + 1] == '{') {
      const std::size_t close = format.find('}', i + 2);
      if (close == std::string::npos) {
        *error = at(start) + "\"${\" without a closing '}'";
        return false;
      }
      name = format.substr(i + 2, close - i - 2);
      i = close + 1;
    } else {
      std::size_t end = i + 1;
      while (end < format.size() && IsNameByte(format[end])) ++end;
      name = format.substr(i + 1, end - i - 1);
      i = end;
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsNameByte)) {
      *error = at(start) + "'$' is not followed by a variable name";
      return false;
    }
    AppendField(FieldFor(name), columns[start], literal, out->items);
  }
  AppendLiteral(literal, out->items);
  return true;
}

}  // namespace

std::optional<LogFormat> ParseNginxLogFormat(std::string_view text, std::string* error) {
  LogFormat out;
  out.server = "nginx";
  const std::string_view trimmed = Trim(text, " \t\r\n");
  std::vector<std::size_t> columns;
  if (trimmed.starts_with("log_format") &&
      (trimmed.size() == 10 || std::isspace(static_cast<unsigned char>(trimmed[10])) != 0)) {
    std::vector<Word> words;
    if (!SplitDirective(text, &words, error)) return std::nullopt;
    std::size_t next = 1;  // after "log_format"
    if (words.size() < 3) {
      *error = "log_format needs a name and a format string";
      return std::nullopt;
    }
    out.name = words[next++].text;
    if (words[next].text.starts_with("escape=")) {
      const std::string value = words[next].text.substr(7);
      if (value == "default") {
        out.escaping = Escaping::kHex;
      } else if (value == "json") {
        out.escaping = Escaping::kBackslash;
      } else if (value == "none") {
        out.escaping = Escaping::kNone;
      } else {
        *error = "column " + std::to_string(words[next].column) + ": escape=" + value +
                 " is not default, json or none";
        return std::nullopt;
      }
      ++next;
    }
    if (next >= words.size()) {
      *error = "log_format " + out.name + " has no format string";
      return std::nullopt;
    }
    for (; next < words.size(); ++next) {
      out.format += words[next].text;
      columns.insert(columns.end(), words[next].columns.begin(), words[next].columns.end());
    }
  } else {
    ReadBareFormat(text, &out.format, &columns);
  }
  if (!ParseFormat(out.format, columns, &out, error)) return std::nullopt;
  return out;
}

}  // namespace metrics_adapter
