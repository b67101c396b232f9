#include "adapter/exposition.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapter/series_store.h"
#include "adapter/text_format.h"
#include "rules/rule_set.h"

namespace metrics_adapter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// One collectable's share of a family: a family Collect returned, or a
// family of a store written straight from it.
struct Part {
  const MetricFamily* family = nullptr;
  const SeriesStore::TextView* view = nullptr;
  std::size_t index = 0;  // view: the family's index in view->families()
};

// A family of the exposition: its header, from the first collectable that
// has it, and every collectable's share.
struct Group {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
  std::vector<Part> parts;
};

// Appends the sample lines of `part`; with `seen`, skipping label sets
// already written and adding the others.
void AppendPart(std::string& out, const Part& part, std::unordered_set<std::string>* seen,
                TextScratch& scratch, std::string& block) {
  if (part.view != nullptr) {
    part.view->AppendSamples(part.index, out, seen);
    return;
  }
  for (const ClientMetric& metric : part.family->metric) {
    if (seen != nullptr) {
      block.clear();
      AppendLabelBlock(block, metric);
      if (!seen->insert(block).second) continue;
    }
    AppendMetric(out, *part.family, metric, scratch);
  }
}

}  // namespace

std::string RenderExposition(const std::vector<const prometheus::Collectable*>& collectables) {
  // A SeriesStore is written straight from its series (under its lock, held
  // by its view until the end), which is several times cheaper than
  // Collect; other collectables (the self-metrics registry) go through
  // Collect. Nothing is copied: parts refer to where the data lies.
  std::vector<std::unique_ptr<SeriesStore::TextView>> views;
  std::vector<std::vector<MetricFamily>> collected;
  collected.reserve(collectables.size());  // parts point into it: no reallocation

  // Several sources may write one family (a log and a status page both
  // counting requests): the text format wants each family once, so they are
  // merged by name, in first-seen order; a family of another type under a
  // name already seen is dropped (it cannot happen within one schema). Of
  // two identical series the first collectable's wins; rules should tell
  // sources apart by a label.
  std::vector<Group> groups;
  std::unordered_map<std::string_view, std::size_t> index;  // name -> group
  std::size_t size = 0;
  const auto add = [&](std::string_view name, std::string_view help, prometheus::MetricType type,
                       Part part, std::size_t estimate) {
    auto [it, fresh] = index.try_emplace(name, groups.size());
    if (fresh) {
      groups.push_back({name, help, type, {}});
    } else if (groups[it->second].type != type) {
      return;
    }
    groups[it->second].parts.push_back(part);
    size += estimate;
  };
  for (const prometheus::Collectable* collectable : collectables) {
    if (const auto* store = dynamic_cast<const SeriesStore*>(collectable)) {
      const SeriesStore::TextView& view =
          *views.emplace_back(std::make_unique<SeriesStore::TextView>(*store));
      for (std::size_t i = 0; i < view.families().size(); ++i) {
        const FamilySpec& spec = *view.families()[i].spec;
        add(spec.name, spec.help, view.families()[i].type, Part{nullptr, &view, i},
            view.EstimateTextSize(i));
      }
      collected.push_back(view.OwnMetrics());
    } else {
      collected.push_back(collectable->Collect());
    }
    for (const MetricFamily& family : collected.back()) {
      add(family.name, family.help, family.type, Part{&family}, EstimateTextSize(family));
    }
  }

  // Written straight into one string reserved up front: no stream, no
  // per-line allocation. The slack covers values longer than the estimate's
  // (17-digit gauges) without a regrowth.
  std::string out;
  out.reserve(size + size / 8);
  TextScratch scratch;
  std::string block;
  for (const Group& group : groups) {
    AppendFamilyHeader(out, group.name, group.help, group.type);
    if (group.parts.size() == 1) {
      // The common case, one collectable per family: nothing to dedupe.
      AppendPart(out, group.parts.front(), nullptr, scratch, block);
      continue;
    }
    std::unordered_set<std::string> seen;
    for (const Part& part : group.parts) AppendPart(out, part, &seen, scratch, block);
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
