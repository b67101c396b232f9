// Collisions: two sources of one config that could write the same series.
//
// Streamed sources (file, udp, tcp_listener) write into one store, where two
// sources' updates of one series add up (counters, histograms) or overwrite
// each other (a gauge's `set`); every pulled source fills a store of its own
// at each scrape, and of two identical series RenderExposition keeps the
// first exposable's, the streamed store's, then the pulled sources' in the
// order of their names. Either way one source's numbers would silently
// change or hide another's. So a config in which two sources have rules
// writing the same family is refused, both sources, the family and the
// rules' positions named, unless
//   - the sources are told apart by their constant labels (`labels:`, see
//     source_labels.h): some label name has different values on the two, a
//     name only one of them has counting as different (the other's series
//     lack it). Then no series of one can be a series of the other; or
//   - the config lists the family in `shared_families:`, which says that
//     the sources' updates add up: allowed only where they do add up, when
//     every writer is streamed and none `set`s the family (an entry that
//     does not hold is an error). Pulled sources never add up: each scrape
//     fills a store of its own, so two pulled writers of one family must be
//     told apart by labels.
//
// A label taken from the input (a pulled page's own name field) may also
// tell two sources' series apart, but nothing at load time can know it
// does: such a config gives the sources constant labels too.
//
// Usage:
//   CheckCollisions(config, loaded_sources, schema, diags);  // errors in diags
#pragma once

#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/config/config.h"
#include "adapter/runtime/loaded_config.h"
#include "rules/schema.h"

namespace metrics_adapter {

// Reports an error in `diags` for every source of `sources` that writes a
// family an earlier source also writes, with the same constant labels,
// unless the family is in `shared_families`; and for every
// `shared_families` entry that names no family of `schema` or whose writers
// do not add up.
void CheckCollisions(const AdapterConfig& config, const std::vector<LoadedSource>& sources,
                     const Schema& schema, Diagnostics& diags);

}  // namespace metrics_adapter
