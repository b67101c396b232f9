#include "adapter/exposition.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "rules/rule_set.h"

namespace metrics_adapter {

std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables) {
  // Several sources may write one family (a log and a status page both
  // counting requests): the text format wants each family once, so they are
  // merged by name, in first-seen order. Of two identical series the first
  // collectable's wins; rules should tell sources apart by a label.
  std::vector<prometheus::MetricFamily> families;
  std::map<std::string, std::size_t> index;
  std::map<std::string, std::set<std::vector<prometheus::ClientMetric::Label>>> seen;
  for (const prometheus::Collectable* collectable : collectables) {
    for (prometheus::MetricFamily& family : collectable->Collect()) {
      auto [it, fresh] = index.emplace(family.name, families.size());
      std::set<std::vector<prometheus::ClientMetric::Label>>& labels = seen[family.name];
      if (fresh) {
        for (const prometheus::ClientMetric& metric : family.metric) labels.insert(metric.label);
        families.push_back(std::move(family));
        continue;
      }
      prometheus::MetricFamily& merged = families[it->second];
      if (merged.type != family.type) continue;  // cannot happen within one schema
      for (prometheus::ClientMetric& metric : family.metric) {
        if (labels.insert(metric.label).second) merged.metric.push_back(std::move(metric));
      }
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
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
