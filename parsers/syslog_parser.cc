#include "parsers/syslog_parser.h"

#include <cstddef>

namespace metrics_adapter {
namespace {

constexpr std::string_view kNil = "-";  // RFC 5424's NILVALUE
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr unsigned kMaxPri = 191;  // facility 23, severity 7

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The word at the start of `rest`, up to a space (or the end), and moves
// `rest` past the word and the one space after it.
std::string_view TakeWord(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  const std::string_view word = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return word;
}

// RFC 5424's NILVALUE `-` as an empty field.
std::string_view NilAsEmpty(std::string_view field) { return field == kNil ? "" : field; }

// An RFC 3164 timestamp, `Mmm dd hh:mm:ss` (the day padded with a space), at
// the start of `text`.
bool IsBsdTimestamp(std::string_view text) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (text.size() < 15) return false;
  bool month = false;
  for (std::size_t i = 0; i < kMonths.size(); i += 3)
    month |= text.substr(0, 3) == kMonths.substr(i, 3);
  const auto digit_or_space = [](char c) { return IsDigit(c) || c == ' '; };
  return month && text[3] == ' ' && digit_or_space(text[4]) && IsDigit(text[5]) && text[6] == ' ' &&
         IsDigit(text[7]) && IsDigit(text[8]) && text[9] == ':' && IsDigit(text[10]) &&
         IsDigit(text[11]) && text[12] == ':' && IsDigit(text[13]) && IsDigit(text[14]);
}

// The start of an ISO 8601 timestamp, `YYYY-MM-DDT`, as RFC 5424 and
// rsyslog's file format write it; the rest of it is not checked.
bool IsIsoTimestamp(std::string_view text) {
  return text.size() >= 11 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) &&
         IsDigit(text[3]) && text[4] == '-' && IsDigit(text[5]) && IsDigit(text[6]) &&
         text[7] == '-' && IsDigit(text[8]) && IsDigit(text[9]) && text[10] == 'T';
}

// Moves `rest` past one structured-data element `[id name="value" ...]`;
// false if it is not one. Inside a value, `\"`, `\\` and `\]` are escapes.
bool SkipSdElement(std::string_view& rest) {
  if (rest.empty() || rest[0] != '[') return false;
  bool in_value = false;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    const char c = rest[i];
    if (in_value && c == '\\') {
      ++i;
    } else if (c == '"') {
      in_value = !in_value;
    } else if (!in_value && c == ']') {
      rest.remove_prefix(i + 1);
      return i > 1;  // an element has an id
    }
  }
  return false;
}

// Moves `rest` past the structured data (`-` or elements) and the space
// after it; false if it is malformed.
bool SkipStructuredData(std::string_view& rest) {
  if (rest.starts_with(kNil)) {
    rest.remove_prefix(1);
  } else {
    if (!SkipSdElement(rest)) return false;
    while (rest.starts_with('[')) {
      if (!SkipSdElement(rest)) return false;
    }
  }
  if (rest.empty()) return true;
  if (rest[0] != ' ') return false;
  rest.remove_prefix(1);
  return true;
}

// Reads the optional tag `app[pid]:` at the start of `rest` (an RFC 3164
// MSG), and moves `rest` to the message after it. False when the first word
// is not a tag (the message then has none).
bool ReadTag(std::string_view& rest, std::string_view& app_name, std::string_view& procid) {
  const std::size_t end = rest.find_first_of(" :[");
  if (end == 0 || end == std::string_view::npos) return false;
  std::size_t pos = end;
  if (rest[pos] == '[') {
    const std::size_t close = rest.find(']', pos);
    if (close == std::string_view::npos ||
        rest.substr(pos + 1, close - pos - 1).find(' ') != std::string_view::npos) {
      return false;
    }
    procid = rest.substr(pos + 1, close - pos - 1);
    pos = close + 1;
  }
  if (pos >= rest.size() || rest[pos] != ':') {
    procid = {};
    return false;
  }
  app_name = rest.substr(0, end);
  rest.remove_prefix(pos + 1);
  if (rest.starts_with(' ')) rest.remove_prefix(1);
  return true;
}

}  // namespace

