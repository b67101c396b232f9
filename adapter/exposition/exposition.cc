#include "adapter/exposition/exposition.h"

#include <prometheus/metric_family.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapter/exposition/protobuf_format.h"
#include "adapter/exposition/text_format.h"
#include "parsers/prometheus_parser.h"

namespace metrics_adapter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;

// One exposable's share of a family: a family in prometheus-cpp's model, or
// one its snapshot writes straight as text.
struct Part {
  const MetricFamily* family = nullptr;
  const TextSnapshot* view = nullptr;
  std::size_t index = 0;  // view: the family's index in view->families()
};

// A family of the exposition: its header, from the first exposable that
// has it, and every exposable's share.
struct Group {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
  std::string_view unit;
  std::vector<Part> parts;
};

// Appends the sample lines of `part`; with `seen`, skipping label sets
// already written and adding the others.
void AppendPart(ExpositionOutput& out, const Part& part, std::unordered_set<std::string>* seen,
                TextScratch& scratch, std::string& block, TextDialect dialect) {
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
    AppendMetric(out.text(), *part.family, metric, scratch, dialect);
    out.Boundary();
  }
}

void AppendText(ExpositionOutput& out, const std::vector<Group>& groups, TextDialect dialect) {
  TextScratch scratch;
  std::string block;
  for (const Group& group : groups) {
    AppendFamilyHeader(out.text(), group.name, group.help, group.type, dialect, group.unit);
    if (group.parts.size() == 1) {
      // The common case, one exposable per family: nothing to dedupe.
      AppendPart(out, group.parts.front(), nullptr, scratch, block, dialect);
      continue;
    }
    std::unordered_set<std::string> seen;
    for (const Part& part : group.parts) AppendPart(out, part, &seen, scratch, block, dialect);
  }
  if (dialect == TextDialect::kOpenMetrics) out.text() += "# EOF\n";
}

// One message per family, its parts' metrics merged as the text formats
// merge them (first label set wins). A chunk ends between two families only.
void AppendProtobuf(ExpositionOutput& out, const std::vector<Group>& groups) {
  std::string block;
  std::vector<ProtobufMetric> merged;
  for (const Group& group : groups) {
    merged.clear();
    std::unordered_set<std::string> seen;
    const auto add = [&](const ClientMetric& metric, const NativeHistogram* native) {
      if (group.parts.size() > 1) {
        block.clear();
        AppendLabelBlock(block, metric);
        if (!seen.insert(block).second) return;
      }
      merged.push_back({&metric, native});
    };
    // Snapshot families collected here must outlive `merged`'s pointers.
    std::vector<ModelFamily> collected;
    collected.reserve(group.parts.size());
    for (const Part& part : group.parts) {
      const MetricFamily* family = part.family;
      const std::vector<const NativeHistogram*>* native = nullptr;
      if (part.view != nullptr) {
        collected.push_back(part.view->CollectFamily(part.index));
        family = &collected.back().family;
        native = &collected.back().native;
      }
      for (std::size_t m = 0; m < family->metric.size(); ++m) {
        add(family->metric[m], native != nullptr && m < native->size() ? (*native)[m] : nullptr);
      }
    }
    AppendDelimitedFamily(out.text(), group.name, group.help, group.type, merged);
    out.Boundary();
  }
}

}  // namespace

void RenderExposition(const std::vector<const Exposable*>& exposables, ExpositionFormat format,
                      std::size_t chunk_bytes, const ExpositionSink& sink) {
  // Every snapshot stays open until the end (a store's holds its lock).
  // Nothing is copied: parts refer to where the data lies.
  std::vector<std::unique_ptr<TextSnapshot>> views;
  std::vector<std::vector<MetricFamily>> collected;
  collected.reserve(exposables.size());  // parts point into it: no reallocation

  // Several sources may write one family (a log and a status page both
  // counting requests): the text format wants each family once, so they are
  // merged by name, in first-seen order; a family of another type under a
  // name already seen is dropped (it cannot happen within one schema). Of
  // two identical series the first exposable's wins; rules should tell
  // sources apart by a label.
  std::vector<Group> groups;
  std::unordered_map<std::string_view, std::size_t> index;  // name -> group
  std::size_t size = 0;
  const auto add = [&](std::string_view name, std::string_view help, prometheus::MetricType type,
                       std::string_view unit, Part part, std::size_t estimate) {
    auto [it, fresh] = index.try_emplace(name, groups.size());
    if (fresh) {
      groups.push_back({name, help, type, unit, {}});
    } else if (groups[it->second].type != type) {
      return;
    }
    groups[it->second].parts.push_back(part);
    size += estimate;
  };
  for (const Exposable* exposable : exposables) {
    const TextSnapshot& view = *views.emplace_back(exposable->OpenSnapshot());
    for (std::size_t i = 0; i < view.families().size(); ++i) {
      const TextSnapshot::Family& family = view.families()[i];
      add(family.name, family.help, family.type, family.unit, Part{nullptr, &view, i},
          view.EstimateTextSize(i));
    }
    collected.push_back(view.CollectedFamilies());
    for (const MetricFamily& family : collected.back()) {
      add(family.name, family.help, family.type, {}, Part{&family}, EstimateTextSize(family));
    }
  }

  // Written straight into strings reserved up front (the whole body's, or a
  // chunk's): no stream, no per-line allocation.
  ExpositionOutput out(chunk_bytes, size, sink);
  switch (format) {
    case ExpositionFormat::kText:
      AppendText(out, groups, TextDialect::kPrometheus);
      break;
    case ExpositionFormat::kOpenMetrics:
      AppendText(out, groups, TextDialect::kOpenMetrics);
      break;
    case ExpositionFormat::kProtobuf:
      AppendProtobuf(out, groups);
      break;
  }
  out.Finish();
}

std::string RenderExposition(const std::vector<const Exposable*>& exposables,
                             ExpositionFormat format) {
  std::string body;
  RenderExposition(exposables, format, kWholeBody,
                   [&body](std::string whole, bool) { body = std::move(whole); });
  return body;
}

std::optional<Sample> ParseSampleLine(std::string_view line) {
  // Read by the prometheus parser, the one reader of sample lines: a line it
  // refuses, a comment or a blank line gives no record.
  struct OneSample : RecordSink {
    void OnRecord(const Record& record) override {
      sample.emplace();
      std::vector<RecordLabel> labels(record.labels.begin(), record.labels.end());
      std::sort(labels.begin(), labels.end(),
                [](const RecordLabel& a, const RecordLabel& b) { return a.name < b.name; });
      sample->series = record.text;
      for (std::size_t k = 0; k < labels.size(); ++k) {
        sample->series += k == 0 ? '{' : ',';
        AppendLabelPair(sample->series, labels[k].name, labels[k].value);
      }
      if (!labels.empty()) sample->series += '}';
      sample->value = *record.value;
    }
    void OnParseError(std::string_view) override {}
    std::optional<Sample> sample;
  } one;
  PrometheusParser().Parse(line.substr(0, line.find('\n')), one);
  return one.sample;
}

}  // namespace metrics_adapter
