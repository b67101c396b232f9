#include "adapter/exposition/text_format.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace metrics_adapter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Room for any to_chars output of a double ("-2.2250738585072014e-308") or
// of a 64-bit integer.
constexpr std::size_t kNumberChars = 32;

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  char buffer[kNumberChars];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

// Label values escape backslash, double quote and newline; HELP text only
// backslash and newline. Runs without an escape are copied in one append.
template <bool kEscapeQuote>
void AppendEscaped(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' || c == '\n' || (kEscapeQuote && c == '"')) {
      out.append(text.data() + start, i - start);
      out += '\\';
      out += c == '\n' ? 'n' : c;
      start = i + 1;
    }
  }
  out.append(text.data() + start, text.size() - start);
}

// `a="x",b="y"`, without the braces.
void AppendLabelPairs(std::string& out, const std::vector<ClientMetric::Label>& labels) {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    AppendLabelPair(out, labels[i].name, labels[i].value);
  }
}

// The start of a sample line up to and including the space before the value:
// name, suffix, then the metric's label pairs (already escaped, in `labels`)
// and optionally one more label holding a number (le, quantile).
void AppendSeries(std::string& out, const MetricFamily& family, std::string_view suffix,
                  std::string_view labels, std::string_view extra_name = {},
                  double extra_value = 0) {
  out += family.name;
  out += suffix;
  if (!labels.empty() || !extra_name.empty()) {
    out += '{';
    out += labels;
    if (!extra_name.empty()) {
      if (!labels.empty()) out += ',';
      out += extra_name;
      out += "=\"";
      AppendNumber(out, extra_value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

// The end of a sample line: the timestamp when there is one (milliseconds
// in the Prometheus format, seconds in OpenMetrics), and newline.
void AppendTail(std::string& out, const ClientMetric& metric, TextDialect dialect) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    if (dialect == TextDialect::kOpenMetrics) {
      AppendNumber(out, static_cast<double>(metric.timestamp_ms) / 1000);
    } else {
      AppendInteger(out, metric.timestamp_ms);
    }
  }
  out += '\n';
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Counter, gauge and untyped: one line, its labels escaped straight into
// `out` (no copy through a scratch buffer for the commonest case).
void AppendSingle(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                  double value, std::string_view suffix, TextDialect dialect) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty()) {
    out += '{';
    AppendLabelPairs(out, metric.label);
    out += '}';
  }
  out += ' ';
  AppendNumber(out, value);
  AppendTail(out, metric, dialect);
}

// Formats the le values of `buckets` into `scratch`, unless they are the
// bounds it already holds (compared bit for bit: 0 and -0 read differently).
void CacheBounds(TextScratch& scratch, const std::vector<ClientMetric::Bucket>& buckets) {
  if (scratch.bounds.size() == buckets.size() &&
      std::equal(buckets.begin(), buckets.end(), scratch.bounds.begin(),
                 [](const ClientMetric::Bucket& bucket, double bound) {
                   return std::bit_cast<std::uint64_t>(bucket.upper_bound) ==
                          std::bit_cast<std::uint64_t>(bound);
                 })) {
    return;
  }
  scratch.bounds.clear();
  scratch.le.clear();
  scratch.le_ends.clear();
  for (const ClientMetric::Bucket& bucket : buckets) {
    scratch.bounds.push_back(bucket.upper_bound);
    AppendNumber(scratch.le, bucket.upper_bound);
    scratch.le_ends.push_back(scratch.le.size());
  }
}

// _count, _sum, then one _bucket line per bound: the order prometheus-cpp's
// TextSerializer used, so scrapes and golden files read the same as before.
// A bucket line is a copy of the metric's line start, the cached le text and
// the count: no escaping and no double formatting per line.
void AppendHistogram(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                     TextScratch& scratch, TextDialect dialect) {
  const ClientMetric::Histogram& histogram = metric.histogram;
  AppendSeries(out, family, "_count", scratch.labels);
  AppendInteger(out, histogram.sample_count);
  AppendTail(out, metric, dialect);
  AppendSeries(out, family, "_sum", scratch.labels);
  AppendNumber(out, histogram.sample_sum);
  AppendTail(out, metric, dialect);

  CacheBounds(scratch, histogram.bucket);
  std::string& start = scratch.line_start;
  start.clear();
  start += family.name;
  start += "_bucket{";
  start += scratch.labels;
  if (!scratch.labels.empty()) start += ',';
  start += "le=\"";
  std::size_t le_begin = 0;
  for (std::size_t i = 0; i < histogram.bucket.size(); ++i) {
    out += start;
    out.append(scratch.le, le_begin, scratch.le_ends[i] - le_begin);
    le_begin = scratch.le_ends[i];
    out += "\"} ";
    AppendInteger(out, histogram.bucket[i].cumulative_count);
    AppendTail(out, metric, dialect);
  }
  // The text format requires a +Inf bucket; it holds every observation.
  if (histogram.bucket.empty() ||
      histogram.bucket.back().upper_bound != std::numeric_limits<double>::infinity()) {
    out += start;
    out += "+Inf\"} ";
    AppendInteger(out, histogram.sample_count);
    AppendTail(out, metric, dialect);
  }
}

void AppendSummary(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                   const std::string& labels, TextDialect dialect) {
  const ClientMetric::Summary& summary = metric.summary;
  AppendSeries(out, family, "_count", labels);
  AppendInteger(out, summary.sample_count);
  AppendTail(out, metric, dialect);
  AppendSeries(out, family, "_sum", labels);
  AppendNumber(out, summary.sample_sum);
  AppendTail(out, metric, dialect);
  for (const ClientMetric::Quantile& quantile : summary.quantile) {
    AppendSeries(out, family, "", labels, "quantile", quantile.quantile);
    AppendNumber(out, quantile.value);
    AppendTail(out, metric, dialect);
  }
}

std::string_view TypeName(MetricType type, TextDialect dialect) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return dialect == TextDialect::kOpenMetrics ? "unknown" : "untyped";
}

}  // namespace

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Every integer below 2^53 in magnitude is exact in a double, so the cast
  // is exact and the integer is what the double holds. Shortest round-trip
  // form alone would write 1000000 as "1e+06": correct, but counters are
  // easier to read (and to grep in tests) as integers.
  constexpr double kTwoPow53 = 9007199254740992.0;
  if (std::fabs(value) < kTwoPow53) {
    const auto integer = static_cast<std::int64_t>(value);
    if (static_cast<double>(integer) == value) {
      if (integer == 0 && std::signbit(value)) {
        out += "-0";  // what the double holds; "0" would lose the sign
      } else {
        AppendInteger(out, integer);
      }
      return;
    }
  }
  // The shortest digits that read back as exactly this double: unlike
  // ostream's 16 significant digits, 0.1 + 0.2 stays 0.30000000000000004.
  char buffer[kNumberChars];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  out.append(buffer, end);
}

