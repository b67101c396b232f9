#include "parsers/registry.h"

#include "parsers/csv_parser.h"
#include "parsers/graphite_parser.h"
#include "parsers/influx_parser.h"
#include "parsers/json_parser.h"
#include "parsers/keyvalue_parser.h"
#include "parsers/line_parser.h"
#include "parsers/logfmt_parser.h"
#include "parsers/prometheus_parser.h"
#include "parsers/statsd_parser.h"
#include "parsers/syslog_parser.h"
#include "parsers/text_parser.h"

namespace metrics_adapter {

const std::string& ParserOptions::Get(const std::string& name) const {
  static const std::string kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

bool ParserOptions::Bool(const std::string& name) const { return Get(name) == "true"; }

ParserOptions ParserInfo::Defaults() const {
  ParserOptions defaults;
  for (const ParserOptionSpec& option : options) {
    defaults.Set(std::string(option.name), std::string(option.default_value));
  }
  return defaults;
}

bool ParserInfo::HasOption(std::string_view option) const {
  for (const ParserOptionSpec& spec : options) {
    if (spec.name == option) return true;
  }
  return false;
}

namespace {

// The factory of a parser that takes no options.
template <typename ParserType>
std::unique_ptr<Parser> CreateWithoutOptions(const ParserOptions&, std::string*) {
  return std::make_unique<ParserType>();
}

// The keyvalue parser's options, the longest list.
std::vector<ParserOptionSpec> KeyValueOptions() {
  return {{"separator", ":", "splits key from value at its first occurrence; \" \" = spaces/tabs"},
          {"comment_prefix", "#", "lines starting with it are skipped; empty: no comments"},
          {"line_prefix", "", "stripped from each line; lines without it are skipped"},
          {"subfields", "", "splits values of sub-field pairs into key.subkey records"},
          {"subfield_separator", "=", "splits a sub-field into subkey and value"},
          {"skip_lines_without_separator", "false",
           "true: lines without the separator are skipped, not parse errors (apache ?auto)"},
          {"count_key", "", "the key whose value is counted character by character"},
          {"count_characters", "",
           "the characters counted in count_key's value: one key.<c> record each"}};
}

std::vector<ParserOptionSpec> CsvOptions() {
  return {{"separator", ",", "the cell separator, one character"},
          {"header_prefix", "", "stripped from the header line (\"# \" for haproxy)"},
          {"key_columns", "", "comma-separated columns whose cells label every record of the row"},
          {"columns", "", "comma-separated column names; empty: the first row is the header"}};
}

}  // namespace

const std::vector<ParserInfo>& BuiltinParsers() {
  // The one list of built-in parsers.
  static const std::vector<ParserInfo> kParsers = {
      {"line",
       "each line of input is one record; rules match the whole line",
       ParserUnit::kLine,
       {},
       &CreateWithoutOptions<LineParser>},
      {"keyvalue",
       "key<separator>value lines (redis INFO, apache server-status?auto, memcached stats)",
       ParserUnit::kBody, KeyValueOptions(), &KeyValueParser::Create},
      {"text",
       "the whole body is one record, for multi-line regexes over a status page",
       ParserUnit::kBody,
       {},
       &CreateWithoutOptions<TextParser>},
      {"json",
       "a JSON document flattened into one record per leaf, named by its path",
       ParserUnit::kBody,
       {{"path_separator", ".", "joins object keys and array indexes into a path"}},
       &JsonParser::Create},
      {"csv", "a CSV table with a header row; one record per cell, named by its column",
       ParserUnit::kBody, CsvOptions(), &CsvParser::Create, /*stream_state=*/true},
      {"statsd",
       "StatsD/DogStatsD lines name:value|type[|@rate][|#tags]; text = name, labels = type, tags",
       ParserUnit::kLine,
       {},
       &CreateWithoutOptions<StatsdParser>},
      {"graphite",
       "Graphite plaintext lines path[;tag=v...] value [timestamp]; text = path, labels = tags",
       ParserUnit::kLine,
       {},
       &CreateWithoutOptions<GraphiteParser>},
      {"influx",
       "InfluxDB line protocol; one record per field, text = measurement.field, labels = tags",
       ParserUnit::kLine,
       {{"separator", ".", "joins measurement and field key into the record text; not empty"}},
       &InfluxParser::Create},
      {"logfmt",
       "logfmt lines key=value key2=\"v\"; one record per pair, labels = all the line's pairs",
       ParserUnit::kLine,
       {},
       &CreateWithoutOptions<LogfmtParser>},
      {"syslog",
       "syslog lines, RFC 5424 or 3164, with or without <PRI>; text = the message, labels = "
       "facility, severity, hostname, app_name, procid, msgid",
       ParserUnit::kLine,
       {},
       &CreateWithoutOptions<SyslogParser>},
      {"prometheus",
       "Prometheus text exposition 0.0.4 body; one record per sample, text = metric name",
       ParserUnit::kBody,
       {},
       &CreateWithoutOptions<PrometheusParser>},
  };
  return kParsers;
}

const ParserInfo* FindParser(std::string_view name) {
  for (const ParserInfo& info : BuiltinParsers()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string ParserNames() {
  std::string out;
  for (const ParserInfo& info : BuiltinParsers()) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

}  // namespace metrics_adapter
