#include "rules/log_format/rule_file_writer.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

namespace metrics_adapter {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Which item each captured value comes from (kNone: the format has none).
struct Captures {
  std::size_t method = kNone;  // a kRequestLine or kMethod field
  std::size_t status = kNone;
  std::size_t bytes = kNone;  // kBodyBytes, else kTotalBytes
  std::size_t duration = kNone;
  std::size_t upstream = kNone;  // kUpstreamDuration
};

Captures ChooseCaptures(const LogFormat& format) {
  Captures captures;
  std::size_t total_bytes = kNone;
  for (std::size_t i = 0; i < format.items.size(); ++i) {
    const FormatItem& item = format.items[i];
    if (!item.is_field()) continue;
    auto first = [i](std::size_t& slot) {
      if (slot == kNone) slot = i;
    };
    switch (item.field.role) {
      case FieldRole::kRequestLine:
      case FieldRole::kMethod:
        first(captures.method);
        break;
      case FieldRole::kStatus:
        first(captures.status);
        break;
      case FieldRole::kBodyBytes:
        first(captures.bytes);
        break;
      case FieldRole::kTotalBytes:
        first(total_bytes);
        break;
      case FieldRole::kDuration:
        first(captures.duration);
        break;
      case FieldRole::kUpstreamDuration:
        first(captures.upstream);
        break;
      case FieldRole::kSkipped:
        break;
    }
  }
  if (captures.bytes == kNone) captures.bytes = total_bytes;
  return captures;
}

// A byte as a regex: itself, '\'-escaped when special, \t or \xHH when not
// printable.
std::string RegexByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == '\t') return R"(\t)";
  if (byte < 0x20 || byte >= 0x7f) {
    char hex[5];
    std::snprintf(hex, sizeof hex, "\\x%02X", byte);
    return hex;
  }
  if (std::string_view(R"(\.^$|?*+()[]{})").find(c) != std::string_view::npos) {
    return "\\" + std::string(1, c);
  }
  return std::string(1, c);
}

// The byte right after item i, when it is literal text.
std::optional<char> NextByte(const LogFormat& format, std::size_t i) {
  if (i + 1 >= format.items.size() || format.items[i + 1].is_field()) return std::nullopt;
  return format.items[i + 1].literal.front();
}

