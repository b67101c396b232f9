#include "rules/schema.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "adapter/base/duration.h"
#include "adapter/base/strings.h"
#include "adapter/base/yaml_reader.h"
#include "rules/units.h"

namespace metrics_adapter {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string DescribeDifference(const FamilySpec& a, const FamilySpec& b) {
  if (a.type != b.type) {
    return "type " + std::string(MetricTypeName(b.type)) + " vs " +
           std::string(MetricTypeName(a.type));
  }
  if (a.unit != b.unit) return "unit " + Quoted(b.unit) + " vs " + Quoted(a.unit);
  if (a.labels != b.labels) return "label names differ";
  if (a.label_bounds != b.label_bounds) return "label values differ";
  if (a.buckets != b.buckets || a.buckets_declared != b.buckets_declared) return "buckets differ";
  if (a.native != b.native) return "native settings differ";
  if (a.max_series != b.max_series) return "max_series differs";
  if (a.ttl != b.ttl) return "ttl differs";
  if (a.source_labels != b.source_labels) return "source_labels differ";
  return "help text differs";
}

// The unit a family's name says it is in, by the Prometheus naming convention.
std::string_view UnitFromName(std::string_view name, MetricType type) {
  if (type == MetricType::kCounter && EndsWith(name, "_total")) {
    name.remove_suffix(6);
  }
  if (EndsWith(name, "_seconds")) return "seconds";
  if (EndsWith(name, "_bytes")) return "bytes";
  if (EndsWith(name, "_ratio")) return "ratio";
  return "";
}

std::optional<MetricType> ParseType(std::string_view text) {
  if (text == "counter") return MetricType::kCounter;
  if (text == "gauge") return MetricType::kGauge;
  if (text == "histogram") return MetricType::kHistogram;
  return std::nullopt;
}

// A family's allowed source labels against its own labels: a source label
// adds a label, so it cannot be one the family has (or a histogram's le).
void CheckSourceLabels(const FamilySpec& family, YamlMap& map, Diagnostics& diags) {
  const SourcePosition at =
      map.Has("source_labels") ? map.PositionOfKey("source_labels") : map.PositionOfKey("name");
  for (const std::string& name : family.source_labels) {
    if (std::find(family.labels.begin(), family.labels.end(), name) != family.labels.end()) {
      diags.Error(at, "source label " + Quoted(name) + " is already a label of family " +
                          Quoted(family.name) +
                          ": a source's constant value would replace "
                          "the one its rules write");
    } else if (name == "le" && family.type == MetricType::kHistogram) {
      diags.Error(at, "source label \"le\" is reserved in histograms");
    }
  }
}

void CheckFamily(FamilySpec& family, YamlMap& map, Diagnostics& diags) {
  const SourcePosition name_pos = map.PositionOfKey("name");
  if (!IsValidMetricName(family.name)) {
    diags.Error(name_pos, Quoted(family.name) + " is not a valid metric name");
  }
  if (family.type == MetricType::kCounter && !EndsWith(family.name, "_total")) {
    diags.Error(name_pos, "counter " + Quoted(family.name) + " must end in \"_total\"");
  }
  if (family.type != MetricType::kCounter && EndsWith(family.name, "_total")) {
    diags.Error(name_pos, "only counters may end in \"_total\"; " + Quoted(family.name) + " is a " +
                              std::string(MetricTypeName(family.type)));
  }
  const std::string_view named_unit = UnitFromName(family.name, family.type);
  if (family.unit.empty()) {
    family.unit = std::string(named_unit);
  } else if (auto unit = LookupUnit(family.unit); !unit || unit->factor != 1) {
    diags.Error(map.PositionOfKey("unit"),
                "a family's unit must be a base unit (seconds, bytes, ratio), not " +
                    Quoted(family.unit) + "; rules convert their values into it");
  } else {
    family.unit = std::string(unit->base);
    if (family.unit != named_unit) {
      diags.Error(name_pos, "a family in " + family.unit + " must be named \"..._" + family.unit +
                                (family.type == MetricType::kCounter ? "_total" : "") +
                                "\" (Prometheus naming convention)");
    }
  }
  std::set<std::string_view> seen;
  for (const std::string& label : family.labels) {
    if (std::string why = WhyNotLabelName(label); !why.empty()) {
      diags.Error(map.PositionOfKey("labels"), why);
    } else if (label == "le" && family.type == MetricType::kHistogram) {
      diags.Error(map.PositionOfKey("labels"), "\"le\" is reserved in histograms");
    }
    if (!seen.insert(label).second) {
      diags.Error(map.PositionOfKey("labels"), "label " + Quoted(label) + " is listed twice");
    }
  }
  CheckSourceLabels(family, map, diags);
  if (family.type != MetricType::kHistogram && map.Has("buckets")) {
    diags.Error(map.PositionOfKey("buckets"), "only histograms have buckets");
  }
  if (family.type != MetricType::kHistogram && family.native) {
    diags.Error(map.PositionOfKey("native"), "only histograms can be native");
  }
  for (std::size_t i = 0; i < family.buckets.size(); ++i) {
    if (!std::isfinite(family.buckets[i]) ||
        (i > 0 && family.buckets[i] <= family.buckets[i - 1])) {
      diags.Error(map.PositionOfKey("buckets"),
                  "buckets must be finite and strictly increasing (+Inf is implied)");
      break;
    }
  }
}

// `native: true` or a mapping of the NativeSpec knobs.
void LoadNative(const YAML::Node& node, const std::string& file, FamilySpec& family,
                Diagnostics& diags) {
  if (!node.IsDefined()) return;
  NativeSpec native;
  if (node.IsScalar()) {
    if (node.Scalar() == "false") return;
    if (node.Scalar() != "true") {
      diags.Error(PositionOf(file, node),
                  "\"native\" must be true, false or a mapping of bucket_factor, "
                  "zero_threshold, max_buckets");
      return;
    }
  } else {
    YamlMap map(node, file, diags, "native");
    if (!map.valid()) return;
    if (auto factor = map.Number("bucket_factor")) {
      if (!(*factor > 1) || !std::isfinite(*factor)) {
        diags.Error(map.PositionOfKey("bucket_factor"),
                    "\"bucket_factor\" must be a number above 1, such as 1.1");
      } else {
        native.bucket_factor = *factor;
      }
    }
    if (auto threshold = map.Number("zero_threshold")) {
      if (!(*threshold >= 0) || !std::isfinite(*threshold)) {
        diags.Error(map.PositionOfKey("zero_threshold"),
                    "\"zero_threshold\" must be a finite number >= 0");
      } else {
        native.zero_threshold = *threshold;
      }
    }
    if (auto max = map.Integer("max_buckets")) {
      if (*max < 0) {
        diags.Error(map.PositionOfKey("max_buckets"), "\"max_buckets\" must be >= 0 (0: no limit)");
      } else {
        native.max_buckets = static_cast<std::size_t>(*max);
      }
    }
    map.RejectUnknownKeys();
  }
  family.native = native;
}

void LoadLabels(const YAML::Node& labels, const std::string& file, FamilySpec& family,
                Diagnostics& diags) {
  if (!labels.IsDefined()) return;
  if (!labels.IsSequence()) {
    diags.Error(PositionOf(file, labels), "\"labels\" must be a list of label names");
    return;
  }
  for (const YAML::Node& node : labels) {
    if (node.IsScalar()) {
      family.labels.push_back(node.Scalar());
      family.label_bounds.emplace_back();
      continue;
    }
    YamlMap label(node, file, diags, "label");
    if (!label.valid()) continue;
    family.labels.push_back(label.String("name", Required::kYes).value_or(""));
    LabelBound bound;
    if (std::optional<std::string> fold = label.String("fold")) {
      if (*fold == "lower") {
        bound.fold = LabelBound::Fold::kLower;
      } else if (*fold == "upper") {
        bound.fold = LabelBound::Fold::kUpper;
      } else {
        diags.Error(label.PositionOfKey("fold"), "\"fold\" must be lower or upper");
      }
    }
    // `values` and `other` go together; a label may also only fold case.
    const Required bounded = label.Has("values") || label.Has("other") || !label.Has("fold")
                                 ? Required::kYes
                                 : Required::kNo;
    bound.values = label.StringList("values", bounded).value_or(std::vector<std::string>{});
    bound.other = label.String("other", bounded).value_or("");
    if (label.Has("values") && bound.values.empty()) {
      diags.Error(label.PositionOfKey("values"), "\"values\" must list at least one value");
    }
    label.RejectUnknownKeys();
    family.label_bounds.push_back(std::move(bound));
  }
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "unknown";
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

bool IsValidLabelName(std::string_view name) { return IsValidMetricName(name); }

std::vector<double> DefaultBuckets(std::string_view unit) {
  if (unit == "seconds") {
    return {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
  }
  return {1, 10, 100, 1000, 10000, 100000, 1000000};
}

int Schema::Add(FamilySpec family, Diagnostics& diags) {
  if (auto it = index_.find(family.name); it != index_.end()) {
    const FamilySpec& earlier = families_[static_cast<std::size_t>(it->second)];
    if (earlier.type == family.type && earlier.unit == family.unit &&
        earlier.labels == family.labels && earlier.label_bounds == family.label_bounds &&
        earlier.buckets == family.buckets && earlier.buckets_declared == family.buckets_declared &&
        earlier.native == family.native && earlier.max_series == family.max_series &&
        earlier.ttl == family.ttl && earlier.source_labels == family.source_labels &&
        earlier.help == family.help) {
      return it->second;
    }
    diags.Error(family.position,
                "family " + Quoted(family.name) + " conflicts with its declaration at " +
                    earlier.position.ToString() + " (" + DescribeDifference(earlier, family) + ")");
    return -1;
  }
  const int index = static_cast<int>(families_.size());
  index_.emplace(family.name, index);
  families_.push_back(std::move(family));
  return index;
}

std::vector<std::string> Schema::Names() const {
  std::vector<std::string> names;
  for (const FamilySpec& family : families_) names.push_back(family.name);
  return names;
}

int Schema::IndexOf(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : it->second;
}

std::string WhyNotLabelName(std::string_view name) {
  if (!IsValidLabelName(name) || name.starts_with("__")) {
    return Quoted(name) + " is not a valid label name";
  }
  if (name == "job" || name == "instance") {
    // Prometheus's target labels: it would rename the adapter's to
    // exported_job/exported_instance (or, with honor_labels, drop its own
    // target's), so neither name is ever produced.
    return Quoted(name) +
           " is a Prometheus target label; name the label after what it tells apart (e.g. "
           "\"service\")";
  }
  return "";
}

std::vector<std::string> ReadSourceLabels(YamlMap& file_map, Diagnostics& diags) {
  std::vector<std::string> names =
      file_map.StringList("source_labels").value_or(std::vector<std::string>{});
  std::set<std::string_view> seen;
  for (const std::string& name : names) {
    if (std::string why = WhyNotLabelName(name); !why.empty()) {
      diags.Error(file_map.PositionOfKey("source_labels"), "\"source_labels\": " + why);
    }
    if (!seen.insert(name).second) {
      diags.Error(file_map.PositionOfKey("source_labels"),
                  "\"source_labels\": " + Quoted(name) + " is listed twice");
    }
  }
  return names;
}

void LoadFamilies(const YAML::Node& metrics, const std::string& file, Schema& schema,
                  Diagnostics& diags, const std::vector<std::string>& source_labels) {
  if (!metrics.IsSequence()) {
    diags.Error(PositionOf(file, metrics), "\"metrics\" must be a list of metric families");
    return;
  }
  for (const YAML::Node& node : metrics) {
    YamlMap map(node, file, diags, "metric family");
    if (!map.valid()) continue;
    const int errors_before = diags.error_count();
    FamilySpec family;
    family.position = map.PositionOfKey("name");
    family.name = map.String("name", Required::kYes).value_or("");
    const std::string type_text = map.String("type", Required::kYes).value_or("");
    if (auto type = ParseType(type_text)) {
      family.type = *type;
    } else if (!type_text.empty()) {
      diags.Error(map.PositionOfKey("type"), "unknown metric type " + Quoted(type_text) +
                                                 " (known: counter, gauge, histogram)");
    }
    family.help = map.String("help", Required::kYes).value_or("");
    family.unit = map.String("unit").value_or("");
    LoadLabels(map.Node("labels"), file, family, diags);
    if (YAML::Node buckets = map.Node("buckets"); buckets.IsDefined()) {
      try {
        family.buckets = buckets.as<std::vector<double>>();
        family.buckets_declared = true;
      } catch (const YAML::Exception&) {
        diags.Error(PositionOf(file, buckets), "\"buckets\" must be a list of numbers");
      }
    }
    LoadNative(map.Node("native"), file, family, diags);
    family.source_labels = map.Has("source_labels") ? ReadSourceLabels(map, diags) : source_labels;
    if (auto max = map.Integer("max_series")) {
      if (*max < 1) {
        diags.Error(map.PositionOfKey("max_series"), "\"max_series\" must be at least 1");
      } else {
        family.max_series = static_cast<std::size_t>(*max);
      }
    }
    if (auto ttl = map.String("ttl")) {
      std::optional<std::chrono::milliseconds> parsed = ParseDuration(*ttl);
      if (!parsed || *parsed < std::chrono::seconds(1)) {
        diags.Error(map.PositionOfKey("ttl"),
                    "\"ttl\" must be a duration of at least 1s, such as \"10m\" or \"1h\"");
      } else {
        family.ttl = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
      }
    }
    map.RejectUnknownKeys();
    CheckFamily(family, map, diags);
    if (family.type == MetricType::kHistogram && family.buckets.empty()) {
      family.buckets = DefaultBuckets(family.unit);
    }
    if (diags.error_count() == errors_before) {
      schema.Add(std::move(family), diags);
    } else {
      schema.MarkInvalid(family.name);
    }
  }
}

}  // namespace metrics_adapter
