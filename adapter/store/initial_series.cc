#include "adapter/store/initial_series.h"

#include <optional>
#include <string>
#include <vector>

#include "adapter/base/utf8.h"

namespace metrics_adapter {
namespace {

// The value a label written only from literal text takes, held to its
// bound as RuleSet's matching holds it; nullopt when the label takes
// anything from the match.
std::optional<std::string> ConstantLabelValue(const LabelExpr& label) {
  std::string value;
  for (const LabelExpr::Piece& piece : label.pieces) {
    if (piece.kind != LabelExpr::Piece::Kind::kLiteral) return std::nullopt;
    value += piece.text;
  }
  std::string storage;
  value = std::string(BoundLabelValue(label, value, storage));
  if (!IsValidUtf8(value)) {
    std::string fixed;
    AppendSanitizedUtf8(value, fixed);
    value = std::move(fixed);
  }
  return value;
}

bool StartsAtZero(const FamilySpec& family) {
  return (family.type == MetricType::kCounter || family.type == MetricType::kHistogram) &&
         family.ttl.count() == 0;
}

}  // namespace

void AddSeriesFromTheStart(const RuleSet& rules, const Schema& schema, SeriesStore& store,
                           const ConstantLabels* labels) {
  SeriesStore::Writer writer = store.Write();
  const ConstantLabels none;
  LabellingSink sink(labels != nullptr ? *labels : none, writer);
  std::vector<std::string> values;
  std::vector<std::string_view> views;
  for (const CompiledRule& rule : rules.rules()) {
    for (const EmitPlan& emit : rule.emits) {
      if (!StartsAtZero(schema.at(emit.family))) continue;
      values.clear();
      for (const LabelExpr& label : emit.labels) {
        std::optional<std::string> value = ConstantLabelValue(label);
        if (!value) break;
        values.push_back(std::move(*value));
      }
      if (values.size() != emit.labels.size()) continue;
      views.assign(values.begin(), values.end());
      // Adding 0 creates the series (a histogram's with empty buckets) and
      // leaves one that exists as it is.
      sink.Apply(Update{emit.family, UpdateOp::kAdd, 0, views});
    }
  }
}

}  // namespace metrics_adapter