void AppendFamilyHeader(std::string& out, const MetricFamily& family, TextDialect dialect) {
  AppendFamilyHeader(out, family.name, family.help, family.type, dialect);
}

void AppendFamilyHeader(std::string& out, std::string_view name, std::string_view help,
                        MetricType type, TextDialect dialect, std::string_view unit) {
  const bool open_metrics = dialect == TextDialect::kOpenMetrics;
  // An OpenMetrics counter family is named without the _total its samples carry.
  if (open_metrics && type == MetricType::Counter && EndsWith(name, "_total")) {
    name.remove_suffix(std::string_view("_total").size());
  }
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    if (open_metrics) {
      AppendEscaped<true>(out, help);
    } else {
      AppendEscaped<false>(out, help);
    }
    out += '\n';
  }
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += TypeName(type, dialect);
  out += '\n';
  if (open_metrics && !unit.empty()) {
    out += "# UNIT ";
    out += name;
    out += ' ';
    out += unit;
    out += '\n';
  }
}

void AppendLabelPair(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  AppendEscaped<true>(out, value);
  out += '"';
}

void AppendLabelBlock(std::string& out, const ClientMetric& metric) {
  AppendLabelPairs(out, metric.label);
}

void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view label_block, double value) {
  out += name;
  out += suffix;
  if (!label_block.empty()) {
    out += '{';
    out += label_block;
    out += '}';
  }
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

void AppendMetric(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                  TextScratch& scratch, TextDialect dialect) {
  switch (family.type) {
    case MetricType::Counter: {
      const bool add_total =
          dialect == TextDialect::kOpenMetrics && !EndsWith(family.name, "_total");
      AppendSingle(out, family, metric, metric.counter.value, add_total ? "_total" : "", dialect);
      return;
    }
    case MetricType::Gauge:
      AppendSingle(out, family, metric, metric.gauge.value, "", dialect);
      return;
    case MetricType::Untyped:
      AppendSingle(out, family, metric, metric.untyped.value, "", dialect);
      return;
    case MetricType::Histogram:
    case MetricType::Summary:
      // Several lines share the metric's labels: escape them once.
      scratch.labels.clear();
      AppendLabelPairs(scratch.labels, metric.label);
      if (family.type == MetricType::Histogram) {
        AppendHistogram(out, family, metric, scratch, dialect);
      } else {
        AppendSummary(out, family, metric, scratch.labels, dialect);
      }
      return;
  }
}

std::size_t EstimateTextSize(const MetricFamily& family) {
  // "# HELP name help\n# TYPE name histogram\n"
  std::size_t size = 2 * family.name.size() + family.help.size() + 32;
  // Per line: suffix, braces, space, newline and a typical value; a line
  // of a histogram or summary also carries le="..." or quantile="...".
  constexpr std::size_t kLine = sizeof("_bucket{} \n") + 12;
  constexpr std::size_t kExtraLabel = sizeof(",quantile=\"0.99\"");
  for (const ClientMetric& metric : family.metric) {
    std::size_t line = family.name.size() + kLine;
    for (const ClientMetric::Label& label : metric.label) {
      line += label.name.size() + label.value.size() + 4;  // ="",
    }
    if (metric.timestamp_ms != 0) line += 14;
    switch (family.type) {
      case MetricType::Histogram:
        size += 2 * line + (metric.histogram.bucket.size() + 1) * (line + kExtraLabel);
        break;
      case MetricType::Summary:
        size += 2 * line + metric.summary.quantile.size() * (line + kExtraLabel);
        break;
      default:
        size += line;
        break;
    }
  }
  return size;
}

}  // namespace metrics_adapter
