#include "adapter/runtime/source_labels.h"

#include <algorithm>
#include <string>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

std::string NameList(const std::vector<std::string>& names) {
  std::string list = "[";
  for (const std::string& name : names) list += (list.size() > 1 ? ", " : "") + name;
  return list + "]";
}

// Reports the first family `source` writes that does not allow one of its
// labels, per label.
void CheckAllowed(const Schema& schema, const LoadedSource& source, const std::set<int>& families,
                  Diagnostics& diags) {
  for (const SourceLabel& label : source.config.labels) {
    for (int index : families) {
      const FamilySpec& family = schema.at(index);
      if (std::find(family.source_labels.begin(), family.source_labels.end(), label.name) !=
          family.source_labels.end()) {
        continue;
      }
      diags.Error(label.position, "source " + Quoted(source.config.name) + ": label " +
                                      Quoted(label.name) + " is not allowed on family " +
                                      Quoted(family.name) + " (declared at " +
                                      family.position.ToString() +
                                      ", source_labels: " + NameList(family.source_labels) +
                                      "); allow it in the schema's \"source_labels\"");
      break;
    }
  }
}

const std::string* ValueOf(const SourceConfig& source, const std::string& name) {
  for (const SourceLabel& label : source.labels) {
    if (label.name == name) return &label.value;
  }
  return nullptr;
}

}  // namespace

std::set<int> FamiliesWritten(const RuleSet& rules) {
  std::set<int> families;
  for (const CompiledRule& rule : rules.rules()) {
    for (const EmitPlan& emit : rule.emits) families.insert(emit.family);
  }
  return families;
}

std::shared_ptr<const Schema> ResolveSourceLabels(const Schema& schema,
                                                  std::vector<LoadedSource>& sources,
                                                  Diagnostics& diags) {
  const int errors_before = diags.error_count();
  // The constant label names each family gets: those of its writers, sorted.
  std::vector<std::set<std::string>> added(static_cast<std::size_t>(schema.size()));
  std::vector<std::set<int>> written(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].rules) continue;
    written[i] = FamiliesWritten(*sources[i].rules);
    CheckAllowed(schema, sources[i], written[i], diags);
    for (int family : written[i]) {
      for (const SourceLabel& label : sources[i].config.labels) {
        added[static_cast<std::size_t>(family)].insert(label.name);
      }
    }
  }
  if (diags.error_count() != errors_before) return nullptr;

  auto exposed = std::make_shared<Schema>();
  for (int index = 0; index < schema.size(); ++index) {
    FamilySpec family = schema.at(index);
    for (const std::string& name : added[static_cast<std::size_t>(index)]) {
      family.labels.push_back(name);
      family.label_bounds.emplace_back();
    }
    exposed->Add(std::move(family), diags);  // names are unique: same indices
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    std::vector<std::vector<std::string>> by_family(static_cast<std::size_t>(schema.size()));
    bool any = false;
    for (int family : written[i]) {
      for (const std::string& name : added[static_cast<std::size_t>(family)]) {
        const std::string* value = ValueOf(sources[i].config, name);
        by_family[static_cast<std::size_t>(family)].push_back(value ? *value : "");
        any = true;
      }
    }
    sources[i].labels =
        any ? std::make_shared<const ConstantLabels>(std::move(by_family)) : nullptr;
  }
  return exposed;
}

}  // namespace metrics_adapter