// The regex of text a client controls in item i. `strict`: where the value
// could hold the byte after it, take no spaces (the common case, pinned in
// place); otherwise any text (the fallback rule).
std::string ClientText(const LogFormat& format, std::size_t i, bool strict) {
  const std::optional<char> next = NextByte(format, i);
  if (format.escaping != Escaping::kNone && next) {
    if (*next == '"') {
      return format.escaping == Escaping::kHex ? R"([^"]*)" : R"((?:[^"\\]|\\.)*)";
    }
    if (static_cast<unsigned char>(*next) < 0x20) return "[^" + RegexByte(*next) + "]*";
  }
  return strict ? R"(\S*)" : ".*";
}

// Whether item i's text regex depends on `strict`.
bool NeedsFallback(const LogFormat& format, std::size_t i) {
  return ClientText(format, i, true) != ClientText(format, i, false);
}

std::string FieldRegex(const LogFormat& format, const Captures& captures, std::size_t i,
                       bool strict) {
  const FormatField& field = format.items[i].field;
  std::string text = ClientText(format, i, strict);
  if (i == captures.method) {
    return field.role == FieldRole::kRequestLine
               ? "(?:(?P<method>[A-Z]+) " + text + "|" + text + ")"
               : "(?:(?P<method>[A-Z]+)|" + text + ")";
  }
  if (i == captures.status) return R"((?P<status>\d{3}))";
  if (i == captures.bytes) return R"((?:(?P<bytes>\d+)|-))";
  if (i == captures.duration) return "(?P<duration>" + field.shape + ")";
  if (i == captures.upstream) {
    // Every entry but the last skipped; the last read unless it is "-".
    return R"((?:(?:\d+(?:\.\d+)?|-)(?:, | : ))*(?:(?P<upstream>\d+(?:\.\d+)?)|-))";
  }
  if (field.shape.empty()) return text;
  return "(?:" + field.shape + ")";
}

std::string Regex(const LogFormat& format, const Captures& captures, bool strict) {
  std::string regex = "^";
  for (std::size_t i = 0; i < format.items.size(); ++i) {
    const FormatItem& item = format.items[i];
    if (item.is_field()) {
      regex += FieldRegex(format, captures, i, strict);
    } else {
      for (const char c : item.literal) regex += RegexByte(c);
    }
  }
  return regex + "$";
}

// YAML single-quoted: '' for '.
std::string SingleQuoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// ---------------------------------------------------------------------------
// The synthetic test lines.

enum class Line { kOrdinary, kOdd, kJunkRequest };

// A client's text as the server logs it: a '"' and a '\' as the escaping
// writes them, where the value is delimited so that they cannot end it.
std::string HostileText(const LogFormat& format, std::size_t i) {
  if (NeedsFallback(format, i)) return "a b";
  return format.escaping == Escaping::kHex ? R"(a b\x22 200 1 \x22\x5C)" : R"(a b\" 200 1 \"\\)";
}

std::string RequestSample(const LogFormat& format, Line line) {
  if (line == Line::kOrdinary) return "GET /index.html HTTP/1.1";
  if (line == Line::kJunkRequest) return R"(\x16\x03\x01)";
  switch (format.escaping) {
    case Escaping::kHex:
      return R"(POST /a\x22b\x5C?q=\x22 404 HTTP/1.1)";
    case Escaping::kBackslash:
      return R"(POST /a\"b\\?q=\" 404 HTTP/1.1)";
    case Escaping::kNone:
      break;
  }
  return "POST /a b HTTP/1.1";
}

std::string Sample(const LogFormat& format, const Captures& captures, std::size_t i, Line line) {
  const FormatField& field = format.items[i].field;
  const int which = line == Line::kOdd ? 1 : 0;
  if (i == captures.status && line == Line::kJunkRequest) return "400";
  switch (field.role) {
    case FieldRole::kRequestLine:
      return i == captures.method ? RequestSample(format, line) : "GET / HTTP/1.1";
    case FieldRole::kMethod:
      return line == Line::kOdd && i == captures.method ? "POST" : "GET";
    default:
      break;
  }
  if (!field.shape.empty()) return field.sample[which];
  return line == Line::kOdd ? HostileText(format, i) : "-";
}

std::string SyntheticLine(const LogFormat& format, const Captures& captures, Line line) {
  std::string out;
  for (std::size_t i = 0; i < format.items.size(); ++i) {
    const FormatItem& item = format.items[i];
    out += item.is_field() ? Sample(format, captures, i, line) : item.literal;
  }
  return out;
}

// What the rules make of the synthetic lines, per label set.
struct Expected {
  int requests = 0;
  std::optional<std::uint64_t> bytes;  // set when a bytes emit ran
  int durations = 0;
  int upstream_durations = 0;
};

std::string LabelsOf(const LogFormat& format, const Captures& captures, Line line) {
  std::string method = "_OTHER";
  if (captures.method != kNone && line != Line::kJunkRequest) {
    method = line == Line::kOdd ? "POST" : "GET";
  }
  const std::string status = Sample(format, captures, captures.status, line);
  return "{http_request_method=\"" + method + "\",http_response_status_code=\"" + status + "\"}";
}

std::string ExpectText(const LogFormat& format, const Captures& captures,
                       const std::vector<Line>& lines) {
  std::map<std::string, Expected> expected;
  for (const Line line : lines) {
    Expected& e = expected[LabelsOf(format, captures, line)];
    ++e.requests;
    if (captures.bytes != kNone) {
      const std::string bytes = Sample(format, captures, captures.bytes, line);
      if (bytes != "-") e.bytes = e.bytes.value_or(0) + std::stoull(bytes);
    }
    if (captures.duration != kNone) ++e.durations;
    if (captures.upstream != kNone) {
      const std::string list = Sample(format, captures, captures.upstream, line);
      if (list.back() != '-') ++e.upstream_durations;
    }
  }
  std::string out;
  for (const auto& [labels, e] : expected) {
    out += "      http_server_requests_total" + labels + " " + std::to_string(e.requests) + "\n";
    if (e.bytes) {
      out += "      http_server_response_body_size_bytes_total" + labels + " " +
             std::to_string(*e.bytes) + "\n";
    }
    if (e.durations > 0) {
      out += "      http_server_request_duration_seconds_count" + labels + " " +
             std::to_string(e.durations) + "\n";
    }
    if (e.upstream_durations > 0) {
      out += "      http_server_upstream_duration_seconds_count" + labels + " " +
             std::to_string(e.upstream_durations) + "\n";
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// The file.

constexpr std::string_view kLabels =
    "    labels: &http_labels\n"
    "      - name: http_request_method\n"
    "        values: [GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH]\n"
    "        other: _OTHER\n"
    "      - http_response_status_code\n";

std::string Families(const Captures& captures) {
  std::string out =
      "# The HTTP families of rules/schema/http.yaml, declared here so that the file\n"
      "# stands alone; they agree with http.yaml where both are loaded.\n"
      "metrics:\n"
      "  - name: http_server_requests_total\n"
      "    type: counter\n"
      "    help: HTTP requests the server completed, by method and status code.\n" +
      std::string(kLabels);
  if (captures.duration != kNone) {
    out +=
        "  - name: http_server_request_duration_seconds\n"
        "    type: histogram\n"
        "    help: Time the server took to handle HTTP requests, in seconds.\n"
        "    labels: *http_labels\n"
        "    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, "
        "10]\n";
  }
  if (captures.upstream != kNone) {
    out +=
        "  - name: http_server_upstream_duration_seconds\n"
        "    type: histogram\n"
        "    help: >-\n"
        "      Time the upstream server that answered took to send its response to a\n"
        "      request the server proxied, in seconds.\n"
        "    labels: *http_labels\n"
        "    buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, "
        "10]\n";
  }
  if (captures.bytes != kNone) {
    out +=
        "  - name: http_server_response_body_size_bytes_total\n"
        "    type: counter\n"
        "    help: Bytes of HTTP response bodies the server sent, by method and status code.\n"
        "    labels: *http_labels\n";
  }
  return out;
}

std::string Emits(const LogFormat& format, const Captures& captures, bool first) {
  const std::string method = captures.method == kNone ? "_OTHER" : "$method";
  std::string out = "    emit:\n      - metric: http_server_requests_total\n";
  out += first ? "        labels: &labels {http_request_method: " + method +
                     ", http_response_status_code: $status}\n"
               : "        labels: *labels\n";
  if (captures.bytes != kNone) {
    out +=
        "      - metric: http_server_response_body_size_bytes_total\n"
        "        add: $bytes\n"
        "        labels: *labels\n";
  }
  if (captures.duration != kNone) {
    out += "      - metric: http_server_request_duration_seconds\n        observe: $duration\n";
    out += "        unit: " + format.items[captures.duration].field.duration_unit + "\n";
    out += "        labels: *labels\n";
  }
  if (captures.upstream != kNone) {
    out +=
        "      - metric: http_server_upstream_duration_seconds\n"
        "        when: has($upstream)\n"
        "        observe: $upstream\n"
        "        unit: s\n"
        "        labels: *labels\n";
  }
  return out;
}

std::string FieldList(const LogFormat& format, const Captures& captures) {
  std::string used;
  std::string skipped;
  for (std::size_t i = 0; i < format.items.size(); ++i) {
    const FormatItem& item = format.items[i];
    if (!item.is_field()) continue;
    const bool captured = i == captures.method || i == captures.status || i == captures.bytes ||
                          i == captures.duration || i == captures.upstream;
    (captured ? used : skipped) += " " + item.field.name;
  }
  std::string out = "# Read:" + used + "\n";
  if (!skipped.empty()) out += "# Matched and skipped:" + skipped + "\n";
  if (captures.bytes != kNone &&
      format.items[captures.bytes].field.role == FieldRole::kTotalBytes) {
    out += "# The format logs no body size: " + format.items[captures.bytes].field.name +
           " (response bytes with headers) is counted as the body bytes.\n";
  }
  return out;
}

std::string_view EscapingName(const LogFormat& format) {
  if (format.server == "apache") return "'\"' written as \\\"";
  switch (format.escaping) {
    case Escaping::kHex:
      return "escape=default: '\"' written as \\x22";
    case Escaping::kBackslash:
      return "escape=json: '\"' written as \\\"";
    case Escaping::kNone:
      break;
  }
  return "escape=none: values written as they are";
}

}  // namespace

std::optional<std::string> WriteRuleFile(const LogFormat& format, std::string* error) {
  if (format.items.empty()) {
    *error = "the format is empty";
    return std::nullopt;
  }
  const Captures captures = ChooseCaptures(format);
  if (captures.status == kNone) {
    *error = format.server == "nginx"
                 ? "the format logs no $status: the HTTP families count requests by status code"
                 : "the format logs no %s or %>s: the HTTP families count requests by status code";
    return std::nullopt;
  }
  bool fallback = false;
  for (std::size_t i = 0; i < format.items.size(); ++i) {
    const FormatItem& item = format.items[i];
    if (item.is_field() && (item.field.shape.empty() || i == captures.method) &&
        NeedsFallback(format, i)) {
      fallback = true;
    }
  }
  std::string out = "# Rules for the " + format.server + " access-log format" +
                    (format.name.empty() ? "" : " \"" + format.name + "\"") + " (" +
                    std::string(EscapingName(format)) + "):\n#   " + format.format +
                    "\n# Written by `metrics-adapter rules from-log-format`.\n" +
                    FieldList(format, captures) + "parser: line\n\n" + Families(captures) +
                    "\nrules:\n";
  out += "  # One request. The method and the status code are the only labels.\n";
  out += "  - name: request\n    match: " + SingleQuoted(Regex(format, captures, true)) + "\n";
  out += Emits(format, captures, true);
  std::vector<Line> lines = {Line::kOrdinary, Line::kOdd};
  if (captures.method != kNone &&
      format.items[captures.method].field.role == FieldRole::kRequestLine) {
    lines.push_back(Line::kJunkRequest);
  }
  if (fallback) {
    out +=
        "\n  # The same where a value a client controls holds spaces (or, unescaped,\n"
        "  # any byte): a rule of its own, because taking any text there makes a match\n"
        "  # slower, and only odd lines should pay for it.\n";
    out +=
        "  - name: request_any_text\n    match: " + SingleQuoted(Regex(format, captures, false)) +
        "\n";
    out += Emits(format, captures, false);
  }
  out += "\ntests:\n  - name: synthetic lines in this format\n    input: |\n";
  for (const Line line : lines) out += "      " + SyntheticLine(format, captures, line) + "\n";
  out += "    unmatched: 0\n    expect: |\n" + ExpectText(format, captures, lines);
  return out;
}

}  // namespace metrics_adapter
