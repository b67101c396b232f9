// Source labels: a config's constant labels (`labels: {service: cache}` on a
// source) checked against the schema its rule files declared, and the
// schema the store exposes with them.
//
// A source's label must be allowed by every family its rules write: listed
// in the family's `source_labels` (rules/schema.h), which a schema declares
// once for all deployments (the shipped ones: `[service, instance_name]`);
// the values are each deployment's own. A family then carries, after its
// own labels, the names of the constant labels of every source writing it,
// sorted; a writer without one of them gives it the empty value, which
// Prometheus reads as no label. A family no labelled source writes keeps
// its labels, so a config without `labels:` exposes what it always did.
//
// Errors name the config file and line of the label, its source and the
// family that does not allow it.
//
// Usage:
//   std::shared_ptr<const Schema> exposed = ResolveSourceLabels(schema, sources, diags);
//   if (!exposed) ...  // errors in diags
//   // each sources[i].labels now set (null when the source adds nothing)
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/runtime/loaded_config.h"
#include "rules/rule_set.h"
#include "rules/schema.h"

namespace metrics_adapter {

// The families `rules` write, by index.
std::set<int> FamiliesWritten(const RuleSet& rules);

// Checks every source's constant labels against `schema` (the families the
// rule files declared, which the rules are compiled against), sets each
// source's `labels` and returns the schema the stores use: `schema` with the
// constant label names added to the families that get them. Null after
// reporting an error.
std::shared_ptr<const Schema> ResolveSourceLabels(const Schema& schema,
                                                  std::vector<LoadedSource>& sources,
                                                  Diagnostics& diags);

}  // namespace metrics_adapter
