// Schema: the metric families rules may write into, with their type, unit,
// help text, exact label names and histogram buckets.
//
// Families are declared in the `metrics:` section of rule files. The same
// family may be declared by several files (the shipped nginx and apache rules
// both write http_server_requests_total) as long as the declarations agree;
// a conflicting declaration is an error naming both places. Because every
// family's label names are fixed here, at load time, /metrics can never hold
// two series with inconsistent label sets.
//
// Usage:
//   Schema schema;
//   LoadFamilies(yaml_metrics_node, "rules/nginx.yaml", schema, diags);
//   const FamilySpec* f = schema.Find("http_server_requests_total");
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "adapter/base/diagnostics.h"

// Only the YAML readers (the .cc files) see yaml-cpp itself.
namespace YAML {
class Node;
}

namespace metrics_adapter {

class YamlMap;

enum class MetricType { kCounter, kGauge, kHistogram };

std::string_view MetricTypeName(MetricType type);

// How a label's values are bounded: a value outside `values` is exposed as
// `other`, so hostile or unexpected input cannot add series. Empty `values`
// leaves the label unbounded by the schema.
struct LabelBound {
  // Case folding applied first, so "get" and "GET" are one value.
  enum class Fold { kNone, kLower, kUpper };
  Fold fold = Fold::kNone;
  std::vector<std::string> values;
  std::string other;
  bool operator==(const LabelBound&) const = default;
};

// Series a family may hold when neither its schema entry nor the adapter
// config says otherwise.
inline constexpr std::size_t kDefaultMaxSeriesPerFamily = 10000;

// A histogram's native (exponential) buckets, served in the protobuf
// format. The names are those of Prometheus's Go client
// (NativeHistogramBucketFactor, ...ZeroThreshold, ...MaxBucketNumber), the
// knobs Prometheus users know.
struct NativeSpec {
  // Each bucket's upper bound is at most this factor times its lower one;
  // the store picks the schema from it (the coarsest whose factor 2^(2^-s)
  // is not larger): 1.1 gives schema 3, a factor of 2^(1/8) = 1.09.
  double bucket_factor = 1.1;
  // Values with magnitude up to this go to the zero bucket. The Go client's
  // default, 2^-128: only zeros (and denormal noise) in practice.
  double zero_threshold = 0x1p-128;
  // Most populated buckets a series keeps; past it the resolution halves.
  // 160 is the Go client's suggested value; 0 means no limit.
  std::size_t max_buckets = 160;
  bool operator==(const NativeSpec&) const = default;
};

struct FamilySpec {
  std::string name;
  MetricType type = MetricType::kCounter;
  std::string help;
  // The base unit of the family's values: "seconds", "bytes", "ratio" or "".
  std::string unit;
  std::vector<std::string> labels;
  std::vector<LabelBound> label_bounds;  // parallel to `labels`
  // Histogram upper bounds, strictly increasing, without +Inf: as declared,
  // or the unit's defaults.
  std::vector<double> buckets;
  // Whether `buckets` was declared. A native histogram's classic buckets go
  // into the protobuf format only then; the text formats always write them.
  bool buckets_declared = false;
  // A histogram declared `native:`; nullopt otherwise.
  std::optional<NativeSpec> native;
  // Most series the family may hold; 0 means the adapter-wide default.
  std::size_t max_series = 0;
  // A series not updated for this long is removed; 0 keeps series forever.
  std::chrono::seconds ttl{0};
  // Constant labels a source of the adapter config may add to the family's
  // series (`labels: {service: cache}` on the source), by name: declared by
  // the schema (the file's `source_labels:`, or the family's own), valued by
  // each deployment's config. None of `labels`, nor job, instance or le.
  std::vector<std::string> source_labels;
  SourcePosition position;
};

class Schema {
 public:
  // Adds `family`, or checks it against an earlier declaration of the same
  // name. Returns its index, or -1 after reporting a conflict.
  int Add(FamilySpec family, Diagnostics& diags);
  // Index of the family, or -1.
  int IndexOf(std::string_view name) const;
  // Records that a family called `name` was declared with errors, so rules
  // writing it are not also told it does not exist.
  void MarkInvalid(std::string name) { invalid_.insert(std::move(name)); }
  bool IsInvalid(const std::string& name) const { return invalid_.contains(name); }
  // Every family name, for "did you mean" suggestions.
  std::vector<std::string> Names() const;
  const FamilySpec& at(int index) const { return families_[static_cast<std::size_t>(index)]; }
  int size() const { return static_cast<int>(families_.size()); }
  const std::vector<FamilySpec>& families() const { return families_; }

 private:
  std::vector<FamilySpec> families_;
  std::unordered_map<std::string, int> index_;
  std::set<std::string> invalid_;
};

// Reads a `metrics:` sequence of family declarations from `file` into
// `schema`, reporting every problem (bad names, unknown types, unit/name
// mismatches, unsorted buckets, unknown keys). A family's `labels` lists
// names, or mappings {name, values, other} that bound a label's values:
//   labels:
//     - name: http_request_method
//       values: [GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH]
//       other: _OTHER
//     - {name: cache_result, fold: lower}   # case folding alone, values unbounded
//     - http_response_status_code
// A histogram may also be native, keeping its classic buckets too:
//   native: {bucket_factor: 1.1, zero_threshold: 1e-9, max_buckets: 160}
//   native: true                      # all three defaults
// `source_labels` are the names the file allows on every family it declares
// (see ReadSourceLabels); a family's own `source_labels: [...]` replaces them.
void LoadFamilies(const YAML::Node& metrics, const std::string& file, Schema& schema,
                  Diagnostics& diags, const std::vector<std::string>& source_labels = {});

// Reads a file's `source_labels: [service, instance_name]` (a schema or rule
// file: the constant labels a config's sources may put on the families the
// file declares), checking each name; an absent key gives none. A schema
// allows names, never values: one shared schema serves every deployment.
std::vector<std::string> ReadSourceLabels(YamlMap& file_map, Diagnostics& diags);

// Why `name` cannot be a label of any family (not a label name, reserved,
// or a Prometheus target label), or "".
std::string WhyNotLabelName(std::string_view name);

// Default histogram buckets for a family in seconds (the OpenTelemetry HTTP
// duration advice) and for other units (powers of ten).
std::vector<double> DefaultBuckets(std::string_view unit);

// Whether `name` is a valid Prometheus metric / label name.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace metrics_adapter