std::string_view SyslogParser::FacilityName(unsigned code) {
  static constexpr std::string_view kNames[] = {
      "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
      "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
      "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};
  return code < std::size(kNames) ? kNames[code] : "";
}

std::string_view SyslogParser::SeverityName(unsigned code) {
  static constexpr std::string_view kNames[] = {"emerg",   "alert",  "crit", "err",
                                                "warning", "notice", "info", "debug"};
  return code < std::size(kNames) ? kNames[code] : "";
}

std::string_view SyslogParser::ReadPri(std::string_view& line, Fields& fields) {
  if (!line.starts_with('<')) return {};
  unsigned pri = 0;
  std::size_t i = 1;
  for (; i < line.size() && i <= 4 && IsDigit(line[i]); ++i) {
    pri = pri * 10 + static_cast<unsigned>(line[i] - '0');
  }
  if (i == 1 || i > 4 || i >= line.size() || line[i] != '>' || pri > kMaxPri) return "bad_pri";
  fields.facility = FacilityName(pri / 8);
  fields.severity = SeverityName(pri % 8);
  line.remove_prefix(i + 1);
  return {};
}

std::string_view SyslogParser::Read5424(std::string_view rest, Fields& fields) {
  if (TakeWord(rest) != "1") return "bad_version";
  const std::string_view timestamp = TakeWord(rest);
  if (timestamp != kNil && !IsIsoTimestamp(timestamp)) return "bad_timestamp";
  std::string_view* header[] = {&fields.hostname, &fields.app_name, &fields.procid, &fields.msgid};
  for (std::string_view* field : header) {
    if (rest.empty()) return "missing_field";
    *field = NilAsEmpty(TakeWord(rest));
  }
  if (rest.empty()) return "missing_field";  // the structured data is not optional
  if (!SkipStructuredData(rest)) return "bad_structured_data";
  if (rest.starts_with(kBom)) rest.remove_prefix(kBom.size());
  fields.message = rest;
  return {};
}

std::string_view SyslogParser::Read3164(std::string_view rest, Fields& fields) {
  const std::size_t stamp = IsBsdTimestamp(rest) ? 15 : IsIsoTimestamp(rest) ? rest.find(' ') : 0;
  if (stamp == 0) return "bad_timestamp";
  if (stamp == std::string_view::npos) return "missing_field";
  rest.remove_prefix(stamp);
  if (!rest.starts_with(' ') || rest.size() < 2) return "missing_field";
  rest.remove_prefix(1);
  if (!ReadTag(rest, fields.app_name, fields.procid)) {
    fields.hostname = TakeWord(rest);
    ReadTag(rest, fields.app_name, fields.procid);
  }
  fields.message = rest;
  return {};
}

void SyslogParser::Parse(std::string_view unit, RecordSink& sink) {
  Fields fields;
  std::string_view rest = unit;
  std::string_view error = ReadPri(rest, fields);
  if (error.empty()) {
    // RFC 5424 puts a version number where RFC 3164 has a month or a year.
    const bool rfc5424 = !rest.empty() && IsDigit(rest[0]) && !IsIsoTimestamp(rest);
    error = rfc5424 ? Read5424(rest, fields) : Read3164(rest, fields);
  }
  if (!error.empty()) {
    sink.OnParseError(error);
    return;
  }
  labels_ = {{{"facility", fields.facility},
              {"severity", fields.severity},
              {"hostname", fields.hostname},
              {"app_name", fields.app_name},
              {"procid", fields.procid},
              {"msgid", fields.msgid}}};
  sink.OnRecord(Record{fields.message, std::nullopt, labels_});
}

}  // namespace metrics_adapter
