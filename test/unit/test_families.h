// Families for the store's unit tests, each made in one call, and a schema
// of one family.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "adapter/base/diagnostics.h"
#include "rules/schema.h"

namespace metrics_adapter {

// Family `name` of `type` with `labels` (their values unbounded), help
// "Help for NAME.", and `buckets` when it is a histogram.
inline FamilySpec TestFamily(std::string name, MetricType type, std::vector<std::string> labels,
                             std::vector<double> buckets = {}) {
  FamilySpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.help = "Help for " + spec.name + ".";
  spec.labels = std::move(labels);
  spec.label_bounds.resize(spec.labels.size());
  spec.buckets = std::move(buckets);
  return spec;
}

// A schema of `spec` alone; the test fails where the schema refuses it.
inline Schema OneFamily(const FamilySpec& spec) {
  Schema schema;
  Diagnostics diags;
  schema.Add(spec, diags);
  REQUIRE(diags.Format() == "");
  return schema;
}

}  // namespace metrics_adapter
