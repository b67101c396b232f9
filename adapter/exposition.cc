#include "adapter/exposition.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapter/text_format.h"
#include "rules/rule_set.h"

namespace metrics_adapter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// A label set by address, hashed and compared by content: the dedupe set of
// a family that several collectables hold refers to the labels where
// Collect left them, without copying one.
struct LabelsHash {
  std::size_t operator()(const std::vector<ClientMetric::Label>* labels) const {
    std::size_t hash = labels->size();
    const auto mix = [&hash](std::string_view text) {
      hash ^= std::hash<std::string_view>{}(text) + 0x9e3779b97f4a7c15 + (hash << 6) + (hash >> 2);
    };
    for (const ClientMetric::Label& label : *labels) {
      mix(label.name);
      mix(label.value);
    }
    return hash;
  }
};
struct LabelsEqual {
  bool operator()(const std::vector<ClientMetric::Label>* a,
                  const std::vector<ClientMetric::Label>* b) const {
    return *a == *b;
  }
};

}  // namespace

std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables) {
  std::vector<std::vector<MetricFamily>> collected;
  collected.reserve(collectables.size());
  for (const prometheus::Collectable* collectable : collectables) {
    collected.push_back(collectable->Collect());
  }

  // Several sources may write one family (a log and a status page both
  // counting requests): the text format wants each family once, so they are
  // merged by name, in first-seen order; a family of another type under a
  // name already seen is dropped (it cannot happen within one schema). Of
  // two identical series the first collectable's wins; rules should tell
  // sources apart by a label. Nothing is copied: families are referred to
  // where Collect left them.
  struct Merged {
    const MetricFamily* first;
    std::vector<const MetricFamily*> more;  // same name and type, later collectables
  };
  std::vector<Merged> merged;
  std::unordered_map<std::string_view, std::size_t> index;  // name -> merged
  std::size_t size = 0;
  for (const std::vector<MetricFamily>& families : collected) {
    for (const MetricFamily& family : families) {
      auto [it, fresh] = index.try_emplace(family.name, merged.size());
      if (fresh) {
        merged.push_back({&family, {}});
      } else if (merged[it->second].first->type == family.type) {
        merged[it->second].more.push_back(&family);
      } else {
        continue;
      }
      size += EstimateTextSize(family);
    }
  }

  // Written straight into one string reserved up front: this is the whole
  // cost of a scrape beyond Collect, so no stream, no per-line allocation.
  // The slack covers values longer than the estimate's (17-digit gauges)
  // without a regrowth; pages reserved and never written cost nothing.
  std::string out;
  out.reserve(size + size / 8);
  TextScratch scratch;
  for (const Merged& family : merged) {
    const MetricFamily& first = *family.first;
    AppendFamilyHeader(out, first);
    if (family.more.empty()) {
      // The common case, one collectable per family: nothing to dedupe.
      for (const ClientMetric& metric : first.metric) AppendMetric(out, first, metric, scratch);
      continue;
    }
    std::size_t count = first.metric.size();
    for (const MetricFamily* more : family.more) count += more->metric.size();
    std::unordered_set<const std::vector<ClientMetric::Label>*, LabelsHash, LabelsEqual> written;
    written.reserve(count);
    for (const ClientMetric& metric : first.metric) {
      written.insert(&metric.label);
      AppendMetric(out, first, metric, scratch);
    }
    for (const MetricFamily* more : family.more) {
      for (const ClientMetric& metric : more->metric) {
        if (written.insert(&metric.label).second) AppendMetric(out, first, metric, scratch);
      }
    }
  }
  return out;
}

std::optional<Sample> ParseSampleLine(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  if (line.empty() || line.front() == '#') return std::nullopt;
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  const std::string name(line.substr(0, i));
  if (name.empty()) return std::nullopt;
  std::vector<std::pair<std::string, std::string>> labels;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      std::size_t eq = line.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return std::nullopt;
      }
      std::string label(line.substr(i, eq - i));
      std::string value;
      std::size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value += line[j] == 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      if (j >= line.size()) return std::nullopt;
      labels.emplace_back(std::move(label), std::move(value));
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return std::nullopt;
    ++i;  // '}'
  }
  std::string_view rest = line.substr(i);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const std::size_t end = rest.find(' ');
  const std::string_view value_text = rest.substr(0, end);
  if (end != std::string_view::npos) {
    // Only an optional integer timestamp may follow the value.
    std::string_view timestamp = rest.substr(end + 1);
    while (!timestamp.empty() && timestamp.back() == ' ') timestamp.remove_suffix(1);
    if (timestamp.empty() || timestamp.find_first_not_of("-0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
  }
  std::optional<double> value;
  if (value_text == "+Inf") {
    value = INFINITY;
  } else if (value_text == "-Inf") {
    value = -INFINITY;
  } else if (value_text == "NaN") {
    value = NAN;
  } else {
    value = ParseNumber(value_text);
  }
  if (!value) return std::nullopt;

  std::sort(labels.begin(), labels.end());
  Sample sample;
  sample.series = name;
  if (!labels.empty()) {
    sample.series += '{';
    for (std::size_t k = 0; k < labels.size(); ++k) {
      if (k > 0) sample.series += ',';
      sample.series += labels[k].first + "=\"";
      for (char c : labels[k].second) {
        if (c == '\\' || c == '"') sample.series += '\\';
        if (c == '\n') {
          sample.series += "\\n";
          continue;
        }
        sample.series += c;
      }
      sample.series += '"';
    }
    sample.series += '}';
  }
  sample.value = *value;
  return sample;
}

}  // namespace metrics_adapter
