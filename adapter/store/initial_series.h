// Series from the start: a counter that has never fired reads 0 instead of
// being absent, so that rate() and alerts on it see a value from the first
// scrape (Prometheus's instrumentation guidance: "avoid missing metrics").
//
// Which series: for each emit of a rule into a counter or a histogram whose
// every label value is a constant (a family without labels included), the
// one series that emit writes, its values held to the schema's bounds as a
// match would hold them. A label taken from a capture or a record label can
// take values no one knows before the line comes: those series appear when
// written. Not:
//   - gauges: a gauge at 0 before anything set it would be a lie;
//   - families with a ttl: their series exist while they are written;
//   - families no rule writes (a schema declares more than one rule file uses).
// A histogram starts with count 0, sum 0 and every bucket at 0.
//
// Pulled sources (http, tcp, exec, status_file) show what the last scrape
// saw, so their stores are not filled in: a counter the service did not
// report is absent, not 0 (a 0 there would read as a reset).
//
// Usage, after the store has switched to the schema the rules were compiled
// against (at load and at each reload; series that exist keep their values):
//   AddSeriesFromTheStart(*rules, schema, store, &source_labels);
// `labels`, if given, are the source's constant labels (constant_labels.h),
// added to each series as the source's own updates add them.
#pragma once

#include "adapter/store/constant_labels.h"
#include "adapter/store/series_store.h"
#include "rules/rule_set.h"
#include "rules/schema.h"

namespace metrics_adapter {

void AddSeriesFromTheStart(const RuleSet& rules, const Schema& schema, SeriesStore& store,
                           const ConstantLabels* labels = nullptr);

}  // namespace metrics_adapter
