// The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text,
// appended straight into one std::string. It replaces prometheus::TextSerializer on the scrape
// path: that one writes through an std::ostream, formatting every value with printf-style double
// output (about a microsecond per series) and rounding it to 16 significant digits; this one costs
// a few dozen nanoseconds per sample line and writes every value exactly. It also escapes HELP
// text, which prometheus-cpp 1.0 writes raw (a newline in it broke the format), and spells NaN as
// the format does, not "Nan".
//
// Usage:
//   std::string out;
//   out.reserve(EstimateTextSize(family));
//   TextScratch scratch;
//   AppendFamilyHeader(out, family);
//   for (const prometheus::ClientMetric& metric : family.metric) {
//     AppendMetric(out, family, metric, scratch);
//   }
#pragma once

#include <prometheus/metric_family.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace metrics_adapter {

// The two text formats differ only in a few places, all handled here:
// OpenMetrics names a counter family without its _total suffix (its samples
// keep it), adds `# UNIT`, spells untyped "unknown", escapes double quotes
// in HELP text, writes timestamps in seconds and ends with `# EOF`.
enum class TextDialect { kPrometheus, kOpenMetrics };

// Buffers AppendMetric reuses from one call to the next, so a scrape
// allocates them a few times rather than per metric. Only text_format.cc
// reads them; a caller keeps one around for all its AppendMetric calls.
struct TextScratch {
  std::string labels;      // the current metric's label pairs, escaped
  std::string line_start;  // the current histogram's `name_bucket{labels,le="`
  // The bucket bounds of the last histogram and their le text, one after
  // the other (le_ends[i] is where bound i's ends): the metrics of a family
  // share their bounds, and formatting a double is most of a bucket line's
  // cost.
  std::vector<double> bounds;
  std::string le;
  std::vector<std::size_t> le_ends;
};

// Appends a sample value: "NaN", "+Inf", "-Inf"; a finite integral value
// below 2^53 in magnitude as an integer ("1000000", never "1e+06"; "-0" keeps
// its sign); any other value in the shortest form that reads back as the
// same double ("0.30000000000000004", "1e+300").
void AppendNumber(std::string& out, double value);

// Appends `# HELP` (only when the family has help text) and `# TYPE`; in
// OpenMetrics also `# UNIT` when `unit` is not empty (the name must end in
// it, which the schema checks).
void AppendFamilyHeader(std::string& out, const prometheus::MetricFamily& family,
                        TextDialect dialect = TextDialect::kPrometheus);
void AppendFamilyHeader(std::string& out, std::string_view name, std::string_view help,
                        prometheus::MetricType type, TextDialect dialect = TextDialect::kPrometheus,
                        std::string_view unit = {});

// Appends `name="value"`, the value escaped (backslash, double quote, newline).
void AppendLabelPair(std::string& out, std::string_view name, std::string_view value);

// Appends the `a="x",b="y"` block of `metric`'s labels, without braces.
void AppendLabelBlock(std::string& out, const prometheus::ClientMetric& metric);

// Appends one sample line: `name` `suffix`, `{label_block}` unless the block
// is empty, the value, a newline.
void AppendSample(std::string& out, std::string_view name, std::string_view suffix,
                  std::string_view label_block, double value);

// Appends the sample lines of one metric of `family`, as its family's type
// asks: one line for a counter, gauge or untyped metric; _count, _sum and
// one _bucket per bound (+Inf added when missing) for a histogram; _count,
// _sum and one line per quantile for a summary. In OpenMetrics a counter's
// sample gets the _total suffix its family name lacks.
void AppendMetric(std::string& out, const prometheus::MetricFamily& family,
                  const prometheus::ClientMetric& metric, TextScratch& scratch,
                  TextDialect dialect = TextDialect::kPrometheus);

// About what AppendFamilyHeader plus AppendMetric for every metric append,
// counting a dozen characters per value (escapes and longer values can go
// past it), to reserve the output once.
std::size_t EstimateTextSize(const prometheus::MetricFamily& family);

}  // namespace metrics_adapter
